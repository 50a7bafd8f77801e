// Request targets: the path split into decoded segments, the query string
// into decoded name/value pairs. Percent-decoding follows RFC 3986; in the
// query, '+' is a space (HTML forms). What cannot be decoded is an error the
// caller answers with 400, never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

// "%41b" -> "Ab"; nullopt for a '%' not followed by two hex digits, or for
// a decoded NUL (no route or parameter needs one, and C APIs stop at it).
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// The reverse, for building targets: every byte but RFC 3986's unreserved
// ones (A-Z a-z 0-9 - . _ ~) as %XX.
std::string percent_encode(std::string_view text);

struct target {
  std::vector<std::string> segments;                       // "/a/b%20c/" -> {"a", "b c", ""}
  std::vector<std::pair<std::string, std::string>> query;  // in order, repeats kept
};

// Splits "/path?query" (origin form, as HTTP/1.1 requests carry it).
// nullopt when it does not start with '/' or does not decode.
std::optional<target> parse_target(std::string_view text);

// The values of `name` in `query`, in order.
std::vector<std::string> query_values(const target& t, std::string_view name);
// The one value of `name`: nullopt when absent; `error` set when repeated.
std::optional<std::string> query_value(const target& t, std::string_view name, std::string& error);

}  // namespace http
