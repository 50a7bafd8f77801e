#include "nats_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace test_support {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto kReadyTimeout = 15s;
constexpr auto kPollInterval = 20ms;
constexpr auto kProbeTimeout = 1s;
constexpr auto kStopTimeout = 10s;
constexpr int kStartAttempts = 3;

std::string errno_text(int err) { return std::system_category().message(err); }

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("nats_server fixture: " + what);
}

// ---------------------------------------------------------------------------
// File descriptors

class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Moves a close-on-exec descriptor above 0..2, so that the child can dup2()
// onto stdin/stdout/stderr without clobbering it even when the test process
// runs with one of those closed.
unique_fd above_stdio(unique_fd fd) {
  if (!fd || fd.get() > STDERR_FILENO) return fd;
  const int high = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (high < 0) fail("fcntl(F_DUPFD_CLOEXEC) failed: " + errno_text(errno));
  return unique_fd(high);
}

// ---------------------------------------------------------------------------
// Locating the binary

bool is_executable_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

fs::path find_binary() {
  if (const char* env = std::getenv("NATS_SERVER_BIN"); env != nullptr && *env != '\0') {
    if (!is_executable_file(env)) {
      fail(std::string("NATS_SERVER_BIN=") + env + " is not an executable file");
    }
    return env;
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      if (dir.empty()) continue;
      fs::path candidate = fs::path(dir) / "nats-server";
      if (is_executable_file(candidate)) return candidate;
    }
  }
  for (const char* candidate : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (is_executable_file(candidate)) return candidate;
  }
  fail(
      "nats-server not found (looked at $NATS_SERVER_BIN, $PATH, /usr/sbin, /usr/bin); "
      "install the nats-server package (tools/setup.sh) or set NATS_SERVER_BIN");
}

// ---------------------------------------------------------------------------
// Free ports. Both ports of a fixture are bound at the same time (so they
// differ), and ports held by live fixtures of this process are never handed
// out again.

std::mutex& ports_mutex() {
  static std::mutex m;
  return m;
}

std::set<int>& ports_in_use() {
  static std::set<int> ports;
  return ports;
}

unique_fd bind_ephemeral(int& port) {
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) fail("socket() failed: " + errno_text(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    fail("cannot bind a free port on 127.0.0.1: " + errno_text(errno));
  }
  port = ntohs(addr.sin_port);
  return fd;
}

std::pair<int, int> reserve_ports() {
  std::lock_guard lock(ports_mutex());
  auto& used = ports_in_use();
  for (int tries = 0; tries < 100; ++tries) {
    int client = 0;
    int monitor = 0;
    unique_fd a = bind_ephemeral(client);
    unique_fd b = bind_ephemeral(monitor);
    if (used.count(client) == 0 && used.count(monitor) == 0) {
      used.insert(client);
      used.insert(monitor);
      return {client, monitor};
    }
  }
  fail("cannot find two free loopback ports");
}

void release_ports(int client, int monitor) {
  std::lock_guard lock(ports_mutex());
  ports_in_use().erase(client);
  ports_in_use().erase(monitor);
}

int reserve_one_port() {
  std::lock_guard lock(ports_mutex());
  auto& used = ports_in_use();
  for (int tries = 0; tries < 100; ++tries) {
    int port = 0;
    unique_fd fd = bind_ephemeral(port);
    if (used.insert(port).second) return port;
  }
  fail("cannot find a free loopback port");
}

// ---------------------------------------------------------------------------
// Spawning. All forks happen on one thread that lives as long as the process:
// the child asks for SIGKILL when the thread that forked it goes away
// (PR_SET_PDEATHSIG is tied to the forking *thread*), so the server dies with
// the test process but not with a short-lived test thread that called start().

class spawner {
 public:
  static spawner& instance() {
    // Never destroyed, like its thread. A forked child of the test process
    // has no such thread: it gets a spawner of its own.
    static std::mutex m;
    static spawner* s = nullptr;
    static pid_t owner = -1;
    std::lock_guard lock(m);
    if (s == nullptr || owner != ::getpid()) {
      s = new spawner(s);  // keeps the parent's one reachable (no leak report)
      owner = ::getpid();
    }
    return *s;
  }

  pid_t run(std::packaged_task<pid_t()> task) {
    auto result = task.get_future();
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return result.get();
  }

 private:
  explicit spawner(spawner* previous) : previous_(previous) {
    // The thread blocks every signal, so that signals meant for the test go
    // elsewhere; the child unblocks them before exec.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    std::thread([this] { loop(); }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  [[noreturn]] void loop() {
    for (;;) {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return !queue_.empty(); });
      auto task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
    }
  }

  spawner* previous_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<pid_t()>> queue_;
};

// Reports errno to the parent through the error pipe and exits.
[[noreturn]] void child_fail(int err_fd) {
  const int err = errno;
  [[maybe_unused]] auto n = ::write(err_fd, &err, sizeof err);
  ::_exit(127);
}

// In the child between fork and exec only async-signal-safe calls are made.
[[noreturn]] void child_exec(char* const* argv, char* const* envp, int null_fd, int log_fd,
                             int err_fd, pid_t parent, int max_fd) {
  auto die = [err_fd]() { child_fail(err_fd); };
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die();
  if (::getppid() != parent) ::_exit(127);  // the test process is already gone

  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (::dup2(null_fd, STDIN_FILENO) < 0) die();
  if (::dup2(log_fd, STDOUT_FILENO) < 0) die();
  if (::dup2(log_fd, STDERR_FILENO) < 0) die();

  // Close everything else but the error pipe (which is close-on-exec).
  const int first = STDERR_FILENO + 1;
  bool closed = true;
  if (err_fd > first && ::close_range(first, static_cast<unsigned>(err_fd - 1), 0) != 0) {
    closed = false;
  }
  if (closed && ::close_range(static_cast<unsigned>(err_fd + 1), ~0U, 0) != 0) closed = false;
  if (!closed) {
    for (int fd = first; fd < max_fd; ++fd) {
      if (fd != err_fd) ::close(fd);
    }
  }

  ::execve(argv[0], argv, envp);
  child_fail(err_fd);
}

pid_t spawn_process(const std::vector<std::string>& args, const fs::path& log_path) {
  std::vector<std::string> storage = args;
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  unique_fd null_fd = above_stdio(unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (!null_fd) fail("cannot open /dev/null: " + errno_text(errno));
  unique_fd log_fd = above_stdio(
      unique_fd(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)));
  if (!log_fd) fail("cannot open " + log_path.string() + ": " + errno_text(errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail("pipe2() failed: " + errno_text(errno));
  unique_fd err_read(pipe_fds[0]);
  unique_fd err_write = above_stdio(unique_fd(pipe_fds[1]));

  rlimit lim{};
  int max_fd = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    max_fd = static_cast<int>(std::min<rlim_t>(lim.rlim_cur, 1 << 20));
  }

  std::packaged_task<pid_t()> task([&]() -> pid_t {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      child_exec(argv.data(), environ, null_fd.get(), log_fd.get(), err_write.get(), parent,
                 max_fd);
    }
    return pid < 0 ? -errno : pid;  // errno is per thread: hand it back
  });
  const pid_t pid = spawner::instance().run(std::move(task));
  if (pid < 0) fail("fork() failed: " + errno_text(-pid));
  err_write.reset();

  // EOF on the pipe: exec succeeded. An int: the errno of the failed step.
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return pid;
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    fail("cannot execute " + args.front() + ": " + errno_text(child_errno));
  }
  fail("cannot execute " + args.front() + " (child failed before exec)");
}

// waitpid() that retries on EINTR. Returns true when the child is gone
// (reaped now, or already reaped by someone else: ECHILD).
bool reap(pid_t pid, int flags, int* status = nullptr) {
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, flags);
    if (r == pid) {
      if (status != nullptr) *status = st;
      return true;
    }
    if (r == 0) return false;
    if (errno == EINTR) continue;
    return true;  // ECHILD: not ours any more
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// ---------------------------------------------------------------------------
// Probing over loopback TCP with deadlines (non-blocking sockets + poll).

int millis_until(steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 60'000));
}

// Returns "" on success, else the reason.
std::string wait_for(int fd, short events, steady::time_point deadline, const char* what) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, millis_until(deadline));
    if (r > 0) return "";
    if (r == 0) return std::string("timed out ") + what;
    if (errno != EINTR) return std::string("poll() failed ") + what + ": " + errno_text(errno);
  }
}

std::string connect_loopback(int port, steady::time_point deadline, unique_fd& out) {
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return "socket() failed: " + errno_text(errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string where = "127.0.0.1:" + std::to_string(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) return "connect to " + where + ": " + errno_text(errno);
    if (auto e = wait_for(fd.get(), POLLOUT, deadline, "connecting"); !e.empty()) {
      return e + " to " + where;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return "connect to " + where + ": " + errno_text(err);
  }
  out = std::move(fd);
  return "";
}

std::string send_all(int fd, std::string_view data, steady::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto e = wait_for(fd, POLLOUT, deadline, "sending"); !e.empty()) return e;
    } else if (n < 0 && errno != EINTR) {
      return "send() failed: " + errno_text(errno);
    }
  }
  return "";
}

// Reads until a newline (until_eof = false) or until the peer closes.
std::string receive(int fd, steady::time_point deadline, bool until_eof, std::string& buf) {
  constexpr std::size_t kMax = 1 << 20;
  for (;;) {
    if (!until_eof && buf.find('\n') != std::string::npos) return "";
    if (buf.size() > kMax) return "reply too large";
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      buf.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return until_eof ? "" : "connection closed before a full line";
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto e = wait_for(fd, POLLIN, deadline, "waiting for a reply"); !e.empty()) return e;
    } else if (errno != EINTR) {
      return "recv() failed: " + errno_text(errno);
    }
  }
}

// The first line the client port sends ("INFO {...}").
std::string read_info(int port, steady::time_point deadline, std::string& line) {
  unique_fd fd;
  if (auto e = connect_loopback(port, deadline, fd); !e.empty()) return e;
  std::string buf;
  if (auto e = receive(fd.get(), deadline, false, buf); !e.empty()) return "client port: " + e;
  line = buf.substr(0, buf.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.rfind("INFO ", 0) != 0)
    return "client port answered without INFO: " + line.substr(0, 80);
  return "";
}

// A minimal HTTP/1.0 GET; the server closes the connection after the reply.
std::string http_get(int port, const std::string& path, steady::time_point deadline, int& status,
                     std::string& body) {
  unique_fd fd;
  if (auto e = connect_loopback(port, deadline, fd); !e.empty()) return e;
  const std::string request = "GET " + path +
                              " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                              "Accept: application/json\r\n\r\n";
  if (auto e = send_all(fd.get(), request, deadline); !e.empty()) return "GET " + path + ": " + e;
  std::string reply;
  if (auto e = receive(fd.get(), deadline, true, reply); !e.empty())
    return "GET " + path + ": " + e;
  // "HTTP/1.1 200 OK"
  if (reply.rfind("HTTP/1.", 0) != 0 || reply.size() < 12) {
    return "GET " + path + ": not an HTTP reply";
  }
  status = std::atoi(reply.c_str() + 9);
  const auto header_end = reply.find("\r\n\r\n");
  body = header_end == std::string::npos ? std::string() : reply.substr(header_end + 4);
  return "";
}

std::string without_space(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }),
          s.end());
  return s;
}

// The value of "key": "value" in a JSON text (no escapes expected).
std::string json_string_field(const std::string& json, const std::string& key) {
  const std::string compact = without_space(json);
  const std::string needle = "\"" + key + "\":\"";
  const auto at = compact.find(needle);
  if (at == std::string::npos) return "";
  const auto begin = at + needle.size();
  const auto end = compact.find('"', begin);
  return end == std::string::npos ? "" : compact.substr(begin, end - begin);
}

// Joins the non-empty lines of text with " | ", keeping the last max_chars.
std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    if (!out.empty()) out += " | ";
    bool space = false;  // collapse runs of blanks
    for (char c : line) {
      const bool blank = std::isspace(static_cast<unsigned char>(c)) != 0;
      if (blank && (space || out.empty() || out.back() == ' ')) continue;
      out += blank ? ' ' : c;
      space = blank;
    }
  }
  if (out.size() > max_chars) out = "..." + out.substr(out.size() - max_chars);
  return out;
}

fs::path make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  if (pattern.back() != '/') pattern += '/';
  pattern += "nats-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    fail("mkdtemp(" + pattern + ") failed: " + errno_text(errno));
  }
  return pattern;
}

}  // namespace

// ---------------------------------------------------------------------------

int reserve_port() { return reserve_one_port(); }

void release_port(int port) {
  std::lock_guard lock(ports_mutex());
  ports_in_use().erase(port);
}

nats_server::nats_server(nats_server_options options) : options_(std::move(options)) {
  binary_ = find_binary();
  temp_dir_ = make_temp_dir();
  store_dir_ = temp_dir_ / "store";
  log_path_ = temp_dir_ / "nats-server.log";
  try {
    fs::create_directories(store_dir_);
    if (!options_.config_text.empty()) {
      config_path_ = temp_dir_ / "nats-server.conf";
      std::ofstream conf(config_path_);
      conf << options_.config_text;
      if (!conf.flush()) fail("cannot write " + config_path_.string());
    }
    if (!options_.start) {
      std::tie(port_, monitor_port_) = reserve_ports();
      return;
    }
    for (int attempt = 1;; ++attempt) {
      std::tie(port_, monitor_port_) = reserve_ports();
      try {
        start();
        return;
      } catch (const std::runtime_error&) {
        const bool retry = attempt < kStartAttempts && log_mentions_port_conflict();
        release_ports(port_, monitor_port_);
        port_ = monitor_port_ = -1;
        if (!retry) throw;
      }
    }
  } catch (...) {
    if (pid_ > 0) kill_hard();
    std::error_code ec;
    fs::remove_all(temp_dir_, ec);
    throw;
  }
}

nats_server::~nats_server() {
  try {
    stop();
  } catch (...) {
  }
  if (port_ > 0) release_ports(port_, monitor_port_);
  std::error_code ec;
  fs::remove_all(temp_dir_, ec);
}

std::string nats_server::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

int nats_server::port() const { return port_; }

fs::path nats_server::store_dir() const { return store_dir_; }

pid_t nats_server::pid() const { return running() ? pid_ : -1; }

bool nats_server::running() const {
  if (pid_ <= 0) return false;
  // WNOWAIT: look without reaping, so that this stays const and stop() or
  // start() still reap an exited child.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return false;  // ECHILD: reaped by someone else
  }
  return info.si_pid == 0;
}

void nats_server::start() {
  if (running()) return;
  launch();
  await_ready();
}

void nats_server::launch() {
  if (running()) return;
  if (pid_ > 0) reap_blocking();  // exited on its own: collect it
  spawn();
}

void nats_server::await_ready() {
  if (pid_ <= 0) fail(describe() + " was not launched");
  try {
    wait_ready();
  } catch (...) {
    if (pid_ > 0) kill_hard();
    throw;
  }
}

void nats_server::await_listening() {
  if (pid_ <= 0) fail(describe() + " was not launched");
  try {
    wait_ready(true);
  } catch (...) {
    if (pid_ > 0) kill_hard();
    throw;
  }
}

void nats_server::stop() {
  if (pid_ <= 0) return;
  if (!reap(pid_, WNOHANG)) {
    ::kill(pid_, SIGTERM);
    const auto deadline = steady::now() + kStopTimeout;
    bool gone = false;
    while (!(gone = reap(pid_, WNOHANG)) && steady::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    if (!gone) {
      ::kill(pid_, SIGKILL);
      reap(pid_, 0);
    }
  }
  pid_ = -1;
}

void nats_server::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  reap(pid_, 0);
  pid_ = -1;
}

void nats_server::reap_blocking() {
  reap(pid_, 0);
  pid_ = -1;
}

std::vector<std::string> nats_server::command_line() const {
  std::vector<std::string> args{binary_.string(),
                                "-a",
                                "127.0.0.1",
                                "-p",
                                std::to_string(port_),
                                "-m",
                                std::to_string(monitor_port_)};
  if (options_.jetstream) args.insert(args.end(), {"-js", "-sd", store_dir_.string()});
  if (!config_path_.empty()) args.insert(args.end(), {"-c", config_path_.string()});
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  return args;
}

void nats_server::spawn() {
  std::error_code ec;
  const auto size = fs::file_size(log_path_, ec);
  log_offset_ = ec ? 0 : size;
  pid_ = spawn_process(command_line(), log_path_);
}

void nats_server::wait_ready(bool listening_only) {
  const auto deadline = steady::now() + kReadyTimeout;
  std::string missing;
  for (;;) {
    int status = 0;
    if (reap(pid_, WNOHANG, &status)) {
      pid_ = -1;
      fail(describe() + " exited during start-up (" + describe_status(status) +
           "); log tail: " + log_tail());
    }
    missing = probe_ready(listening_only);
    if (missing.empty()) {
      // Still ours and alive: the answers did not come from a dying child.
      if (!reap(pid_, WNOHANG, &status)) return;
      pid_ = -1;
      fail(describe() + " exited during start-up (" + describe_status(status) +
           "); log tail: " + log_tail());
    }
    if (steady::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  fail(describe() + " not ready within " + std::to_string(kReadyTimeout.count()) +
       " s (last check: " + missing + "); log tail: " + log_tail());
}

std::string nats_server::probe_ready(bool listening_only) const {
  const auto deadline = steady::now() + kProbeTimeout;
  std::string info;
  if (auto e = read_info(port_, deadline, info); !e.empty()) return e;
  int status = 0;
  std::string body;
  if (options_.jetstream && !listening_only) {
    if (auto e = http_get(monitor_port_, "/healthz", deadline, status, body); !e.empty()) return e;
    if (status != 200 || without_space(body).find("\"status\":\"ok\"") == std::string::npos) {
      return "/healthz answered " + std::to_string(status) + " " + one_line(body, 200);
    }
  }
  // The client port must be served by the same server as our monitor port
  // (and not by some other process that grabbed the port).
  if (auto e = http_get(monitor_port_, "/varz", deadline, status, body); !e.empty()) return e;
  const std::string ours = json_string_field(body, "server_id");
  const std::string theirs = json_string_field(info.substr(5), "server_id");
  if (status != 200 || ours.empty() || ours != theirs) {
    return "client port 127.0.0.1:" + std::to_string(port_) +
           " is served by another server than the one on the monitor port";
  }
  return "";
}

std::string nats_server::describe() const {
  std::string cmd;
  for (const auto& a : command_line()) cmd += (cmd.empty() ? "" : " ") + a;
  return "nats-server on 127.0.0.1:" + std::to_string(port_) + " [" + cmd + "]";
}

std::string nats_server::log_tail() const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return "(no log)";
  in.seekg(static_cast<std::streamoff>(log_offset_));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The current run's last 15 lines at most.
  std::size_t begin = text.size();
  while (begin > 0 && (text[begin - 1] == '\n' || text[begin - 1] == '\r')) --begin;
  for (int lines = 0; lines < 15 && begin > 0; ++lines) {
    const auto nl = text.rfind('\n', begin - 1);
    begin = nl == std::string::npos ? 0 : nl;
  }
  const std::string line = one_line(std::string_view(text).substr(begin), 2000);
  return line.empty() ? "(log empty)" : line;
}

bool nats_server::log_mentions_port_conflict() const {
  std::string tail = log_tail();
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tail.find("address already in use") != std::string::npos;
}

}  // namespace test_support
