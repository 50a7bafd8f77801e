#include "event_hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "api_json.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

constexpr auto heartbeat = 5s;
// Live events held back for a client while it replays; past this it is cut
// off and resumes later from its last id.
constexpr std::size_t max_held = 10'000;

// The event of a stored measurement, or nullopt for a message that is not
// one (the historian rejects those; they make no event).
std::optional<http::event> measurement_event(const iot::wire_names& names,
                                             const nats_asio::js_message& msg,
                                             std::string& sensor_id) {
  iot::measurement m;
  if (!iot::decode_complete_measurement(msg.payload(), m).empty()) return std::nullopt;
  if (msg.subject() != names.measurements_of(m.sensor_id)) return std::nullopt;
  sensor_id = m.sensor_id;
  const auto seq = msg.metadata().stream_sequence;
  return http::event{m.revision > 1 ? "correction" : "measurement", std::to_string(seq),
                     boost::json::serialize(measurement_json(m, seq))};
}

nats_asio::consumer_config follower_config(const std::string& filter, std::uint64_t from) {
  nats_asio::consumer_config cc;
  cc.filter_subject = filter;
  cc.deliver = nats_asio::deliver_policy::by_start_sequence;
  cc.start_sequence = from;
  cc.ack = nats_asio::ack_policy::none;
  cc.memory_storage = true;
  cc.inactive_threshold = 30s;
  return cc;
}

}  // namespace

event_hub::event_hub(nats_asio::jetstream& js, iot::wire_names names,
                     const sensor_registry& sensors, const apps::logger& log)
    : js_(js),
      names_(std::move(names)),
      sensors_(sensors),
      log_(log),
      pause_(js.get_executor()),
      status_timer_(js.get_executor()) {}

void event_hub::stop() {
  if (stopping_) return;
  stopping_ = true;
  live_ = false;
  pause_.cancel();
  status_timer_.cancel();
  if (subscription_) subscription_->unsubscribe();
}

awaitable<std::string> event_hub::run() {
  using namespace asio::experimental::awaitable_operators;
  std::string error;
  auto stream = [&]() -> awaitable<void> {
    error = co_await follow_stream();
    if (!error.empty()) stop();
  };
  co_await (stream() && watch_statuses());
  co_return error;
}

awaitable<std::string> event_hub::follow_stream() {
  const auto& stream = names_.measurements_stream;
  while (!stopping_) {
    if (last_sequence_ == 0) {
      // Where "now" is: clients resuming after an earlier id replay up to it.
      auto [iec, info] = co_await js_.async_stream_info(stream, as_tuple(use_awaitable));
      if (iec) {
        if (iec == nats_asio::errc::permission_denied)
          co_return "stream " + stream + ": " + iec.message();
        log_.warn("events: stream " + stream + ": " + iec.message() + "; retrying");
        pause_.expires_after(1s);
        co_await pause_.async_wait(as_tuple(use_awaitable));
        continue;
      }
      last_sequence_ = info.state.last_sequence;
    }
    auto cc = follower_config(names_.measurements_subject + ".>", last_sequence_ + 1);
    cc.idle_heartbeat = heartbeat;
    cc.flow_control = true;
    auto [sec, sub] = co_await js_.async_subscribe(stream, cc, 16384, as_tuple(use_awaitable));
    if (sec) {
      if (sec == nats_asio::errc::permission_denied)
        co_return "following stream " + stream + ": " + sec.message();
      log_.warn("events: following stream " + stream + ": " + sec.message() + "; retrying");
      pause_.expires_after(1s);
      co_await pause_.async_wait(as_tuple(use_awaitable));
      continue;
    }
    subscription_ = &sub;
    live_ = !stopping_;
    if (stopping_) sub.unsubscribe();
    for (;;) {
      auto [ec, msg] = co_await sub.async_receive_alive(3 * heartbeat, as_tuple(use_awaitable));
      if (ec) {
        // Stopped, silent, or fell behind: made again from the sequence
        // after the last one delivered, so nothing is skipped.
        if (ec == nats_asio::errc::permission_denied)
          co_return "following stream " + stream + ": " + ec.message();
        if (ec == nats_asio::errc::consumer_silent)
          log_.warn("events: the consumer following " + stream + " went silent; making it again");
        if (ec == nats_asio::errc::queue_overflow)
          log_.warn("events: fell behind the stream; following it again from sequence " +
                    std::to_string(last_sequence_ + 1));
        break;
      }
      const auto seq = msg.metadata().stream_sequence;
      if (seq <= last_sequence_) continue;  // delivered before the consumer was made again
      std::string sensor;
      if (auto e = measurement_event(names_, msg, sensor)) deliver(sensor, *e);
      last_sequence_ = seq;
    }
    subscription_ = nullptr;
    live_ = false;
    sub.unsubscribe();
  }
  co_return "";
}

awaitable<void> event_hub::watch_statuses() {
  // A status changes with time as much as with measurements: looked at
  // every second, and a change told as it is seen.
  while (!stopping_) {
    status_timer_.expires_after(1s);
    co_await status_timer_.async_wait(as_tuple(use_awaitable));
    const auto now = iot::clock::now();
    sensors_.for_each([&](const sensor_view& v) {
      const auto status = status_of(v, now);
      auto [it, added] = statuses_.try_emplace(v.id, status);
      if (added || it->second == status) return;
      boost::json::object data{
          {"sensor_id", v.id}, {"status", to_string(status)}, {"previous", to_string(it->second)}};
      it->second = status;
      deliver(v.id, {"sensor_status", "", boost::json::serialize(data)});
    });
  }
}

void event_hub::command_result(const std::string& sensor_id, std::string json) {
  deliver(sensor_id, {"command_result", "", std::move(json)});
}

bool event_hub::wants(const client& c, const std::string& sensor_id) {
  return c.sensors.empty() || c.sensors.contains(sensor_id);
}

void event_hub::deliver(const std::string& sensor_id, const http::event& e) {
  for (auto& c : clients_) {
    if (!wants(c, sensor_id) || c.out->ended()) continue;
    if (!c.replaying) {
      c.out->send(e);
    } else if (c.held.size() < max_held) {
      c.held.push_back(e);
    } else {
      c.out->end();  // too far behind: it resumes later from its last id
    }
  }
}

awaitable<bool> event_hub::replay(client& c, std::uint64_t from, std::uint64_t to) {
  const auto filter = c.sensors.size() == 1 ? names_.measurements_of(*c.sensors.begin())
                                            : names_.measurements_subject + ".>";
  auto [sec, sub] = co_await js_.async_subscribe(
      names_.measurements_stream, follower_config(filter, from + 1), 4096, as_tuple(use_awaitable));
  if (sec) {
    log_.warn("events: replaying from sequence " + std::to_string(from + 1) + ": " + sec.message());
    co_return false;
  }
  if (sub.info().num_pending == 0) co_return true;
  for (;;) {
    auto [ec, msg] = co_await sub.async_receive(as_tuple(use_awaitable));
    if (ec == nats_asio::errc::queue_overflow) co_return false;  // it resumes from its last id
    if (ec) co_return false;                                     // left, or the server is gone
    const auto seq = msg.metadata().stream_sequence;
    if (seq > to) co_return true;
    std::string sensor;
    if (auto e = measurement_event(names_, msg, sensor); e && wants(c, sensor))
      if (!c.out->send(*e)) co_return false;
    if (seq == to || msg.metadata().num_pending == 0) co_return true;
  }
}

awaitable<void> event_hub::serve(std::set<std::string> sensors,
                                 std::optional<std::uint64_t> resume_after,
                                 http::event_stream& out) {
  auto& c = clients_.emplace_back();
  c.sensors = std::move(sensors);
  c.out = &out;
  const auto it = std::prev(clients_.end());
  struct leave {
    std::list<client>& clients;
    std::list<client>::iterator it;
    ~leave() { clients.erase(it); }
  } on_exit{clients_, it};

  if (resume_after && *resume_after < last_sequence_) {
    c.replaying = true;
    const bool replayed = co_await replay(c, *resume_after, last_sequence_);
    c.replaying = false;
    if (!replayed) {
      out.end();
      co_return;
    }
    // What came live meanwhile: all after what the replay sent.
    for (auto& e : c.held) c.out->send(e);
    c.held.clear();
  }
  // Live from here: the hub sends; this waits for the client to leave.
  asio::steady_timer forever(co_await asio::this_coro::executor,
                             asio::steady_timer::time_point::max());
  co_await forever.async_wait(as_tuple(use_awaitable));
}

}  // namespace server
