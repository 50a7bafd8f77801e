// Scenario "cli": iot-sim as a whole process, from spawn to exit, the way a
// person or a script pays for it; beside it, in the same run and interleaved
// with it, the floors no command can go below: /bin/true (a process at all),
// iot-sim --help (the program without NATS) and iot-bench-oneshot (nats.c
// alone: open, connect, one KV get, close).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "iot/wire.hpp"
#include "program_process.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

extern char** environ;

namespace bench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr double target_ms = 5;
constexpr const char* sensor_id = "cli-1";

struct run_result {
  double ms = 0;
  int code = -1;
};

// Spawns `argv` in `dir` with stdout and stderr to files there, and waits for
// it: the time from just before posix_spawn to waitpid's return.
run_result timed_run(const std::vector<std::string>& argv, const fs::path& dir) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto out = (dir / "cli.out").string(), err = (dir / "cli.err").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const auto start = clock::now();
  const int e = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (e != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(e));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run_result r;
  r.ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What a failed run said, on one line.
std::string failure(const std::string& name, const run_result& r, const fs::path& dir) {
  auto text = slurp(dir / "cli.err");
  for (auto& ch : text)
    if (ch == '\n') ch = ' ';
  return name + " exited with " + std::to_string(r.code) + ": " + text.substr(0, 300);
}

// Runs `argv` until it exits with 0 (the sensor's config stored, the history
// service answering), at most `limit`.
void wait_until_ok(const std::string& name, const std::vector<std::string>& argv,
                   const fs::path& dir, std::chrono::seconds limit) {
  const auto deadline = clock::now() + limit;
  for (;;) {
    const auto r = timed_run(argv, dir);
    if (r.code == 0) return;
    if (clock::now() > deadline) throw std::runtime_error(failure(name, r, dir));
    std::this_thread::sleep_for(200ms);
  }
}

struct timed_command {
  std::string name;
  std::vector<std::string> argv;
  bool floor = false;
};

struct samples {
  std::vector<double> ms;
  std::vector<double> round_trip_ms;  // edit_config: the sensor's answer, as iot-sim reports it
};

// "applied by cli-1 in 1.3 ms; ..." -> 1.3
std::optional<double> reported_round_trip(const std::string& out) {
  static const std::regex applied(R"(applied by \S+ in ([0-9.]+) ms)");
  std::smatch m;
  if (!std::regex_search(out, m, applied)) return std::nullopt;
  return std::stod(m[1].str());
}

}  // namespace

void run_cli(bench_env& env, const cli_params& p, const emit_fn& emit) {
  const auto dir = env.scratch / "cli";
  fs::create_directories(dir);
  const iot::wire_names names;
  program_process sensor({env.sensor_bin, "--sensorID", sensor_id, "--interval", "1s", "--quiet",
                          "--nats-url", env.url},
                         dir);
  std::optional<program_process> server;
  if (p.history)
    server.emplace(std::vector<std::string>{env.server_bin, "--role", "all", "--db",
                                            "sqlite:" + (dir / "iot.db").string(), "--http-listen",
                                            "127.0.0.1:0", "--nats-url", env.url},
                   dir);

  auto sim = [&](std::vector<std::string> args) {
    args.insert(args.begin(), env.sim_bin);
    args.insert(args.end(), {"--nats-url", env.url});
    return args;
  };
  std::vector<timed_command> commands{
      {"true", {"/bin/true"}, true},
      {"help", sim({"--help"}), true},
      {"nats_c_oneshot",
       {env.oneshot_bin, env.url, names.config_bucket, iot::wire_names::config_key(sensor_id)},
       true},
      {"get_config", sim({"get_config", "--sensorID", sensor_id})},
      {"list", sim({"list"})},
      {"edit_config", {}},
  };
  if (p.history)
    commands.push_back({"history", sim({"history", "--sensorID", sensor_id, "--since", "1m"})});
  // --help's own arguments take no --nats-url.
  commands[1].argv = {env.sim_bin, "--help"};

  env.progress("cli: waiting for iot-sensor's config" +
               std::string(p.history ? " and iot-server's history service" : ""));
  wait_until_ok("iot-sim get_config", commands[3].argv, dir, 60s);
  if (server) wait_until_ok("iot-sim history", commands.back().argv, dir, 60s);

  std::vector<samples> timed(commands.size());
  const double load = load_average();
  env.progress("cli: " + std::to_string(p.runs) + " runs of each command, interleaved");
  for (std::size_t i = 0; i < p.warmup + p.runs; ++i) {
    // 1000 ms <-> 1001 ms: every edit is a change the sensor applies.
    commands[5].argv = sim(
        {"edit_config", "--sensorID", sensor_id, "--interval", i % 2 == 0 ? "1001ms" : "1000ms"});
    for (std::size_t k = 0; k < commands.size(); ++k) {
      const auto& c = commands[k];
      const auto r = timed_run(c.argv, dir);
      if (r.code != 0) throw std::runtime_error(failure(c.name, r, dir));
      if (i < p.warmup) continue;  // the page cache and the server's own caches
      timed[k].ms.push_back(r.ms);
      if (c.name == "edit_config")
        if (auto rt = reported_round_trip(slurp(dir / "cli.out")))
          timed[k].round_trip_ms.push_back(*rt);
    }
  }
  if (auto code = sensor.exit_code())
    throw std::runtime_error("iot-sensor exited with " + std::to_string(*code) + ": " +
                             sensor.stderr_tail());

  const double true_ms = median(timed[0].ms), help_ms = median(timed[1].ms),
               oneshot_ms = median(timed[2].ms);
  for (std::size_t k = 0; k < commands.size(); ++k) {
    const auto& c = commands[k];
    const auto& t = timed[k];
    boost::json::object o;
    o["scenario"] = "cli";
    o["command"] = c.name;
    o["runs"] = t.ms.size();
    o["p50_ms"] = rounded(median(t.ms), 2);
    o["p90_ms"] = rounded(percentile(t.ms, 90), 2);
    o["min_ms"] = rounded(percentile(t.ms, 0), 2);
    if (c.floor) {
      o["floor"] = true;
    } else {
      o["vs_true"] = rounded(ratio(median(t.ms), true_ms), 2);
      o["vs_help"] = rounded(ratio(median(t.ms), help_ms), 2);
      o["vs_nats_c_oneshot"] = rounded(ratio(median(t.ms), oneshot_ms), 2);
      o["target_ms"] = target_ms;
      o["meets_target"] = median(t.ms) <= target_ms;
    }
    if (!t.round_trip_ms.empty()) {
      // Included in p50_ms: from the command's publish to the sensor's result.
      o["round_trip_p50_ms"] = rounded(median(t.round_trip_ms), 2);
      o["p50_without_round_trip_ms"] = rounded(median(t.ms) - median(t.round_trip_ms), 2);
    }
    o["loadavg_1m"] = load;
    emit(std::move(o));
  }
  if (server) server->stop(30s);
  sensor.stop(30s);
}

}  // namespace bench
