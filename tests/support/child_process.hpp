// Runs a built program as a child process for end-to-end tests: its own
// working directory, extra environment, stdout/stderr captured to files,
// stopped by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test_support {

using env_list = std::vector<std::pair<std::string, std::string>>;

class child_process {
 public:
  // Starts `argv` in `cwd` with the test's environment plus `env`.
  child_process(std::vector<std::string> argv, const std::filesystem::path& cwd, env_list env = {});
  // Kills (SIGKILL) and reaps the child if it still runs.
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits until the child exits; returns its exit code, or 128 + signal.
  // Throws std::runtime_error if it is still running after `limit`.
  int wait(std::chrono::milliseconds limit);
  std::string out() const;
  std::string err() const;
  // Polls until `text` appears in stdout (or stderr); false after `limit`,
  // or as soon as the child has exited without writing it.
  bool wait_for(std::string_view text, std::chrono::milliseconds limit, bool in_stderr = false);

 private:
  std::filesystem::path out_path_, err_path_;
  pid_t pid_ = -1;
  int status_ = -1;
};

struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs to completion (at most `limit`).
run_result run_program(std::vector<std::string> argv, const std::filesystem::path& cwd,
                       env_list env = {},
                       std::chrono::milliseconds limit = std::chrono::seconds(30));

// A fresh temporary directory, removed with the object.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace test_support
