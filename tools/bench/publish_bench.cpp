// Scenario "publish": JetStream publish throughput with a window of
// publishes in flight, through the library and through raw nats.c.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <tuple>

#include "nats_asio/jetstream.hpp"
#include "raw_nats.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace bench {
namespace {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
using nats_asio::error_code;

const std::string stream_name = "BENCH_PUBLISH";
const std::string subject_prefix = "bench.publish.";

struct run_result {
  double msgs_per_s = 0;
  std::size_t failed = 0;
};

// A fresh, empty file-store stream for each run.
awaitable<void> reset_stream(const bench_env& env) {
  auto conn = co_await connect(env);
  nats_asio::jetstream js(conn);
  auto [dec] = co_await js.async_delete_stream(stream_name, as_tuple(use_awaitable));
  if (dec && dec != nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found))
    throw std::runtime_error("deleting stream " + stream_name + ": " + dec.message());
  nats_asio::stream_config cfg;
  cfg.name = stream_name;
  cfg.subjects = {subject_prefix + ">"};
  cfg.storage = nats_asio::storage_type::file;
  auto [ec, info] = co_await js.async_ensure_stream(cfg, as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("creating stream " + stream_name + ": " + ec.message());
  co_await conn.async_close(as_tuple(use_awaitable));
}

// How the library side publishes. `coroutines` is the measured figure; the
// others (--variants) each take one cost away, to show where time goes.
enum class variant {
  coroutines,      // `window` coroutines, each awaiting its acknowledgment in turn
  callbacks,       // the same with completion callbacks: no coroutine frames
  no_ack_timeout,  // coroutines, publish_options::timeout 0: no deadline to track
  request_only,    // coroutines doing connection::async_request, timeout 0: no
                   // window semaphore, no acknowledgment parsing
};

const char* name_of(variant v) {
  switch (v) {
    case variant::coroutines:
      return "coroutines";
    case variant::callbacks:
      return "callbacks";
    case variant::no_ack_timeout:
      return "no_ack_timeout";
    case variant::request_only:
      return "request_only";
  }
  return "";
}

// `window` publishers share the messages, each publishing and awaiting the
// acknowledgment in turn: the window stays full, as with nats.c's MaxPending.
awaitable<run_result> library_run(const bench_env& env, const std::vector<std::string>& subjects,
                                  std::size_t messages, std::size_t window, variant how) {
  nats_asio::connect_options o;
  o.max_pending_publishes = window;
  auto conn = co_await connect(env, o);
  nats_asio::jetstream js(conn);
  const auto& payload = sample_payload();
  auto ex = co_await asio::this_coro::executor;
  nats_asio::publish_options no_timeout;
  no_timeout.timeout = std::chrono::milliseconds(0);

  std::size_t next = 0, failed = 0, running = 0;
  asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
  auto worker = [&]() -> awaitable<void> {
    while (next < messages) {
      const auto& subject = subjects[next++ % subjects.size()];
      error_code ec;
      if (how == variant::coroutines) {
        std::tie(ec, std::ignore) =
            co_await js.async_publish(subject, payload, as_tuple(use_awaitable));
      } else if (how == variant::no_ack_timeout) {
        std::tie(ec, std::ignore) =
            co_await js.async_publish(subject, payload, no_timeout, as_tuple(use_awaitable));
      } else {
        nats_asio::message reply;
        std::tie(ec, reply) = co_await conn.async_request(
            subject, payload, std::chrono::milliseconds(0), as_tuple(use_awaitable));
      }
      if (ec) ++failed;
    }
  };
  // The callback chain: each acknowledgment starts the next publish.
  std::function<void()> publish_next = [&] {
    if (next >= messages) {
      if (--running == 0) all_done.cancel();
      return;
    }
    const auto& subject = subjects[next++ % subjects.size()];
    js.async_publish(subject, payload, [&](error_code ec, const nats_asio::pub_ack&) {
      if (ec) ++failed;
      publish_next();
    });
  };
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t w = 0; w < std::min(window, messages); ++w) {
    ++running;
    if (how == variant::callbacks) {
      publish_next();
    } else {
      asio::co_spawn(ex, worker(), [&](std::exception_ptr) {
        if (--running == 0) all_done.cancel();
      });
    }
  }
  co_await all_done.async_wait(as_tuple(use_awaitable));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  co_await conn.async_close(as_tuple(use_awaitable));
  co_return run_result{static_cast<double>(messages - failed) / seconds, failed};
}

run_result raw_run(const bench_env& env, const std::vector<std::string>& subjects,
                   std::size_t messages, std::size_t window) {
  auto r = on_plain_thread(
      [&] { return raw::publish(env.url, subjects, messages, window, sample_payload()); });
  return run_result{static_cast<double>(r.acknowledged) / r.seconds, messages - r.acknowledged};
}

}  // namespace

void run_publish(bench_env& env, const publish_params& p, const emit_fn& emit) {
  for (const auto subject_count : p.subjects) {
    std::vector<std::string> subjects;
    for (std::size_t i = 0; i < subject_count; ++i)
      subjects.push_back(subject_prefix + std::to_string(i + 1));
    std::vector<double> raw_rates, library_rates;
    std::map<std::string, std::vector<double>> variant_rates;
    std::size_t failed = 0;
    const double load = load_average();
    for (int round = 0; round < p.rounds; ++round) {
      // Alternate which side goes first, so neither always meets a warmer server.
      for (int side = 0; side < 2; ++side) {
        const bool raw_side = (side == 0) == (round % 2 == 0);
        run_coro(env.ioc, reset_stream(env), 60s);
        const auto r =
            raw_side
                ? raw_run(env, subjects, p.messages, p.window)
                : run_coro(env.ioc,
                           library_run(env, subjects, p.messages, p.window, variant::coroutines),
                           600s);
        (raw_side ? raw_rates : library_rates).push_back(rounded(r.msgs_per_s, 0));
        failed += r.failed;
        env.progress("publish: " + std::to_string(subject_count) + " subject(s), " +
                     (raw_side ? "raw nats.c " : "library    ") +
                     std::to_string(static_cast<long>(r.msgs_per_s)) + " msgs/s");
      }
      if (!p.variants) continue;
      for (auto how : {variant::callbacks, variant::no_ack_timeout, variant::request_only}) {
        run_coro(env.ioc, reset_stream(env), 60s);
        const auto r =
            run_coro(env.ioc, library_run(env, subjects, p.messages, p.window, how), 600s);
        variant_rates[name_of(how)].push_back(r.msgs_per_s);
        failed += r.failed;
        env.progress("publish: " + std::to_string(subject_count) + " subject(s), library " +
                     name_of(how) + " " + std::to_string(static_cast<long>(r.msgs_per_s)) +
                     " msgs/s");
      }
    }
    const double raw = median(raw_rates), library = median(library_rates);
    boost::json::object o;
    o["scenario"] = "publish";
    o["messages"] = p.messages;
    o["subjects"] = subject_count;
    o["window"] = p.window;
    o["rounds"] = p.rounds;
    o["payload_bytes"] = sample_payload().size();
    o["storage"] = "file";
    o["raw_msgs_per_s"] = rounded(raw, 0);
    o["library_msgs_per_s"] = rounded(library, 0);
    o["ratio"] = rounded(ratio(library, raw), 3);
    o["raw_runs"] = boost::json::value_from(raw_rates);
    o["library_runs"] = boost::json::value_from(library_rates);
    if (p.variants) {
      boost::json::object v;
      for (const auto& [name, rates] : variant_rates) v[name] = rounded(median(rates), 0);
      o["library_variants_msgs_per_s"] = std::move(v);
    }
    o["failed"] = failed;
    o["target_ratio"] = 0.9;
    o["meets_target"] = ratio(library, raw) >= 0.9;
    o["loadavg_1m"] = load;
    emit(std::move(o));
  }
  run_coro(
      env.ioc,
      [](const bench_env& env) -> awaitable<void> {
        auto conn = co_await connect(env);
        nats_asio::jetstream js(conn);
        co_await js.async_delete_stream(stream_name, as_tuple(use_awaitable));
        co_await conn.async_close(as_tuple(use_awaitable));
      }(env),
      60s);
}

}  // namespace bench
