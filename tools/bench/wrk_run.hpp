// wrk (Debian's, an HTTP load generator independent of ours) run against a
// URL with keep-alive connections, and what it reports.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace bench {

struct wrk_result {
  double requests_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  std::size_t requests = 0;
  std::size_t errors = 0;  // socket errors, timeouts and non-2xx/3xx responses
};

// `wrk -t threads -c connections -d seconds --latency url` in `dir`. Throws
// std::runtime_error when wrk is missing or its report cannot be read.
wrk_result run_wrk(const std::string& url, int threads, int connections, int seconds,
                   const std::filesystem::path& dir);

// "1.23ms", "456.00us", "1.10s" in milliseconds (wrk's latency units).
double wrk_duration_ms(const std::string& text);

}  // namespace bench
