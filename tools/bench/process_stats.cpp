#include "process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace bench {
namespace {

// "VmRSS:     1234 kB" -> 1234 * 1024.
std::uint64_t kilobytes_field(const std::string& line) {
  std::istringstream in(line.substr(line.find(':') + 1));
  std::uint64_t kb = 0;
  in >> kb;
  return kb * 1024;
}

}  // namespace

std::optional<process_sample> sample_process(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  process_sample s;
  s.taken = std::chrono::steady_clock::now();
  const std::string dir = "/proc/" + std::to_string(pid) + "/";

  std::ifstream status(dir + "status");
  if (!status) return std::nullopt;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) s.rss_bytes = kilobytes_field(line);
    if (line.starts_with("VmHWM:")) s.hwm_bytes = kilobytes_field(line);
  }

  std::ifstream stat_file(dir + "stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: fields are
  // counted from the last ')'. utime and stime are fields 14 and 15.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n == 14) utime = std::stoull(field);
    if (n == 15) stime = std::stoull(field);
  }
  static const long ticks = ::sysconf(_SC_CLK_TCK);
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  return s;
}

double own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

double cores_used(const process_sample& before, const process_sample& after) {
  const double wall = std::chrono::duration<double>(after.taken - before.taken).count();
  return wall > 0 ? (after.cpu_seconds - before.cpu_seconds) / wall : 0;
}

}  // namespace bench
