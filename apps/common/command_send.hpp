// Sending a command to a sensor, as iot-sim and iot-server's API both do:
// onto the sensor's subject of the command stream, its command_uuid as the
// message id (so that a retried publish stays one command), retried while a
// stream elects its leader; and, when no result came in time, telling a
// command still queued (the sensor is offline) from one the sensor took
// without reporting (the work queue deletes what the sensor acknowledged).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "iot/command.hpp"
#include "iot/wire.hpp"
#include "nats_asio/jetstream.hpp"
#include "start_retry.hpp"

namespace apps {

// Publishes `cmd` (its command_uuid set) for `sensor_id`; returns the
// stream sequence it was stored at, or nullopt and a one-line `error`.
boost::asio::awaitable<std::optional<std::uint64_t>> publish_command(
    nats_asio::jetstream& js, const iot::wire_names& names, const std::string& sensor_id,
    const iot::command& cmd, start_retry& retry, std::string& error);

enum class unanswered_command {
  queued,  // still in the stream: the sensor has not taken it (offline?)
  taken,   // gone from the stream: the sensor took it and reported nothing
  unknown  // the stream could not be asked (`detail` says why)
};

// Where a command stored at `sequence` stands once no result has come.
boost::asio::awaitable<unanswered_command> find_unanswered(nats_asio::jetstream& js,
                                                           const iot::wire_names& names,
                                                           std::uint64_t sequence,
                                                           std::string& detail);

}  // namespace apps
