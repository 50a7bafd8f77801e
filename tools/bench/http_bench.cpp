// Scenario "http": iot-server's REST API under load, each figure beside its
// limit measured in the same run.
//   get_config  wrk, keep-alive, against GET /api/v1/sensors/{id}/config,
//               and against a minimal Beast server answering a fixed body
//               (the limit): requests/s, p50 and p99, and their ratio.
//   put_config  PUT /api/v1/sensors/{id}/config to an idle sensor, one at a
//               time on one keep-alive connection: the round trip to the
//               sensor's result, p50 and p99.
//   events      clients each following sensors of a fleet at 1 s through
//               GET /api/v1/events: every event delivered (no gap in any
//               sensor's seq on any client), and from the measurement's
//               timestamp to the client, p50 and p99.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <map>
#include <memory>

#include "bare_http_server.hpp"
#include "http/client.hpp"
#include "iot/timestamp.hpp"
#include "process_stats.hpp"
#include "program_process.hpp"
#include "program_stop.hpp"
#include "scenarios.hpp"
#include "stats.hpp"
#include "wrk_run.hpp"

namespace bench {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using verb = boost::beast::http::verb;

double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

// iot-server's HTTP port, from its log ("HTTP API on http://127.0.0.1:PORT").
awaitable<unsigned short> served_port(program_process& server) {
  const auto deadline = clock::now() + 60s;
  for (;;) {
    const auto log = server.stderr_tail(8192);
    const auto at = log.find("HTTP API on http://127.0.0.1:");
    if (at != std::string::npos)
      co_return static_cast<unsigned short>(std::stoul(log.substr(at + 29)));
    if (auto code = server.exit_code())
      throw std::runtime_error("iot-server exited with " + std::to_string(*code) + ": " +
                               server.stderr_tail());
    if (clock::now() > deadline) throw std::runtime_error("iot-server did not serve HTTP in time");
    co_await sleep_for(50ms);
  }
}

// Until GET `target` answers 200 (the registry has the sensors).
awaitable<void> wait_for_ok(unsigned short port, const std::string& target,
                            std::chrono::seconds limit) {
  const auto deadline = clock::now() + limit;
  auto conn = co_await http::client::open({asio::ip::make_address("127.0.0.1"), port});
  while ((co_await conn.request(verb::get, target)).status != 200) {
    if (clock::now() > deadline) throw std::runtime_error("GET " + target + " never answered 200");
    co_await sleep_for(100ms);
  }
}

json::object get_config(const bench_env& env, const http_params& p, unsigned short port) {
  bare_http_server bare;
  const auto dir = env.scratch;
  env.progress("http: wrk against a bare Beast server (the limit), " + std::to_string(p.seconds) +
               " s");
  const auto limit = run_wrk("http://127.0.0.1:" + std::to_string(bare.port()) + "/", 2,
                             p.connections, p.seconds, dir);
  env.progress("http: wrk against GET /api/v1/sensors/cfg-1/config, " + std::to_string(p.seconds) +
               " s");
  const auto api =
      run_wrk("http://127.0.0.1:" + std::to_string(port) + "/api/v1/sensors/cfg-1/config", 2,
              p.connections, p.seconds, dir);
  json::object o;
  o["scenario"] = "http";
  o["case"] = "get_config";
  o["connections"] = p.connections;
  o["seconds"] = p.seconds;
  o["requests_per_s"] = rounded(api.requests_per_second);
  o["p50_ms"] = rounded(api.p50_ms, 2);
  o["p99_ms"] = rounded(api.p99_ms, 2);
  o["errors"] = api.errors;
  o["limit_requests_per_s"] = rounded(limit.requests_per_second);
  o["limit_p99_ms"] = rounded(limit.p99_ms, 2);
  o["ratio"] = rounded(ratio(api.requests_per_second, limit.requests_per_second), 2);
  o["load_average"] = rounded(load_average(), 2);
  return o;
}

awaitable<json::object> put_config(const http_params& p, unsigned short port) {
  auto conn = co_await http::client::open({asio::ip::make_address("127.0.0.1"), port});
  std::vector<double> ms;
  std::size_t other = 0;
  for (std::size_t i = 0; i < p.put_samples; ++i) {
    // Alternating, so that every command changes the config.
    const std::string body = i % 2 ? R"({"interval":"11s"})" : R"({"interval":"10s"})";
    const auto began = clock::now();
    auto reply =
        co_await conn.request(verb::put, "/api/v1/sensors/cfg-1/config", body, "application/json");
    ms.push_back(seconds_since(began) * 1000);
    if (reply.status != 200) ++other;
  }
  json::object o;
  o["scenario"] = "http";
  o["case"] = "put_config";
  o["samples"] = p.put_samples;
  o["not_applied"] = other;
  o["p50_ms"] = rounded(percentile(ms, 50), 2);
  o["p99_ms"] = rounded(percentile(ms, 99), 2);
  o["max_ms"] = rounded(maximum(ms), 2);
  co_return o;
}

struct event_tally {
  std::vector<double> latency_ms;  // within the window
  std::size_t events = 0, gaps = 0, failed_clients = 0;
  bool measuring = false;
  // Per client and sensor: the last seq seen.
  std::vector<std::map<std::string, std::uint64_t>> last_seq;
};

awaitable<void> event_client(unsigned short port, std::string target, std::size_t index,
                             event_tally& t, std::vector<http::client*>& open) {
  try {
    auto conn = co_await http::client::open({asio::ip::make_address("127.0.0.1"), port});
    open[index] = &conn;
    co_await conn.follow_events(target, "", [&](const http::event& e) {
      if (e.type != "measurement") return;
      const auto now = iot::clock::now();
      const auto o = json::parse(e.data).as_object();
      const std::string sensor(o.at("sensor_id").as_string());
      const auto seq = o.at("seq").to_number<std::uint64_t>();
      auto& last = t.last_seq[index][sensor];
      if (last != 0 && seq != last + 1) ++t.gaps;
      last = seq;
      if (!t.measuring) return;
      ++t.events;
      if (auto taken = iot::parse_rfc3339(o.at("timestamp").as_string()))
        t.latency_ms.push_back(std::chrono::duration<double, std::milli>(now - *taken).count());
    });
    open[index] = nullptr;
  } catch (const std::exception&) {
    open[index] = nullptr;
    ++t.failed_clients;
  }
}

awaitable<json::object> events(const bench_env& env, const http_params& p, unsigned short port,
                               program_process& server) {
  event_tally t;
  t.last_seq.resize(p.event_clients);
  std::vector<http::client*> open(p.event_clients, nullptr);
  for (std::size_t i = 0; i < p.event_clients; ++i) {
    std::string target = "/api/v1/events?";
    for (std::size_t k = 0; k < p.sensors_per_client; ++k)
      target += (k ? "&" : "") + std::string("sensor=ev.") +
                std::to_string((i * p.sensors_per_client + k) % p.event_fleet + 1);
    asio::co_spawn(co_await asio::this_coro::executor,
                   event_client(port, std::move(target), i, t, open), asio::detached);
  }
  co_await sleep_for(std::chrono::seconds(p.event_settle_seconds));
  const auto server_0 = sample_process(server.pid()), nats_0 = sample_process(env.server_pid);
  t.measuring = true;
  const auto window_start = clock::now();
  co_await sleep_for(std::chrono::seconds(p.event_seconds));
  t.measuring = false;
  const double window = seconds_since(window_start);
  const auto server_1 = sample_process(server.pid()), nats_1 = sample_process(env.server_pid);
  for (auto* c : open)
    if (c) c->close();
  co_await sleep_for(200ms);  // the clients see their streams end

  json::object o;
  o["scenario"] = "http";
  o["case"] = "events";
  o["clients"] = p.event_clients;
  o["sensors_per_client"] = p.sensors_per_client;
  o["fleet"] = p.event_fleet;
  o["interval_ms"] = 1000;
  o["window_s"] = rounded(window, 1);
  o["events"] = t.events;
  o["expected_about"] = static_cast<std::uint64_t>(
      static_cast<double>(p.event_clients * p.sensors_per_client) * window);
  o["gaps"] = t.gaps;
  o["failed_clients"] = t.failed_clients;
  o["p50_ms"] = rounded(percentile(t.latency_ms, 50), 1);
  o["p99_ms"] = rounded(percentile(t.latency_ms, 99), 1);
  o["max_ms"] = rounded(maximum(t.latency_ms), 1);
  if (server_0 && server_1) o["server_cpu_cores"] = rounded(cores_used(*server_0, *server_1), 2);
  if (nats_0 && nats_1) o["nats_server_cpu_cores"] = rounded(cores_used(*nats_0, *nats_1), 2);
  co_return o;
}

}  // namespace

void run_http(bench_env& env, const http_params& p, const emit_fn& emit) {
  if (env.fresh_server) env.fresh_server();
  const auto dir = env.scratch / "http";
  std::filesystem::create_directories(dir);
  program_process sensor({env.sensor_bin, "--sensorID", "cfg-1", "--interval", "10s", "--quiet",
                          "--nats-url", env.url},
                         dir);
  program_process server(
      {env.server_bin, "--role", "http", "--db", "sqlite:" + (dir / "iot.db").string(),
       "--http-listen", "127.0.0.1:0", "--nats-url", env.url},
      dir);
  const auto port = run_coro(env.ioc, served_port(server), 90s);
  run_coro(env.ioc, wait_for_ok(port, "/api/v1/sensors/cfg-1/config", 60s), 90s);

  emit(get_config(env, p, port));
  env.progress("http: " + std::to_string(p.put_samples) + " PUT config round trips");
  emit(run_coro(env.ioc, put_config(p, port), 300s));

  if (p.event_clients > 0) {
    env.progress("http: a fleet of " + std::to_string(p.event_fleet) + " at 1 s, " +
                 std::to_string(p.event_clients) + " event clients");
    program_process fleet(
        {env.sensor_bin, "--sensorID", "ev", "--count", std::to_string(p.event_fleet), "--interval",
         "1s", "--jitter", "--quiet", "--nats-url", env.url},
        dir);
    run_coro(
        env.ioc,
        wait_for_ok(port, "/api/v1/sensors/ev." + std::to_string(p.event_fleet) + "/config", 300s),
        330s);
    emit(run_coro(env.ioc, events(env, p, port, server),
                  std::chrono::seconds(p.event_settle_seconds + p.event_seconds + 60)));
    run_coro(
        env.ioc, [&]() -> awaitable<void> { co_await stop_program(fleet, 60s); }(), 90s);
  }
  run_coro(
      env.ioc, [&]() -> awaitable<void> { co_await stop_program(server, 60s); }(), 90s);
  run_coro(
      env.ioc, [&]() -> awaitable<void> { co_await stop_program(sensor, 60s); }(), 90s);
}

}  // namespace bench
