// A real nats-server for one test: free loopback ports, a temporary store,
// started and stopped by PID.
//
// The server runs as a child of the test process, with stdout/stderr going to
// a log file in the fixture's temporary directory and no other inherited file
// descriptors. It is killed by the kernel if the test process dies without
// running the destructor (abort, sanitizer report, SIGKILL), so a crashed
// test does not leave servers behind.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace test_support {

struct nats_server_options {
  bool jetstream = true;
  // If non-empty: written to a file in the temporary directory and passed
  // with -c (port and store flags are still given on the command line, and
  // the command line wins).
  std::string config_text;
  std::vector<std::string> extra_args;  // appended to the command line
  // false: the constructor only picks ports; launch() and await_ready() (or
  // start()) run it. For servers that are ready only together (a cluster).
  bool start = true;
};

// A free loopback port no live fixture of this process holds; give it back
// with release_port(). For ports a configuration names (cluster routes).
int reserve_port();
void release_port(int port);

class nats_server {
 public:
  // Picks free loopback ports, makes a temporary directory (mkdtemp under
  // $TMPDIR or /tmp), starts the server and waits until it answers. Throws
  // std::runtime_error with a one-line reason, including the server's log
  // tail, on failure (and then leaves nothing behind).
  explicit nats_server(nats_server_options options = {});
  // stop(), then remove the whole temporary directory.
  ~nats_server();
  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  std::string url() const;  // "nats://127.0.0.1:<port>"
  int port() const;
  std::filesystem::path store_dir() const;
  pid_t pid() const;  // -1 when not running
  bool running() const;

  // (Re)starts on the same ports and the same store, and waits until ready.
  // No-op if running. Throws std::runtime_error like the constructor.
  void start();
  // start() in two halves: spawn the process (no-op if running), then wait
  // until it answers (throws like start()).
  void launch();
  void await_ready();
  // Waits until the client port accepts connections, not for JetStream:
  // a clustered node is then still electing its meta leader.
  void await_listening();
  // SIGTERM by PID, waitpid for up to 10 s, then SIGKILL + waitpid.
  void stop();
  // SIGKILL by PID + waitpid: simulates a crash.
  void kill_hard();

 private:
  void spawn();
  void wait_ready(bool listening_only = false);
  // "" when ready (or, listening_only, when it accepts clients), else what is missing.
  std::string probe_ready(bool listening_only = false) const;
  void reap_blocking();
  std::vector<std::string> command_line() const;
  std::string describe() const;
  std::string log_tail() const;
  bool log_mentions_port_conflict() const;

  nats_server_options options_;
  std::filesystem::path binary_;
  std::filesystem::path temp_dir_;
  std::filesystem::path store_dir_;
  std::filesystem::path log_path_;
  std::filesystem::path config_path_;
  int port_ = -1;
  int monitor_port_ = -1;
  pid_t pid_ = -1;
  std::uintmax_t log_offset_ = 0;  // where the current run's output starts
};

}  // namespace test_support
