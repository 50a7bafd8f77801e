#include "program_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace bench {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

program_process::program_process(std::vector<std::string> argv, const fs::path& dir) {
  static int counter = 0;
  const auto tag = "sensor-" + std::to_string(++counter);
  out_path_ = dir / (tag + ".out");
  err_path_ = dir / (tag + ".err");

  // Everything the child needs is prepared before fork: between fork and
  // exec only async-signal-safe calls are allowed (nats.c threads run here).
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const std::string cwd = dir.string(), out = out_path_.string(), err = err_path_.string();
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) {
    const int e = errno;
    ::close(error_pipe[0]);
    ::close(error_pipe[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(e));
  }
  if (pid_ == 0) {
    auto die = [&] {
      const int e = errno;
      [[maybe_unused]] auto n = ::write(error_pipe[1], &e, sizeof e);
      ::_exit(127);
    };
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die();
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::chdir(cwd.c_str()) != 0) die();
    const int in_fd = ::open("/dev/null", O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) die();
    if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) die();
    // Nothing else of the benchmark's (sockets, the server's pipes) leaks in.
    ::close_range(3, static_cast<unsigned>(error_pipe[1]) - 1, 0);
    ::close_range(static_cast<unsigned>(error_pipe[1]) + 1, ~0U, 0);
    ::execve(args[0], args.data(), environ);
    die();
  }
  ::close(error_pipe[1]);
  int child_errno = 0;
  const auto n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
  ::close(error_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(child_errno));
  }
}

program_process::~program_process() {
  if (pid_ > 0 && !code_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::optional<int> program_process::exit_code() {
  if (code_ || pid_ <= 0) return code_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) code_ = decode_status(status);
  return code_;
}

int program_process::stop(std::chrono::milliseconds limit) {
  if (!exit_code()) ::kill(pid_, SIGTERM);
  return wait(limit);
}

int program_process::wait(std::chrono::milliseconds limit) {
  if (exit_code()) return *code_;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exit_code()) return *code_;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  code_ = decode_status(status);
  return *code_;
}

std::string program_process::stderr_tail(std::size_t bytes) const {
  auto text = slurp(err_path_);
  if (text.size() > bytes) text = "..." + text.substr(text.size() - bytes);
  for (auto& ch : text)
    if (ch == '\n') ch = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string program_process::stdout_text() const { return slurp(out_path_); }

scratch_dir::scratch_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/iot-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = pattern;
}

scratch_dir::~scratch_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace bench
