// Commands sent through the API, and what became of them: each is published
// as iot-sim publishes it (apps/common/command_send.hpp), and its result is
// taken from the sensors' results subject, which one subscription follows
// for every sensor. Results of commands sent by others (iot-sim) are kept
// too, so that GET /api/v1/commands/{uuid} can tell them. The newest
// `capacity` commands are remembered. Not thread-safe: one executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "../common/logger.hpp"
#include "iot/command.hpp"
#include "iot/sensor_config.hpp"
#include "iot/wire.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"

namespace server {

enum class command_state {
  queued,    // in the stream, not taken by the sensor yet (or not known to be)
  taken,     // the sensor took it and reported no result in time
  applied,   // the sensor applied it
  rejected,  // the sensor refused it (`error` says why)
  failed     // not sent: NATS or the stream refused it (`error` says why)
};
std::string_view to_string(command_state s);

struct command_record {
  std::string command_uuid;
  std::string sensor_id;
  std::string kind;  // "update_config" | "edit_measurement"; "" when sent by another program
  command_state state = command_state::queued;
  std::string error;
  std::optional<iot::sensor_config> config;  // after an applied config update
  std::uint64_t stream_sequence = 0;         // 0: not sent from here
  std::optional<iot::clock::time_point> sent_at, answered_at;
};

struct command_counters {
  std::uint64_t sent = 0, applied = 0, rejected = 0, unanswered = 0, failed = 0;
};

class command_tracker {
 public:
  command_tracker(nats_asio::connection& conn, nats_asio::jetstream& js, iot::wire_names names,
                  const apps::logger& log, std::size_t capacity = 100'000);

  // Follows the results until stop(); "" then, or why it could not.
  boost::asio::awaitable<std::string> run();
  void stop();

  // Sends `cmd` to `sensor_id` and waits up to `timeout` for its result:
  // the record as it stands then (applied, rejected, queued, taken, failed).
  boost::asio::awaitable<command_record> send(std::string sensor_id, iot::command cmd,
                                              std::chrono::milliseconds timeout);
  // A command remembered; null when unknown or forgotten.
  const command_record* find(std::string_view uuid) const;

  const command_counters& counters() const { return counters_; }

  // Called with each result as it comes (for the event streams).
  std::function<void(const command_record&)> on_result;

 private:
  command_record& remember(command_record r);
  void answered(const std::string& payload);

  nats_asio::connection& conn_;
  nats_asio::jetstream& js_;
  iot::wire_names names_;
  const apps::logger& log_;
  std::size_t capacity_;
  std::unordered_map<std::string, command_record> records_;
  std::deque<std::string> order_;  // oldest first, for forgetting
  // The sends waiting for a result, by uuid: their timer is cancelled when it comes.
  std::unordered_map<std::string, boost::asio::steady_timer*> waiting_;
  std::optional<nats_asio::subscription> results_;
  command_counters counters_;
  bool stopping_ = false;
};

}  // namespace server
