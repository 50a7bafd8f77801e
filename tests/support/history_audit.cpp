#include "history_audit.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "historian/open_store.hpp"
#include "iot/measurement.hpp"
#include "iot/wire.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "run_async.hpp"

namespace test_support {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

const iot::wire_names names;

awaitable<nats_asio::connection> connect(const std::string& url) {
  nats_asio::connection conn(co_await asio::this_coro::executor);
  nats_asio::connect_options options;
  options.servers = {url};
  co_await conn.async_connect(options, use_awaitable);
  co_return conn;
}

// The stream as provisioning makes it (apps/common/provision.cpp defaults).
awaitable<void> ensure_measurements_stream(nats_asio::jetstream& js) {
  auto [ec, info] =
      co_await js.async_stream_info(names.measurements_stream, as_tuple(use_awaitable));
  if (!ec) co_return;
  nats_asio::stream_config c;
  c.name = names.measurements_stream;
  c.subjects = {names.measurements_subject + ".>"};
  c.max_age = std::chrono::hours(168);
  c.max_bytes = 1073741824;
  co_await js.async_ensure_stream(c, use_awaitable);
}

struct message_plan {
  std::string subject;
  std::string payload;
};

message_plan planned(const publish_plan& p, std::uint64_t index, iot::clock::time_point base) {
  const auto total_valid = static_cast<std::uint64_t>(p.sensors) * (p.per_sensor + p.corrections);
  if (index < total_valid) {
    const auto m = planned_measurement(p, index, base);
    return {names.measurements_of(m.sensor_id), iot::encode(m)};
  }
  // Not measurements: a payload that is not JSON, and a measurement
  // published on another sensor's subject.
  const auto k = index - total_valid;
  if (k % 2 == 0) return {names.measurements_of(p.prefix + "-1"), "{not json " + std::to_string(k)};
  iot::measurement m;
  m.sensor_id = p.prefix + "-1";
  m.seq = 1000000 + k;
  m.timestamp = base;
  m.lecture_id = k;
  m.lecture = "1";
  m.unit = "celsius";
  return {names.measurements_of(p.prefix + "-2"), iot::encode(m)};
}

}  // namespace

iot::measurement planned_measurement(const publish_plan& p, std::uint64_t index,
                                     iot::clock::time_point base) {
  const auto total_originals = static_cast<std::uint64_t>(p.sensors) * p.per_sensor;
  const bool correction = index >= total_originals;
  const auto i = correction ? index - total_originals : index;
  const auto sensor = 1 + i % p.sensors;
  const auto n = i / p.sensors;  // 0-based position in the sensor's series
  iot::measurement m;
  m.sensor_id = p.prefix + "-" + std::to_string(sensor);
  m.seq = p.first_seq + n;
  m.timestamp = base + std::chrono::seconds(m.seq);
  m.lecture_id = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(m.timestamp.time_since_epoch())
          .count());
  m.value = static_cast<double>(m.seq) / 4 + (correction ? 100 : 0);
  m.lecture = std::to_string(m.value);
  m.unit = "celsius";
  m.revision = correction ? 2 : 1;
  return m;
}

void publish_measurements(const std::string& nats_url, const publish_plan& plan) {
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect(nats_url);
        nats_asio::jetstream js(conn);
        co_await ensure_measurements_stream(js);
        const auto total =
            static_cast<std::uint64_t>(plan.sensors) * (plan.per_sensor + plan.corrections) +
            plan.invalid;
        const auto base = std::chrono::time_point_cast<std::chrono::milliseconds>(
            iot::clock::now() - plan.age - std::chrono::seconds(plan.first_seq));
        std::uint64_t next = 0, done = 0;
        std::exception_ptr failure;
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer finished(ex, asio::steady_timer::time_point::max());
        const auto workers = std::min<std::uint64_t>(plan.window, total);
        for (std::uint64_t w = 0; w < workers; ++w) {
          asio::co_spawn(
              ex,
              [&]() -> awaitable<void> {
                while (next < total && !failure) {
                  const auto m = planned(plan, next++, base);
                  auto [ec, ack] =
                      co_await js.async_publish(m.subject, m.payload, as_tuple(use_awaitable));
                  if (ec && !failure)
                    failure = std::make_exception_ptr(
                        std::runtime_error("publishing " + m.subject + ": " + ec.message()));
                }
                if (++done == workers) finished.cancel();
              },
              asio::detached);
        }
        co_await finished.async_wait(as_tuple(use_awaitable));
        if (failure) std::rethrow_exception(failure);
        co_await conn.async_drain(2s, as_tuple(use_awaitable));
      }(),
      std::chrono::seconds(600));
}

std::string history_audit::line() const {
  return "stream " + std::to_string(stream_messages) + " (" + std::to_string(stream_valid) +
         " valid), rows " + std::to_string(rows) + ", rejected " + std::to_string(rejected) +
         ", sensors " + std::to_string(sensors);
}

namespace {

using key = std::tuple<std::string, std::uint64_t, std::uint32_t>;  // sensor, lecture, revision

awaitable<std::shared_ptr<historian::measurement_store>> open(const std::string& db_url) {
  std::string error;
  auto url = storage::parse_database_url(db_url, error);
  if (!url) throw std::runtime_error(error);
  storage::diagnostics diag;
  auto [ec, store] = co_await historian::async_open_store(co_await asio::this_coro::executor, *url,
                                                          historian::store_options{}, diag,
                                                          as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("opening " + url->masked + ": " + diag.message());
  co_return store;
}

awaitable<historian::store_stats> stats_of(const std::string& db_url) {
  auto store = co_await open(db_url);
  storage::diagnostics diag;
  auto [ec, stats] = co_await store->async_stats(diag, as_tuple(use_awaitable));
  co_await store->async_close(as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("stats: " + diag.message());
  co_return stats;
}

}  // namespace

std::uint64_t stored_count(const std::string& db_url) {
  asio::io_context ioc;
  auto s = run_async(ioc, stats_of(db_url));
  return s.measurements + s.rejected;
}

bool wait_until_stored(const std::string& db_url, std::uint64_t messages,
                       std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (stored_count(db_url) >= messages) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(100ms);  // another process writes: nothing to await
  }
}

history_audit audit_history(const std::string& nats_url, const std::string& db_url) {
  history_audit a;
  std::map<key, historian::stored_measurement> expected;  // first occurrence in the stream
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect(nats_url);
        nats_asio::jetstream js(conn);
        auto info = co_await js.async_stream_info(names.measurements_stream, use_awaitable);
        a.stream_messages = info.state.messages;
        // Acknowledged reading keeps at most max_ack_pending messages in
        // flight, so a stream of any size fits the receive queue.
        nats_asio::consumer_config cc;
        cc.ack = nats_asio::ack_policy::explicit_ack;
        cc.max_ack_pending = 8192;
        auto sub = co_await js.async_subscribe(names.measurements_stream, cc, 16384, use_awaitable);
        for (std::uint64_t i = 0; i < a.stream_messages; ++i) {
          auto msg = co_await sub.async_receive(use_awaitable);
          msg.ack();
          iot::measurement m;
          if (!iot::decode_complete_measurement(msg.payload(), m).empty()) continue;
          if (msg.subject() != names.measurements_of(m.sensor_id)) continue;
          ++a.stream_valid;
          historian::stored_measurement r{
              m.sensor_id, m.lecture_id, m.revision,
              m.seq,       m.timestamp,  m.value,
              m.lecture,   m.unit,       msg.metadata().stream_sequence};
          expected.try_emplace(key{m.sensor_id, m.lecture_id, m.revision}, std::move(r));
        }
        sub.unsubscribe();
        co_await conn.async_drain(2s, as_tuple(use_awaitable));

        auto store = co_await open(db_url);
        storage::diagnostics diag;
        auto stats = co_await store->async_stats(diag, use_awaitable);
        a.rows = stats.measurements;
        a.rejected = stats.rejected;
        a.sensors = stats.sensors;
        std::set<std::string> sensors;
        for (const auto& [k, r] : expected) sensors.insert(std::get<0>(k));
        for (const auto& r : co_await store->async_latest(diag, use_awaitable))
          sensors.insert(r.sensor_id);
        std::set<key> seen;
        for (const auto& sensor : sensors) {
          historian::range_query q;
          q.sensor_id = sensor;
          q.from = iot::clock::time_point{};
          q.to = iot::clock::now() + std::chrono::hours(24 * 365);
          q.limit = 2000;
          q.all_revisions = true;
          std::vector<std::uint64_t> seqs;
          for (;;) {
            auto page = co_await store->async_range(q, diag, use_awaitable);
            for (const auto& r : page.rows) {
              const key k{r.sensor_id, r.lecture_id, r.revision};
              if (!seen.insert(k).second) {
                a.problems.push_back(sensor + " lecture " + std::to_string(r.lecture_id) +
                                     " revision " + std::to_string(r.revision) + " stored twice");
                continue;
              }
              auto it = expected.find(k);
              if (it == expected.end()) {
                a.problems.push_back(sensor + " lecture " + std::to_string(r.lecture_id) +
                                     " is stored but not in the stream");
              } else if (!(it->second == r)) {
                a.problems.push_back(sensor + " seq " + std::to_string(r.seq) +
                                     " differs from its message");
              }
              if (r.revision == 1) seqs.push_back(r.seq);
            }
            if (!page.next) break;
            q.after = page.next;
          }
          std::sort(seqs.begin(), seqs.end());
          for (std::size_t i = 0; i < seqs.size(); ++i) {
            if (seqs[i] != i + 1) {
              a.problems.push_back(sensor + ": seq " + std::to_string(i + 1) +
                                   " is missing or repeated");
              break;
            }
          }
        }
        for (const auto& [k, r] : expected) {
          if (!seen.count(k))
            a.problems.push_back(r.sensor_id + " seq " + std::to_string(r.seq) + " revision " +
                                 std::to_string(r.revision) + " is in the stream, not stored");
          if (a.problems.size() > 20) break;
        }
        if (a.rows != expected.size())
          a.problems.push_back("the database counts " + std::to_string(a.rows) +
                               " rows, the stream holds " + std::to_string(expected.size()) +
                               " distinct measurements");
        if (a.rows + a.rejected != a.stream_messages)
          a.problems.push_back("rows + rejected = " + std::to_string(a.rows + a.rejected) +
                               ", the stream holds " + std::to_string(a.stream_messages));
        co_await store->async_close(as_tuple(use_awaitable));
      }(),
      std::chrono::seconds(600));
  return a;
}

}  // namespace test_support
