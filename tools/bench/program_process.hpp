// A program (iot-sensor, iot-server) started by the benchmark: its own working
// directory (so no stray .env is read), output captured to files there, stopped by PID.
// The kernel kills it if the benchmark dies first.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bench {

class program_process {
 public:
  // Starts `argv` (argv[0] is the program's path) in `dir`. Must be called
  // from the main thread: the death signal is tied to the thread that forks.
  // Throws std::runtime_error when the program cannot be started.
  program_process(std::vector<std::string> argv, const std::filesystem::path& dir);
  // SIGKILL and reap if it still runs.
  ~program_process();
  program_process(const program_process&) = delete;
  program_process& operator=(const program_process&) = delete;

  pid_t pid() const { return pid_; }
  // Reaps it if it has ended; the exit code (or 128 + signal) once it has.
  std::optional<int> exit_code();
  // Waits until it exits, at most `limit` (then SIGKILL). Returns the exit
  // code, or 128 + signal.
  int wait(std::chrono::milliseconds limit);
  // SIGTERM, then wait(limit).
  int stop(std::chrono::milliseconds limit);
  // The last `bytes` of its stderr, one line, for error messages.
  std::string stderr_tail(std::size_t bytes = 300) const;
  std::string stdout_text() const;

 private:
  std::filesystem::path out_path_, err_path_;
  pid_t pid_ = -1;
  std::optional<int> code_;
};

// A fresh temporary directory (under $TMPDIR or /tmp), removed with the object.
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bench
