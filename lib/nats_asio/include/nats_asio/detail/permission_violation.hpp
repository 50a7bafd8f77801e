// Reads the server's permission errors, which nats.c hands to the
// connection's error handler as text (NATS_NOT_PERMITTED):
//   Permissions Violation for Publish to "<subject>"
//   Permissions Violation for Publish with Reply of "<reply>"
//   Permissions Violation for Subscription to "<subject>" [using queue "<queue>"]
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nats_asio::detail {

struct permission_violation {
  enum class kind { publish, reply, subscribe };
  kind what = kind::publish;
  std::string subject;
  // nats.c keeps at most 255 characters of the error: a long subject may be
  // cut short, and then only its beginning is known.
  bool truncated = false;

  // Whether `s` is the subject this violation names.
  bool names(std::string_view s) const noexcept {
    return truncated ? s.starts_with(subject) : s == subject;
  }
};

// nullopt for any other text.
std::optional<permission_violation> parse_permission_violation(std::string_view text);

}  // namespace nats_asio::detail
