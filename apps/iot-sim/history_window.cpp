#include <chrono>

#include "iot/duration.hpp"
#include "sim_commands.hpp"

namespace sim {

using namespace std::chrono_literals;

std::string history_window(const std::string& since, const std::string& from, const std::string& to,
                           iot::clock::time_point now, iot::clock::time_point& out_from,
                           iot::clock::time_point& out_to) {
  out_to = now;
  if (!to.empty()) {
    auto t = iot::parse_rfc3339(to);
    if (!t)
      return "--to: expected an RFC 3339 time such as 2026-01-31T12:00:00Z, got \"" + to + "\"";
    out_to = *t;
  }
  if (!from.empty()) {
    auto t = iot::parse_rfc3339(from);
    if (!t)
      return "--from: expected an RFC 3339 time such as 2026-01-31T12:00:00Z, got \"" + from + "\"";
    out_from = *t;
  } else {
    std::chrono::milliseconds d = 1h;
    if (!since.empty()) {
      if (auto e = iot::parse_duration(since, d); !e.empty()) return "--since: " + e;
      if (d.count() <= 0) return "--since must be positive";
    }
    out_from = out_to - d;
  }
  if (!(out_from < out_to)) return "--from must be before --to";
  return "";
}

}  // namespace sim
