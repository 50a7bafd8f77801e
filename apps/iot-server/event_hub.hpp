// The API's live events, for every event-stream client at once: one
// consumer follows the measurements stream in order and each measurement
// or correction goes to the clients that asked for its sensor, with the
// stream sequence as the event id; command results and sensor status
// changes go along without an id. A client resuming after an id is first
// replayed what it missed from the stream (a consumer of its own, from that
// sequence), with live events held back meanwhile, so that it sees every
// sequence once, in order. Not thread-safe: one executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <list>
#include <set>
#include <string>
#include <unordered_map>

#include "../common/logger.hpp"
#include "http/event_stream.hpp"
#include "iot/wire.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/js_subscription.hpp"
#include "sensor_registry.hpp"

namespace server {

class event_hub {
 public:
  event_hub(nats_asio::jetstream& js, iot::wire_names names, const sensor_registry& sensors,
            const apps::logger& log);

  // Follows the stream and the sensors' status until stop(); "" then, or
  // why it could not (a permission missing).
  boost::asio::awaitable<std::string> run();
  void stop();
  // Following the stream: clients can be served.
  bool live() const { return live_; }

  // Sends the events of `sensors` (empty: all) to `out` until the client
  // leaves (cancellation) or its stream ends. `resume_after`: the last
  // stream sequence the client saw (its Last-Event-ID); nullopt: from now.
  boost::asio::awaitable<void> serve(std::set<std::string> sensors,
                                     std::optional<std::uint64_t> resume_after,
                                     http::event_stream& out);

  // A command's result, from command_tracker, as a "command_result" event.
  void command_result(const std::string& sensor_id, std::string json);

  std::size_t clients() const { return clients_.size(); }

 private:
  struct client {
    std::set<std::string> sensors;
    http::event_stream* out = nullptr;
    // While replaying: events held back, and the sequence replay ends at.
    bool replaying = false;
    std::uint64_t replay_to = 0;
    std::deque<http::event> held;
  };

  boost::asio::awaitable<std::string> follow_stream();
  boost::asio::awaitable<void> watch_statuses();
  // Replays (from, to] of the stream to `c`; false when the client's stream ended.
  boost::asio::awaitable<bool> replay(client& c, std::uint64_t from, std::uint64_t to);
  void deliver(const std::string& sensor_id, const http::event& e);
  static bool wants(const client& c, const std::string& sensor_id);

  nats_asio::jetstream& js_;
  iot::wire_names names_;
  const sensor_registry& sensors_;
  const apps::logger& log_;
  std::list<client> clients_;
  std::uint64_t last_sequence_ = 0;  // the newest stream sequence delivered
  bool live_ = false;
  bool stopping_ = false;
  std::unordered_map<std::string, sensor_status> statuses_;
  nats_asio::js_subscription* subscription_ = nullptr;
  boost::asio::steady_timer pause_, status_timer_;
};

}  // namespace server
