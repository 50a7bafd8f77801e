// Memory and CPU of a running process, read from /proc/<pid>/status and
// /proc/<pid>/stat (Linux only).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace bench {

struct process_sample {
  std::uint64_t rss_bytes = 0;  // VmRSS: resident now
  std::uint64_t hwm_bytes = 0;  // VmHWM: the most it was ever resident
  double cpu_seconds = 0;       // utime + stime since the process started
  std::chrono::steady_clock::time_point taken;
};

// nullopt when the process is gone (or never existed).
std::optional<process_sample> sample_process(pid_t pid);

// CPU seconds (user + system, all threads) this process has used so far,
// with getrusage's microsecond resolution.
double own_cpu_seconds();

// CPU cores used between two samples of one process: CPU seconds / wall seconds.
double cores_used(const process_sample& before, const process_sample& after);

}  // namespace bench
