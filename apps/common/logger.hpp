// One line per event on stderr: "<RFC 3339 time> <LEVEL> <who>: <text>".
#pragma once

#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "iot/timestamp.hpp"

namespace apps {

enum class log_level { error = 0, warn = 1, info = 2, debug = 3 };

inline std::optional<log_level> parse_log_level(std::string_view s) {
  if (s == "error") return log_level::error;
  if (s == "warn") return log_level::warn;
  if (s == "info") return log_level::info;
  if (s == "debug") return log_level::debug;
  return std::nullopt;
}

class logger {
 public:
  logger(std::string who, log_level level) : who_(std::move(who)), level_(level) {}

  bool enabled(log_level l) const { return l <= level_; }
  void error(std::string_view text) const { write(log_level::error, "ERROR", text); }
  void warn(std::string_view text) const { write(log_level::warn, "WARN", text); }
  void info(std::string_view text) const { write(log_level::info, "INFO", text); }
  void debug(std::string_view text) const { write(log_level::debug, "DEBUG", text); }
  void at(log_level l, std::string_view text) const {
    static constexpr const char* tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    write(l, tags[static_cast<int>(l)], text);
  }

 private:
  void write(log_level l, const char* tag, std::string_view text) const {
    if (!enabled(l)) return;
    std::cerr << iot::format_rfc3339(iot::clock::now()) << ' ' << tag << ' ' << who_ << ": " << text
              << '\n';
  }

  std::string who_;
  log_level level_;
};

}  // namespace apps
