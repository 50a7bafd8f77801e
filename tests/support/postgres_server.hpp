// A throwaway PostgreSQL server for one test: a fresh cluster (initdb) in a
// temporary directory, on a free loopback port, its socket directory inside
// the temporary directory, fsync off. Started and stopped by PID.
//
// The postmaster is a direct child of the test process (run as the
// `postgres` user when the test runs as root, since initdb and postgres
// refuse root) and is killed by the kernel if the test process dies
// without running the destructor.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace test_support {

class postgres_server {
 public:
  // initdb, then start(). Throws std::runtime_error with a one-line reason
  // and the log's tail on failure (leaving nothing behind). `settings`
  // ("name=value", each given as -c) replace the default "fsync=off".
  explicit postgres_server(std::vector<std::string> settings = {"fsync=off"});
  // stop(), then remove the temporary directory.
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  // "postgresql://postgres@127.0.0.1:<port>/postgres"
  std::string url() const;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // the postmaster's, -1 when stopped
  bool running() const { return pid_ > 0; }

  // Starts the server on the same port and data directory and waits until
  // it accepts connections. No-op if running.
  void start();
  // Fast shutdown (SIGINT to the postmaster's PID), waits until the
  // process is gone; SIGKILL after 10 s.
  void stop();

 private:
  std::string log_tail() const;
  [[noreturn]] void fail(const std::string& what) const;

  std::filesystem::path bin_dir_;
  std::filesystem::path temp_dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  int port_ = -1;
  pid_t pid_ = -1;
  std::vector<std::string> settings_;
};

}  // namespace test_support
