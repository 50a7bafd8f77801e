// The iot-sim subcommands, each a sequential coroutine returning the exit code.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../common/app_settings.hpp"
#include "iot/timestamp.hpp"
#include "nats_asio/connection.hpp"

namespace sim {

// Exit codes, one per outcome a script may want to tell apart.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;          // server unreachable, refused, ...
inline constexpr int usage = 2;            // bad arguments
inline constexpr int unknown_sensor = 3;   // no config for the sensor
inline constexpr int rejected = 4;         // the sensor rejected the command
inline constexpr int not_confirmed = 5;    // still queued, no result in time (sensor offline?)
inline constexpr int taken_no_result = 6;  // the sensor took the command but reported no result
}  // namespace exit_code

// "iot-sim: <text>" on stderr; returns `code`.
int fail(int code, const std::string& text);
// Connects for a person waiting (send-asap, no reconnects) or explains why not.
boost::asio::awaitable<std::optional<nats_asio::connection>> connect(const apps::app_settings& s);

struct subscribe_args {
  std::string sensor_id;
  std::string from = "new";  // new | all | last:N
  std::optional<std::uint64_t> count;
  bool json = false;
};

struct command_args {
  std::string sensor_id;
  std::chrono::milliseconds interval{0};  // edit_config
  std::uint64_t lecture_id = 0;           // edit_measurement
  std::string value;                      // edit_measurement
  std::chrono::milliseconds timeout{5000};
};

// `stop` is emitted on Ctrl+C (subscribe ends cleanly with exit code 0).
boost::asio::awaitable<int> run_subscribe(const apps::app_settings& s, subscribe_args args,
                                          boost::asio::cancellation_signal& stop);
boost::asio::awaitable<int> run_get_config(const apps::app_settings& s, std::string sensor_id,
                                           bool json);
boost::asio::awaitable<int> run_edit_config(const apps::app_settings& s, command_args args);
boost::asio::awaitable<int> run_edit_measurement(const apps::app_settings& s, command_args args);
boost::asio::awaitable<int> run_list(const apps::app_settings& s);
// Creates or updates the streams, the bucket and each given sensor's command
// consumer, waiting up to s.start_timeout per step for servers that are not
// ready; `stop` (Ctrl+C) ends the wait.
boost::asio::awaitable<int> run_provision(const apps::app_settings& s,
                                          std::vector<std::string> sensor_ids,
                                          boost::asio::cancellation_signal& stop);

enum class output_format { text, json, csv };

struct history_args {
  std::string sensor_id;
  iot::clock::time_point from, to;
  std::optional<std::chrono::milliseconds> step;  // buckets instead of rows
  bool revisions = false;                         // every revision, not only the latest
  output_format format = output_format::text;
  std::chrono::milliseconds timeout{5000};
};

// The window of `iot-sim history`: --since D (until `now`), or --from T
// [--to T] (--to defaults to `now`), or the last hour. Returns "" or a
// one-line reason naming the flag.
std::string history_window(const std::string& since, const std::string& from, const std::string& to,
                           iot::clock::time_point now, iot::clock::time_point& out_from,
                           iot::clock::time_point& out_to);

// Asks iot-server's history service, page by page, and prints rows or buckets.
boost::asio::awaitable<int> run_history(const apps::app_settings& s, history_args args);

}  // namespace sim
