// Scenario "command": the round trip of an update_config command, from the
// JetStream publish to the sensor's command_result on its events subject,
// with one idle sensor and then with a fleet publishing around it.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <random>
#include <unordered_map>

#include "command_consumers.hpp"
#include "iot/command.hpp"
#include "iot/command_result.hpp"
#include "iot/wire.hpp"
#include "measurement_counter.hpp"
#include "nats_asio/jetstream.hpp"
#include "program_process.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace bench {
namespace {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto result_timeout = 5s;

struct case_result {
  std::vector<double> rtt_us;
  std::size_t ready_sensors = 0;
  double ready_seconds = 0;
  std::size_t timeouts = 0;
  std::size_t rejected = 0;
};

// Waits until the sensors publish and their command consumers exist, then
// sends `samples` commands, one at a time, each to a random ready sensor.
awaitable<case_result> measure_round_trips(const bench_env& env, program_process& sensor,
                                           const std::vector<std::string>& ids, std::size_t samples,
                                           std::chrono::seconds ready_limit) {
  const iot::wire_names names;
  nats_asio::connect_options o;
  o.send_asap = true;  // a person or a controller waits on each command
  auto conn = co_await connect(env, o);
  nats_asio::jetstream js(conn);
  case_result r;

  const auto spawned = clock::now();
  std::vector<std::string> ready;
  {
    measurement_counter counter(conn, names.measurements_subject);
    co_await counter.wait_until(
        [&] { return counter.sensors_seen() >= ids.size() || sensor.exit_code().has_value(); },
        spawned + ready_limit);
    if (auto code = sensor.exit_code())
      throw std::runtime_error("iot-sensor exited with " + std::to_string(*code) + ": " +
                               sensor.stderr_tail());
    for (const auto& id : ids)
      if (counter.has_seen(id)) ready.push_back(id);
  }  // no longer counting: the bench's own receiving is not part of the load
  co_await wait_for_command_consumer(js, sensor, spawned + ready_limit);
  r.ready_sensors = ready.size();
  r.ready_seconds = std::chrono::duration<double>(clock::now() - spawned).count();
  if (ready.empty()) throw std::runtime_error("no sensor published within the ready limit");
  env.progress("command: " + std::to_string(ready.size()) + " sensor(s) ready after " +
               std::to_string(static_cast<int>(r.ready_seconds)) + " s");

  auto results = conn.subscribe(names.events_subject + ".>");
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, ready.size() - 1);
  std::unordered_map<std::string, bool> toggled;
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  using namespace asio::experimental::awaitable_operators;

  for (std::size_t i = 0; i < samples; ++i) {
    const auto& id = ready[pick(rng)];
    iot::command cmd;
    cmd.kind = iot::command_kind::update_config;
    // 1000 ms <-> 1001 ms: every command is a change, and the load stays the same.
    const bool flip = toggled[id] = !toggled[id];
    cmd.new_interval = flip ? 1001ms : 1000ms;
    cmd.command_uuid = iot::new_uuid();
    cmd.issued_at = iot::clock::now();
    nats_asio::publish_options po;
    po.msg_id = cmd.command_uuid;
    const auto payload = iot::encode(cmd);
    const auto subject = names.commands_of(id);

    const auto sent = clock::now();
    auto [pec, ack] = co_await js.async_publish(subject, payload, po, as_tuple(use_awaitable));
    if (pec) throw std::runtime_error("publishing a command to " + subject + ": " + pec.message());
    deadline.expires_at(sent + result_timeout);
    bool answered = false;
    while (!answered) {
      auto outcome = co_await (results.async_receive(as_tuple(use_awaitable)) ||
                               deadline.async_wait(as_tuple(use_awaitable)));
      if (outcome.index() == 1) break;
      auto [rec, msg] = std::get<0>(outcome);
      if (rec) throw std::runtime_error("events subscription: " + rec.message());
      iot::command_result result;
      if (!iot::decode_command_result(msg.payload, result).empty()) continue;
      if (result.command_uuid != cmd.command_uuid) continue;
      answered = true;
      if (!result.applied) ++r.rejected;
      r.rtt_us.push_back(std::chrono::duration<double, std::micro>(clock::now() - sent).count());
    }
    if (!answered) ++r.timeouts;
  }
  results.unsubscribe();
  co_await conn.async_close(as_tuple(use_awaitable));
  co_return r;
}

boost::json::object report(const char* which, std::size_t samples, const case_result& r) {
  boost::json::object o;
  o["scenario"] = "command";
  o["case"] = which;
  o["samples"] = samples;
  o["answered"] = r.rtt_us.size();
  o["timeouts"] = r.timeouts;
  o["rejected"] = r.rejected;
  o["p50_us"] = rounded(percentile(r.rtt_us, 50));
  o["p99_us"] = rounded(percentile(r.rtt_us, 99));
  o["max_us"] = rounded(maximum(r.rtt_us));
  o["mean_us"] = rounded(mean(r.rtt_us));
  o["ready_sensors"] = r.ready_sensors;
  o["ready_s"] = rounded(r.ready_seconds, 2);
  o["send_asap"] = true;
  return o;
}

std::vector<std::string> sensor_args(const bench_env& env, const std::string& id, std::size_t count,
                                     std::chrono::milliseconds interval) {
  std::vector<std::string> args{env.sensor_bin, "--sensorID", id, "--interval",
                                std::to_string(interval.count()) + "ms"};
  if (count > 0) {
    args.insert(args.end(), {"--count", std::to_string(count), "--jitter"});
  }
  args.insert(args.end(), {"--quiet", "--nats-url", env.url});
  return args;
}

}  // namespace

void run_command(bench_env& env, const command_params& p, const emit_fn& emit) {
  {
    const double load = load_average();
    env.progress("command: idle, one sensor");
    program_process sensor(sensor_args(env, "bench-1", 0, std::chrono::seconds(1)), env.scratch);
    const std::vector<std::string> ids{"bench-1"};
    auto r = run_coro(env.ioc, measure_round_trips(env, sensor, ids, p.samples, p.ready_limit),
                      p.ready_limit + 600s);
    const int code = sensor.stop(30s);
    auto o = report("idle", p.samples, r);
    o["fleet_size"] = 0;
    o["target_p50_us"] = 1000;
    o["meets_target"] = r.timeouts == 0 && percentile(r.rtt_us, 50) <= 1000;
    o["sensor_exit_code"] = code;
    o["loadavg_1m"] = load;
    emit(std::move(o));
  }
  if (p.fleet_size == 0) return;
  const double load = load_average();
  env.progress("command: under load, fleet of " + std::to_string(p.fleet_size));
  std::vector<std::string> ids;
  for (std::size_t k = 1; k <= p.fleet_size; ++k) ids.push_back("plant." + std::to_string(k));
  program_process fleet(sensor_args(env, "plant", p.fleet_size, p.load_interval), env.scratch);
  auto r = run_coro(env.ioc, measure_round_trips(env, fleet, ids, p.load_samples, p.ready_limit),
                    p.ready_limit + 600s);
  const int code = fleet.stop(60s);
  auto o = report("under_load", p.load_samples, r);
  o["fleet_size"] = p.fleet_size;
  o["interval_ms"] = p.load_interval.count();
  o["target_p99_us"] = 50000;
  o["meets_target"] = r.timeouts == 0 && percentile(r.rtt_us, 99) <= 50000;
  o["sensor_exit_code"] = code;
  o["loadavg_1m"] = load;
  emit(std::move(o));
}

}  // namespace bench
