// Scenario "kv": sequential get and put latency of one key, through the
// library and through raw nats.c, on the same bucket.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "nats_asio/kv_bucket.hpp"
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

const std::string bucket_name = "BENCH_KV";
const std::string key = "bench.key";

using clock = std::chrono::steady_clock;

double micros_since(clock::time_point start) {
  return std::chrono::duration<double, std::micro>(clock::now() - start).count();
}

awaitable<void> create_bucket(const bench_env& env) {
  auto conn = co_await connect(env);
  nats_asio::jetstream js(conn);
  nats_asio::kv_config cfg;
  cfg.bucket = bucket_name;
  nats_asio::diagnostics diag;
  auto [ec, kv] =
      co_await nats_asio::async_create_key_value(js, cfg, diag, as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("creating bucket " + bucket_name + ": " + ec.message());
  auto [pec, rev] = co_await kv.async_put(key, sample_payload(), as_tuple(use_awaitable));
  if (pec) throw std::runtime_error("first put: " + pec.message());
  co_await conn.async_close(as_tuple(use_awaitable));
}

awaitable<void> delete_bucket(const bench_env& env) {
  auto conn = co_await connect(env);
  nats_asio::jetstream js(conn);
  co_await js.async_delete_stream("KV_" + bucket_name, as_tuple(use_awaitable));
  co_await conn.async_close(as_tuple(use_awaitable));
}

// How the library side reads. `kv_get` is the measured figure; the others
// (--variants) do the same direct get as a plain request, to separate the
// bucket's own cost from the request's and its timeout's.
enum class get_mode {
  kv_get,              // kv_bucket::async_get
  request,             // connection::async_request with a 5 s timeout
  request_no_timeout,  // connection::async_request, timeout 0 (none)
};

// The mirror of raw::kv: a send-asap connection, warm-up, puts, then gets.
awaitable<raw::kv_result> library_run(const bench_env& env, std::size_t warmup, std::size_t samples,
                                      get_mode mode) {
  nats_asio::connect_options o;
  o.send_asap = true;
  auto conn = co_await connect(env, o);
  nats_asio::jetstream js(conn);
  auto [oec, kv] =
      co_await nats_asio::async_open_key_value(js, bucket_name, as_tuple(use_awaitable));
  if (oec) throw std::runtime_error("opening bucket " + bucket_name + ": " + oec.message());
  const auto& value = sample_payload();
  auto put = [&]() -> awaitable<void> {
    auto [ec, rev] = co_await kv.async_put(key, value, as_tuple(use_awaitable));
    if (ec) throw std::runtime_error("async_put: " + ec.message());
  };
  const std::string direct_get = "$JS.API.DIRECT.GET.KV_" + bucket_name + "." + kv.subject_of(key);
  const auto timeout = mode == get_mode::request ? 5000ms : 0ms;
  auto get = [&]() -> awaitable<void> {
    if (mode == get_mode::kv_get) {
      auto [ec, entry] = co_await kv.async_get(key, as_tuple(use_awaitable));
      if (ec) throw std::runtime_error("async_get: " + ec.message());
    } else {
      auto [ec, reply] =
          co_await conn.async_request(direct_get, "", timeout, as_tuple(use_awaitable));
      if (ec || reply.payload.empty()) throw std::runtime_error("direct get: " + ec.message());
    }
  };
  for (std::size_t i = 0; i < warmup; ++i) {
    co_await put();
    co_await get();
  }
  raw::kv_result r;
  for (std::size_t i = 0; i < samples; ++i) {
    auto t = clock::now();
    co_await put();
    r.put_us.push_back(micros_since(t));
  }
  for (std::size_t i = 0; i < samples; ++i) {
    auto t = clock::now();
    co_await get();
    r.get_us.push_back(micros_since(t));
  }
  co_await conn.async_close(as_tuple(use_awaitable));
  co_return r;
}

void append(raw::kv_result& to, const raw::kv_result& from) {
  to.get_us.insert(to.get_us.end(), from.get_us.begin(), from.get_us.end());
  to.put_us.insert(to.put_us.end(), from.put_us.begin(), from.put_us.end());
}

}  // namespace

void run_kv(bench_env& env, const kv_params& p, const emit_fn& emit) {
  const double load = load_average();
  run_coro(env.ioc, create_bucket(env), 60s);
  raw::kv_result raw_all, library_all, with_timeout, no_timeout;
  const int rounds = std::max(p.rounds, 1);
  const std::size_t per_round = std::max<std::size_t>(p.samples / rounds, 1);
  const std::size_t warmup = p.warmup / rounds;
  for (int round = 0; round < rounds; ++round) {
    for (int side = 0; side < 2; ++side) {
      const bool raw_side = (side == 0) == (round % 2 == 0);
      if (raw_side) {
        append(raw_all, on_plain_thread([&] {
                 return raw::kv(env.url, bucket_name, key, sample_payload(), warmup, per_round);
               }));
      } else {
        append(library_all,
               run_coro(env.ioc, library_run(env, warmup, per_round, get_mode::kv_get), 600s));
      }
    }
    if (p.variants) {
      append(with_timeout,
             run_coro(env.ioc, library_run(env, warmup, per_round, get_mode::request), 600s));
      append(no_timeout,
             run_coro(env.ioc, library_run(env, warmup, per_round, get_mode::request_no_timeout),
                      600s));
    }
    env.progress("kv: round " + std::to_string(round + 1) + " of " + std::to_string(rounds) +
                 " done");
  }
  run_coro(env.ioc, delete_bucket(env), 60s);

  boost::json::object o;
  o["scenario"] = "kv";
  o["samples"] = per_round * rounds;
  o["warmup"] = warmup * rounds;
  o["value_bytes"] = sample_payload().size();
  o["storage"] = "file";
  o["send_asap"] = true;
  auto put_figures = [&](const char* side, const raw::kv_result& r) {
    const std::string s = side;
    o[s + "_get_p50_us"] = rounded(percentile(r.get_us, 50));
    o[s + "_get_p99_us"] = rounded(percentile(r.get_us, 99));
    o[s + "_put_p50_us"] = rounded(percentile(r.put_us, 50));
    o[s + "_put_p99_us"] = rounded(percentile(r.put_us, 99));
  };
  put_figures("raw", raw_all);
  put_figures("library", library_all);
  const double get_ratio =
      ratio(percentile(library_all.get_us, 50), percentile(raw_all.get_us, 50));
  o["get_p50_ratio"] = rounded(get_ratio, 3);
  o["get_p99_ratio"] =
      rounded(ratio(percentile(library_all.get_us, 99), percentile(raw_all.get_us, 99)), 3);
  o["put_p50_ratio"] =
      rounded(ratio(percentile(library_all.put_us, 50), percentile(raw_all.put_us, 50)), 3);
  o["put_p99_ratio"] =
      rounded(ratio(percentile(library_all.put_us, 99), percentile(raw_all.put_us, 99)), 3);
  if (p.variants) {
    o["library_request_get_p50_us"] = rounded(percentile(with_timeout.get_us, 50));
    o["library_request_get_p99_us"] = rounded(percentile(with_timeout.get_us, 99));
    o["library_request_no_timeout_get_p50_us"] = rounded(percentile(no_timeout.get_us, 50));
    o["library_request_no_timeout_get_p99_us"] = rounded(percentile(no_timeout.get_us, 99));
  }
  o["target_get_ratio"] = 1.2;
  o["meets_target"] = get_ratio <= 1.2;
  o["loadavg_1m"] = load;
  emit(std::move(o));
}

}  // namespace bench
