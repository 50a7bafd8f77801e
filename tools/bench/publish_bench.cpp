// Scenario "publish": JetStream publish throughput with a window of
// publishes in flight, through the library and through raw nats.c.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <tuple>

#include "nats_asio/jetstream.hpp"
#include "process_stats.hpp"
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
  double client_cpu_us_per_msg = 0;  // this process (all threads, nats.c's too)
  double server_cpu_us_per_msg = 0;  // 0 without a server PID
};

// CPU microseconds per message of one process between two of its samples.
double cpu_us_per_msg(const std::optional<process_sample>& before,
                      const std::optional<process_sample>& after, std::size_t messages) {
  if (!before || !after || messages == 0) return 0;
  return (after->cpu_seconds - before->cpu_seconds) * 1e6 / static_cast<double>(messages);
}

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
  coroutines,           // `window` coroutines, each awaiting its acknowledgment in turn
  callbacks,            // the same with completion callbacks: no coroutine frames
  no_cancel_slot,       // coroutines whose handlers carry an empty cancellation slot,
                        // so the library binds no cancellation handler per publish
  own_delivery_thread,  // coroutines, connect_options::shared_delivery_threads
                        // false: replies on their subscription's own thread
  no_ack_timeout,       // coroutines, publish_options::timeout 0: no deadline to track
  request_only,         // coroutines doing connection::async_request, timeout 0: no
                        // window semaphore, no acknowledgment parsing
  batches,              // jetstream::async_publish_batch, 16 batches of window/16 in
                        // flight: one completion per batch, not per message
};

const char* name_of(variant v) {
  switch (v) {
    case variant::coroutines:
      return "coroutines";
    case variant::callbacks:
      return "callbacks";
    case variant::no_cancel_slot:
      return "no_cancel_slot";
    case variant::own_delivery_thread:
      return "own_delivery_thread";
    case variant::no_ack_timeout:
      return "no_ack_timeout";
    case variant::request_only:
      return "request_only";
    case variant::batches:
      return "batches";
  }
  return "";
}

// `window` publishers share the messages, each publishing and awaiting the
// acknowledgment in turn: the window stays full, as with nats.c's MaxPending.
awaitable<run_result> library_run(const bench_env& env, const std::vector<std::string>& subjects,
                                  std::size_t messages, std::size_t window, variant how) {
  nats_asio::connect_options o;
  o.max_pending_publishes = window;
  o.shared_delivery_threads = how != variant::own_delivery_thread;
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
      if (how == variant::coroutines || how == variant::own_delivery_thread) {
        std::tie(ec, std::ignore) =
            co_await js.async_publish(subject, payload, as_tuple(use_awaitable));
      } else if (how == variant::no_cancel_slot) {
        std::tie(ec, std::ignore) = co_await js.async_publish(
            subject, payload,
            asio::bind_cancellation_slot(asio::cancellation_slot(), as_tuple(use_awaitable)));
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
  // Batches: each lane publishes its next batch when the last one is over.
  constexpr std::size_t lanes_of_batches = 16;
  const std::size_t batch_size = std::max<std::size_t>(window / lanes_of_batches, 1);
  auto batcher = [&]() -> awaitable<void> {
    while (next < messages) {
      std::vector<nats_asio::outgoing_message> batch(std::min(batch_size, messages - next));
      for (auto& m : batch) {
        m.subject = subjects[next++ % subjects.size()];
        m.payload = payload;
      }
      auto [ec, results] =
          co_await js.async_publish_batch(std::move(batch), as_tuple(use_awaitable));
      for (const auto& r : results) failed += r.error ? 1 : 0;
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
  const double cpu_start = own_cpu_seconds();
  const std::size_t lanes = how == variant::batches ? lanes_of_batches : std::min(window, messages);
  for (std::size_t w = 0; w < lanes; ++w) {
    ++running;
    if (how == variant::callbacks) {
      publish_next();
    } else {
      asio::co_spawn(ex, how == variant::batches ? batcher() : worker(), [&](std::exception_ptr) {
        if (--running == 0) all_done.cancel();
      });
    }
  }
  co_await all_done.async_wait(as_tuple(use_awaitable));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = own_cpu_seconds() - cpu_start;
  co_await conn.async_close(as_tuple(use_awaitable));
  run_result r{static_cast<double>(messages - failed) / seconds, failed};
  r.client_cpu_us_per_msg = cpu * 1e6 / static_cast<double>(messages);
  co_return r;
}

run_result raw_run(const bench_env& env, const std::vector<std::string>& subjects,
                   std::size_t messages, std::size_t window) {
  auto r = on_plain_thread(
      [&] { return raw::publish(env.url, subjects, messages, window, sample_payload()); });
  run_result out{static_cast<double>(r.acknowledged) / r.seconds, messages - r.acknowledged};
  out.client_cpu_us_per_msg = r.cpu_seconds * 1e6 / static_cast<double>(messages);
  return out;
}

}  // namespace

void run_publish(bench_env& env, const publish_params& p, const emit_fn& emit) {
  for (const auto subject_count : p.subjects) {
    std::vector<std::string> subjects;
    for (std::size_t i = 0; i < subject_count; ++i)
      subjects.push_back(subject_prefix + std::to_string(i + 1));
    std::vector<double> raw_rates, library_rates, raw_cpu, library_cpu, raw_server_cpu,
        library_server_cpu, batch_rates, batch_cpu;
    std::map<std::string, std::vector<double>> variant_rates, variant_cpu;
    std::size_t failed = 0;
    const double load = load_average();
    // Each run on a fresh stream; the server's CPU is measured around it (it
    // is idle while the client connects), the client's inside it.
    auto measured = [&](auto run) {
      run_coro(env.ioc, reset_stream(env), 60s);
      const auto server_0 = sample_process(env.server_pid);
      run_result r = run();
      r.server_cpu_us_per_msg =
          cpu_us_per_msg(server_0, sample_process(env.server_pid), p.messages);
      failed += r.failed;
      return r;
    };
    auto library_side = [&](variant how) {
      return measured([&] {
        return run_coro(env.ioc, library_run(env, subjects, p.messages, p.window, how), 600s);
      });
    };
    for (int round = 0; round < p.rounds; ++round) {
      // Alternate which side goes first, so neither always meets a warmer server.
      for (int side = 0; side < 2; ++side) {
        const bool raw_side = (side == 0) == (round % 2 == 0);
        const auto r = raw_side
                           ? measured([&] { return raw_run(env, subjects, p.messages, p.window); })
                           : library_side(variant::coroutines);
        (raw_side ? raw_rates : library_rates).push_back(rounded(r.msgs_per_s, 0));
        (raw_side ? raw_cpu : library_cpu).push_back(r.client_cpu_us_per_msg);
        (raw_side ? raw_server_cpu : library_server_cpu).push_back(r.server_cpu_us_per_msg);
        env.progress("publish: " + std::to_string(subject_count) + " subject(s), " +
                     (raw_side ? "raw nats.c " : "library    ") +
                     std::to_string(static_cast<long>(r.msgs_per_s)) + " msgs/s");
      }
      // The batch API, the library's fastest form, in every round too.
      const auto batched = library_side(variant::batches);
      batch_rates.push_back(rounded(batched.msgs_per_s, 0));
      batch_cpu.push_back(batched.client_cpu_us_per_msg);
      env.progress("publish: " + std::to_string(subject_count) + " subject(s), library batches " +
                   std::to_string(static_cast<long>(batched.msgs_per_s)) + " msgs/s");
      if (!p.variants) continue;
      for (auto how : {variant::callbacks, variant::no_cancel_slot, variant::own_delivery_thread,
                       variant::no_ack_timeout, variant::request_only}) {
        const auto r = library_side(how);
        variant_rates[name_of(how)].push_back(r.msgs_per_s);
        variant_cpu[name_of(how)].push_back(r.client_cpu_us_per_msg);
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
    // CPU per message from the first publish to the last acknowledgment; the
    // client's includes the bench's own loop (message creation, counting).
    o["raw_client_cpu_us_per_msg"] = rounded(median(raw_cpu), 2);
    o["library_client_cpu_us_per_msg"] = rounded(median(library_cpu), 2);
    if (env.server_pid > 0) {
      o["raw_server_cpu_us_per_msg"] = rounded(median(raw_server_cpu), 2);
      o["library_server_cpu_us_per_msg"] = rounded(median(library_server_cpu), 2);
    }
    o["raw_runs"] = boost::json::value_from(raw_rates);
    o["library_runs"] = boost::json::value_from(library_rates);
    const double batches = median(batch_rates);
    o["batch_msgs_per_s"] = rounded(batches, 0);
    o["batch_ratio"] = rounded(ratio(batches, raw), 3);
    o["batch_client_cpu_us_per_msg"] = rounded(median(batch_cpu), 2);
    o["batch_runs"] = boost::json::value_from(batch_rates);
    if (p.variants) {
      boost::json::object rates, cpu;
      for (const auto& [name, values] : variant_rates) rates[name] = rounded(median(values), 0);
      for (const auto& [name, values] : variant_cpu) cpu[name] = rounded(median(values), 2);
      o["library_variants_msgs_per_s"] = std::move(rates);
      o["library_variants_client_cpu_us_per_msg"] = std::move(cpu);
    }
    o["failed"] = failed;
    o["target_ratio"] = 0.9;
    o["meets_target"] = ratio(library, raw) >= 0.9;
    o["batch_meets_target"] = ratio(batches, raw) >= 0.9;
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
