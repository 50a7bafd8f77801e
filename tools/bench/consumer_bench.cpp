// Scenario "consumers": what one durable push consumer, as each sensor has for
// its commands, costs the server to create and to keep idle, and which of its
// settings, or of the ways of asking for it, change that. The requests are
// written by hand (not through jetstream::async_ensure_consumer) so that the
// API subject and each setting can be varied alone.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "nats_asio/jetstream.hpp"
#include "process_stats.hpp"
#include "program_stop.hpp"
#include "scenarios.hpp"

namespace bench {
namespace {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

const std::string stream_name = "BENCH_COMMANDS";

// One way of creating the consumers; "baseline" is what iot-sensor asks for
// (apps/common/provision.cpp, command_consumer_config).
struct variant {
  std::string name;
  std::size_t concurrency = 64;
  bool memory_storage = false;
  std::chrono::seconds heartbeat{5};
  bool flow_control = false;
  std::int64_t max_ack_pending = 1;
  std::chrono::seconds ack_wait{30};
  // $JS.API.CONSUMER.CREATE.<stream>.<name>.<filter> (nats-server 2.9) rather
  // than $JS.API.CONSUMER.DURABLE.CREATE.<stream>.<name>.
  bool create_subject = false;
};

std::vector<variant> all_variants() {
  std::vector<variant> v;
  v.push_back({.name = "baseline"});
  v.push_back({.name = "concurrency_16", .concurrency = 16});
  v.push_back({.name = "concurrency_256", .concurrency = 256});
  v.push_back({.name = "mem_storage", .memory_storage = true});
  v.push_back({.name = "no_heartbeat", .heartbeat = 0s});
  v.push_back({.name = "heartbeat_30s", .heartbeat = 30s});
  v.push_back({.name = "flow_control", .flow_control = true});
  v.push_back({.name = "max_ack_pending_1000", .max_ack_pending = 1000});
  v.push_back({.name = "create_subject", .create_subject = true});
  return v;
}

std::string member(std::size_t i) { return "c-" + std::to_string(i); }

// The API subject and request body that create member i's consumer.
std::pair<std::string, std::string> create_request(const variant& v, std::size_t i) {
  const auto id = member(i);
  const auto durable = "cmd-" + id;
  const auto filter = "bench.commands." + id;
  boost::json::object config;
  config["durable_name"] = durable;
  config["deliver_subject"] = "bench.deliver." + id;
  config["filter_subject"] = filter;
  config["deliver_policy"] = "all";
  config["ack_policy"] = "explicit";
  config["ack_wait"] = std::chrono::nanoseconds(v.ack_wait).count();
  config["max_ack_pending"] = v.max_ack_pending;
  config["replay_policy"] = "instant";
  if (v.heartbeat.count() > 0)
    config["idle_heartbeat"] = std::chrono::nanoseconds(v.heartbeat).count();
  if (v.flow_control) config["flow_control"] = true;
  if (v.memory_storage) config["mem_storage"] = true;
  boost::json::object body;
  body["stream_name"] = stream_name;
  body["config"] = std::move(config);
  const auto subject = v.create_subject
                           ? "$JS.API.CONSUMER.CREATE." + stream_name + "." + durable + "." + filter
                           : "$JS.API.CONSUMER.DURABLE.CREATE." + stream_name + "." + durable;
  return {subject, boost::json::serialize(body)};
}

awaitable<int> consumer_count(nats_asio::jetstream& js) {
  auto [ec, info] = co_await js.async_stream_info(stream_name, as_tuple(use_awaitable));
  co_return ec ? -1 : static_cast<int>(info.state.consumer_count);
}

awaitable<boost::json::object> create_consumers(const bench_env& env, std::size_t n,
                                                const variant& v, double idle_seconds) {
  auto conn = co_await connect(env);
  nats_asio::jetstream js(conn);
  nats_asio::stream_config sc;
  sc.name = stream_name;
  sc.subjects = {"bench.commands.>"};
  sc.retention = nats_asio::retention_policy::work_queue;
  co_await js.async_ensure_stream(sc, use_awaitable);
  // Interest in every deliver subject, as the sensors have: the server then
  // sends heartbeats (nothing reads them here; the server's CPU shows them).
  auto deliveries = conn.subscribe("bench.deliver.>");

  const auto before = sample_process(env.server_pid);
  const auto began = clock::now();
  std::size_t next = 0, failed = 0, workers_left = 0;
  std::string first_error;
  auto worker = [&]() -> awaitable<void> {
    while (next < n) {
      const auto [subject, body] = create_request(v, next++);
      auto [ec, reply] = co_await conn.async_request(subject, body, 10s, as_tuple(use_awaitable));
      std::string error;
      if (ec) {
        error = ec.message();
      } else if (auto parsed = boost::json::parse(reply.payload, ec); !ec && parsed.is_object()) {
        if (auto* e = parsed.as_object().if_contains("error")) error = boost::json::serialize(*e);
      }
      if (!error.empty() && failed++ == 0) first_error = error;
    }
  };
  for (std::size_t i = 0; i < std::min(v.concurrency, n); ++i) {
    ++workers_left;
    asio::co_spawn(conn.get_executor(), worker(), [&](std::exception_ptr) { --workers_left; });
  }
  while (workers_left > 0) co_await sleep_for(10ms);
  const double create_s = std::chrono::duration<double>(clock::now() - began).count();
  const auto created = sample_process(env.server_pid);

  // Idle: what the consumers cost the server while nothing happens.
  const auto idle_window =
      std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(idle_seconds));
  co_await sleep_for(idle_window);
  const auto idle_end = sample_process(env.server_pid);
  const int consumers = co_await consumer_count(js);
  deliveries.unsubscribe();
  co_await conn.async_close(as_tuple(use_awaitable));

  boost::json::object o;
  o["scenario"] = "consumers";
  o["variant"] = v.name;
  o["consumers"] = n;
  o["concurrency"] = v.concurrency;
  o["created"] = consumers;
  o["failed"] = failed;
  if (!first_error.empty()) o["first_error"] = first_error;
  o["create_s"] = rounded(create_s, 2);
  o["per_s"] = rounded(static_cast<double>(n) / create_s, 1);
  if (before && created && idle_end) {
    o["server_cpu_ms_per_consumer"] =
        rounded((created->cpu_seconds - before->cpu_seconds) * 1000.0 / static_cast<double>(n), 3);
    o["server_rss_per_consumer_kb"] =
        rounded((static_cast<double>(created->rss_bytes) - static_cast<double>(before->rss_bytes)) /
                    1024.0 / static_cast<double>(n),
                1);
    o["server_rss_bytes"] = idle_end->rss_bytes;
    o["idle_server_cores"] = rounded(cores_used(*created, *idle_end), 4);
  }
  co_return o;
}

// After a server restart on the same store: how many consumers are back.
awaitable<int> consumers_now(const bench_env& env) {
  auto conn = co_await connect(env);
  nats_asio::jetstream js(conn);
  const int n = co_await consumer_count(js);
  co_await conn.async_close(as_tuple(use_awaitable));
  co_return n;
}

}  // namespace

void run_consumers(bench_env& env, const consumer_params& p, const emit_fn& emit) {
  if (!env.fresh_server) throw std::runtime_error("consumers: needs its own server (no --server)");
  auto variants = all_variants();
  if (!p.variants.empty()) {
    std::erase_if(variants, [&](const variant& v) {
      return std::find(p.variants.begin(), p.variants.end(), v.name) == p.variants.end();
    });
    if (variants.empty()) throw std::runtime_error("consumers: no such variant");
  }
  for (const auto n : p.counts) {
    for (const auto& v : variants) {
      const double load = load_average();
      env.fresh_server();
      env.progress("consumers: " + std::to_string(n) + " x " + v.name);
      auto o =
          run_coro(env.ioc, create_consumers(env, n, v, p.idle_seconds), std::chrono::seconds(600));
      // Do they survive a restart of the server?
      const auto restart_began = clock::now();
      env.restart_server();
      o["server_restart_s"] =
          rounded(std::chrono::duration<double>(clock::now() - restart_began).count(), 2);
      o["consumers_after_restart"] =
          run_coro(env.ioc, consumers_now(env), std::chrono::seconds(60));
      o["loadavg_1m"] = load;
      emit(std::move(o));
    }
  }
}

}  // namespace bench
