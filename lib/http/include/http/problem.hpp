// Problem details (RFC 9457): the JSON body of every error response, served
// as application/problem+json.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

inline constexpr std::string_view problem_content_type = "application/problem+json";

struct problem {
  problem() = default;
  problem(unsigned status_, std::string detail_, std::string title_ = {},
          std::string type_ = "about:blank")
      : status(status_),
        detail(std::move(detail_)),
        title(std::move(title_)),
        type(std::move(type_)) {}

  unsigned status = 500;
  std::string detail;                // this occurrence, for a person to read
  std::string title;                 // empty: the status's own phrase ("Not Found")
  std::string type = "about:blank";  // a URI naming the kind of problem
  // Members of this kind of problem beyond the standard ones, as strings:
  // {"command_uuid", "..."}.
  std::vector<std::pair<std::string, std::string>> extensions;
};

// {"type":…,"title":…,"status":…,"detail":…}; detail left out when empty.
std::string to_json(const problem& p);

}  // namespace http
