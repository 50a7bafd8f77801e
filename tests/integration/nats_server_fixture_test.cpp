// The fixture itself: a real server that answers, restarts on its store after
// a crash, and leaves nothing behind.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include "nats_server.hpp"

namespace fs = std::filesystem;
using test_support::nats_server;
using test_support::nats_server_options;

namespace {

// A plain-socket NATS client, just enough to see that a server answers.
class raw_client {
 public:
  explicit raw_client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool connected() const { return connected_; }

  void send(const std::string& data) {
    REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
  }

  // The next line, or "" on timeout / close.
  std::string line(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buf_.find("\r\n"); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 2);
        return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char chunk[4096];
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return "";
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// Connects, reads INFO, and does a CONNECT/PING/PONG round trip. Returns the
// INFO line, or "" if the server did not answer properly.
std::string round_trip(int port, const std::string& connect_json = "{\"verbose\":false}") {
  raw_client c(port);
  if (!c.connected()) return "";
  std::string info = c.line();
  if (info.rfind("INFO ", 0) != 0) return "";
  c.send("CONNECT " + connect_json + "\r\nPING\r\n");
  return c.line() == "PONG" ? info : "";
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

// Gone, or a zombie waiting for a reaper that is not us.
bool process_dead(pid_t pid) {
  if (process_gone(pid)) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  if (!std::getline(stat, all)) return true;
  const auto paren = all.rfind(')');
  return paren != std::string::npos && all.size() > paren + 2 && all[paren + 2] == 'Z';
}

// Sets an environment variable for one scope.
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("the server answers on url() and port() after construction") {
  nats_server server;
  CHECK(server.running());
  CHECK(server.pid() > 0);
  CHECK(server.port() > 0);
  CHECK(server.url() == "nats://127.0.0.1:" + std::to_string(server.port()));
  CHECK(fs::is_directory(server.store_dir()));

  const std::string info = round_trip(server.port());
  REQUIRE(!info.empty());
  CHECK(info.find("\"port\":" + std::to_string(server.port())) != std::string::npos);
  CHECK(info.find("\"jetstream\":true") != std::string::npos);
  // JetStream keeps its data under the fixture's store directory.
  CHECK(fs::is_directory(server.store_dir() / "jetstream"));
}

TEST_CASE("kill_hard then start: same port, same store, new process") {
  nats_server server;
  const int port = server.port();
  const fs::path store = server.store_dir();
  const pid_t first = server.pid();
  std::ofstream(store / "marker.txt") << "kept across a crash";

  server.kill_hard();
  CHECK(!server.running());
  CHECK(server.pid() == -1);
  CHECK(process_gone(first));
  CHECK(round_trip(port).empty());

  server.start();
  CHECK(server.running());
  CHECK(server.pid() > 0);
  CHECK(server.pid() != first);
  CHECK(server.port() == port);
  CHECK(server.store_dir() == store);
  CHECK(!round_trip(port).empty());
  std::ifstream marker(store / "marker.txt");
  std::string text;
  std::getline(marker, text);
  CHECK(text == "kept across a crash");
}

TEST_CASE("stop and start are idempotent") {
  nats_server server;
  const pid_t first = server.pid();
  server.start();  // running: no-op
  CHECK(server.pid() == first);

  server.stop();
  CHECK(!server.running());
  CHECK(server.pid() == -1);
  CHECK(process_gone(first));
  server.stop();  // stopped: no-op
  server.kill_hard();

  server.start();
  CHECK(server.running());
  CHECK(!round_trip(server.port()).empty());
}

TEST_CASE("a server that dies on its own is seen as not running and can be restarted") {
  nats_server server;
  const pid_t first = server.pid();
  REQUIRE(::kill(first, SIGKILL) == 0);
  // It stays a zombie until the fixture reaps it; running() must see through that.
  for (int i = 0; i < 500 && server.running(); ++i) ::usleep(10'000);
  CHECK(!server.running());
  CHECK(server.pid() == -1);
  server.start();
  CHECK(server.running());
  CHECK(process_gone(first));
  CHECK(!round_trip(server.port()).empty());
}

TEST_CASE("after destruction the process and the temporary directory are gone") {
  pid_t pid = -1;
  fs::path store;
  {
    nats_server server;
    pid = server.pid();
    store = server.store_dir();
    std::ofstream(store / "marker.txt") << "x";
    REQUIRE(pid > 0);
  }
  // Reaped by the destructor: no zombie left, so kill() finds nothing.
  CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
  CHECK(process_gone(pid));
  CHECK(!fs::exists(store));
  CHECK(!fs::exists(store.parent_path()));
}

TEST_CASE("two fixtures in one process get different ports and stores") {
  nats_server a;
  nats_server b;
  CHECK(a.port() != b.port());
  CHECK(a.url() != b.url());
  CHECK(a.store_dir() != b.store_dir());
  CHECK(a.pid() != b.pid());
  CHECK(!round_trip(a.port()).empty());
  CHECK(!round_trip(b.port()).empty());
}

TEST_CASE("options: no JetStream, a config file, extra arguments") {
  nats_server_options options;
  options.jetstream = false;
  options.config_text = "server_name: fixture_config_test\n";
  options.extra_args = {"--user", "fixture", "--pass", "secret"};
  nats_server server(options);

  raw_client c(server.port());
  REQUIRE(c.connected());
  const std::string info = c.line();
  CHECK(info.find("\"server_name\":\"fixture_config_test\"") != std::string::npos);
  CHECK(info.find("\"auth_required\":true") != std::string::npos);
  CHECK(info.find("\"jetstream\":true") == std::string::npos);
  CHECK(
      !round_trip(server.port(), R"({"verbose":false,"user":"fixture","pass":"secret"})").empty());
}

TEST_CASE("a server that fails to start: a clear error and nothing left behind") {
  char pattern[] = "/tmp/nats-fixture-test-XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  const fs::path tmp = pattern;
  {
    scoped_env env("TMPDIR", tmp.string());
    nats_server_options options;
    options.extra_args = {"--no-such-flag"};
    const auto t0 = std::chrono::steady_clock::now();
    std::string message;
    try {
      nats_server server(options);
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    INFO(message);
    CHECK(message.find("exited during start-up") != std::string::npos);
    CHECK(message.find("no-such-flag") != std::string::npos);  // from the server's output
    CHECK(message.find('\n') == std::string::npos);
    CHECK(fs::is_empty(tmp));
  }
  fs::remove_all(tmp);
}

TEST_CASE("NATS_SERVER_BIN that does not exist: a clear error") {
  scoped_env env("NATS_SERVER_BIN", "/nonexistent/nats-server");
  CHECK_THROWS_WITH_AS(nats_server(), doctest::Contains("NATS_SERVER_BIN"), std::runtime_error);
}

TEST_CASE("the server inherits no file descriptors but its stdio") {
  // A file deliberately opened without close-on-exec, removed whatever happens.
  struct leaky_file {
    char path[32] = "/tmp/nats-fixture-fd-XXXXXX";
    int fd = ::mkstemp(path);
    ~leaky_file() {
      if (fd >= 0) ::close(fd);
      ::unlink(path);
    }
  } leaky;
  REQUIRE(leaky.fd >= 0);

  nats_server server;
  const fs::path fd_dir = "/proc/" + std::to_string(server.pid()) + "/fd";
  CHECK(fs::read_symlink(fd_dir / "0") == "/dev/null");
  const fs::path log = fs::read_symlink(fd_dir / "1");
  CHECK(log.parent_path() == server.store_dir().parent_path());
  CHECK(fs::read_symlink(fd_dir / "2") == log);
  for (const auto& entry : fs::directory_iterator(fd_dir)) {
    std::error_code ec;
    CHECK(fs::read_symlink(entry.path(), ec) != fs::path(leaky.path));
  }
}

// The test forks a multithreaded process and starts threads in the child,
// which ThreadSanitizer does not support; the other builds run it.
#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif

TEST_CASE("the server dies with a test process that crashes without cleaning up" *
          doctest::skip(under_tsan)) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    try {
      auto* leaked = new nats_server();  // never destroyed: the "crash"
      const std::string report = std::to_string(leaked->pid()) + " " + leaked->store_dir().string();
      [[maybe_unused]] auto n = ::write(fds[1], report.data(), report.size());
    } catch (...) {
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  char chunk[512];
  for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) {
    report.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  const auto space = report.find(' ');
  REQUIRE(space != std::string::npos);
  const pid_t server_pid = std::stoi(report.substr(0, space));
  const fs::path store = report.substr(space + 1);
  bool dead = false;
  for (int i = 0; i < 500 && !(dead = process_dead(server_pid)); ++i) ::usleep(10'000);
  CHECK(dead);
  fs::remove_all(store.parent_path());
}
