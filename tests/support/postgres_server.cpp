#include "postgres_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "nats_server.hpp"  // reserve_port

namespace test_support {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto kReadyTimeout = 30s;
constexpr auto kStopTimeout = 10s;

fs::path find_bin_dir() {
  if (const char* env = std::getenv("PG_BIN"); env != nullptr && *env != '\0') return env;
  for (const char* dir : {"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
                          "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"}) {
    if (::access((fs::path(dir) / "postgres").c_str(), X_OK) == 0) return dir;
  }
  throw std::runtime_error(
      "postgres_server fixture: no PostgreSQL binaries (looked at $PG_BIN and "
      "/usr/lib/postgresql/*/bin); install postgresql");
}

// PostgreSQL refuses to run as root: the children become `postgres`.
struct run_as {
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  bool change = false;
};

run_as server_user() {
  run_as who;
  if (::geteuid() != 0) return who;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) {
    throw std::runtime_error(
        "postgres_server fixture: running as root and there is no `postgres` user");
  }
  who.uid = pw->pw_uid;
  who.gid = pw->pw_gid;
  who.change = true;
  return who;
}

// fork + exec with output to `log`; the child dies with the test process.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  const run_as who = server_user();
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("postgres_server fixture: cannot open " + log.string());
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (who.change &&
        (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0)) {
      ::_exit(126);
    }
    // After setuid, which clears it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid < 0) throw std::runtime_error("postgres_server fixture: fork failed");
  return pid;
}

// Exit status, or -1 if still running (when `block` is false).
int reap(pid_t pid, bool block) {
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, block ? 0 : WNOHANG);
    if (r == 0) return -1;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
}

}  // namespace

postgres_server::postgres_server(std::vector<std::string> settings)
    : bin_dir_(find_bin_dir()), settings_(std::move(settings)) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/iot-pg-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("postgres_server fixture: mkdtemp failed");
  }
  temp_dir_ = pattern;
  data_dir_ = temp_dir_ / "data";
  log_path_ = temp_dir_ / "log";
  try {
    const run_as who = server_user();
    if (who.change && ::chown(temp_dir_.c_str(), who.uid, who.gid) != 0) {
      fail("cannot give " + temp_dir_.string() + " to the postgres user");
    }
    const pid_t initdb =
        spawn({(bin_dir_ / "initdb").string(), "-D", data_dir_.string(), "-A", "trust", "-U",
               "postgres", "--no-sync", "--no-locale", "-E", "UTF8"},
              log_path_);
    if (reap(initdb, true) != 0) fail("initdb failed");
    port_ = reserve_port();
    start();
  } catch (...) {
    stop();
    if (port_ > 0) release_port(port_);
    std::error_code ec;
    fs::remove_all(temp_dir_, ec);
    throw;
  }
}

postgres_server::~postgres_server() {
  try {
    stop();
  } catch (...) {
  }
  if (port_ > 0) release_port(port_);
  std::error_code ec;
  fs::remove_all(temp_dir_, ec);
}

std::string postgres_server::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void postgres_server::start() {
  if (running()) return;
  std::vector<std::string> argv{(bin_dir_ / "postgres").string(),
                                "-D",
                                data_dir_.string(),
                                "-p",
                                std::to_string(port_),
                                "-k",
                                temp_dir_.string(),
                                "-c",
                                "listen_addresses=127.0.0.1"};
  for (const auto& setting : settings_) {
    argv.push_back("-c");
    argv.push_back(setting);
  }
  pid_ = spawn(argv, log_path_);
  const std::string ping = "host=127.0.0.1 port=" + std::to_string(port_) +
                           " user=postgres dbname=postgres connect_timeout=2";
  const auto deadline = steady::now() + kReadyTimeout;
  for (;;) {
    if (PQping(ping.c_str()) == PQPING_OK) return;
    if (const int code = reap(pid_, false); code >= 0) {
      pid_ = -1;
      fail("postgres exited with status " + std::to_string(code) + " while starting");
    }
    if (steady::now() > deadline) fail("postgres did not accept connections within 30 s");
    std::this_thread::sleep_for(20ms);
  }
}

void postgres_server::stop() {
  if (!running()) return;
  // The postmaster is our child: its PID is the one postmaster.pid names,
  // and waitpid tells when it is gone. SIGINT: fast shutdown.
  ::kill(pid_, SIGINT);
  const auto deadline = steady::now() + kStopTimeout;
  while (reap(pid_, false) < 0) {
    if (steady::now() > deadline) {
      ::kill(pid_, SIGKILL);
      reap(pid_, true);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
}

std::string postgres_server::log_tail() const {
  std::ifstream in(log_path_);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return text;
}

void postgres_server::fail(const std::string& what) const {
  throw std::runtime_error("postgres_server fixture: " + what + "; log tail:\n" + log_tail());
}

}  // namespace test_support
