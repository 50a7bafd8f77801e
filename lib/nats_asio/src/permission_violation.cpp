#include "nats_asio/detail/permission_violation.hpp"

#include <algorithm>
#include <cctype>

namespace nats_asio::detail {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

std::optional<permission_violation> parse_permission_violation(std::string_view text) {
  // nats.c strips the quotes around the whole error; tolerate them anyway.
  while (!text.empty() && (text.front() == '\'' || text.front() == ' ')) text.remove_prefix(1);
  struct form {
    std::string_view prefix;
    permission_violation::kind what;
  };
  // "Publish with Reply of" before "Publish to": neither is a prefix of the
  // other, but keep the longer one first for clarity.
  static constexpr form forms[] = {
      {"Permissions Violation for Publish with Reply of \"", permission_violation::kind::reply},
      {"Permissions Violation for Publish to \"", permission_violation::kind::publish},
      {"Permissions Violation for Subscription to \"", permission_violation::kind::subscribe},
  };
  for (const auto& f : forms) {
    if (!starts_with_nocase(text, f.prefix)) continue;
    auto rest = text.substr(f.prefix.size());
    permission_violation v;
    v.what = f.what;
    // Subjects never contain quotes, so the next one ends the subject.
    const auto end = rest.find('"');
    v.truncated = end == std::string_view::npos;
    if (v.truncated) {
      while (!rest.empty() && (rest.back() == '\'' || rest.back() == ' ')) rest.remove_suffix(1);
      v.subject = std::string(rest);
    } else {
      v.subject = std::string(rest.substr(0, end));
    }
    if (v.subject.empty()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace nats_asio::detail
