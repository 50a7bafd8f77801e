// Creates (or checks) the streams and the bucket of the wire contract, and
// each sensor's command consumer.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app_settings.hpp"
#include "nats_asio/consumer_config.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "start_retry.hpp"

namespace apps {

struct provisioned {
  nats_asio::kv_bucket config;
  // What was left unchecked or unchanged because this identity may not
  // manage streams (see provision()); one line each, for the log.
  std::vector<std::string> warnings;
};

// Idempotent. On failure returns nullopt and sets `error` to one line naming
// the stream or bucket and what is incompatible.
//
// An identity without the right to create or update streams (a sensor under
// the per-sensor permissions of tools/gen-perms.sh) is fine as long as the
// admin has provisioned them: a stream that exists but differs from these
// settings, or that this identity may not even look at, is used as it is and
// reported in `warnings`; one that does not exist is an error.
//
// Each request is retried with `retry` while the servers are not ready.
boost::asio::awaitable<std::optional<provisioned>> provision(nats_asio::jetstream& js,
                                                             const app_settings& settings,
                                                             start_retry& retry,
                                                             std::string& error);

// A long-running program's start: connects `conn` with s.connect, makes `js`
// on it and provisions (retrying while the servers are not ready, until
// `stopping`; `pause` ends a wait at once when cancelled). Failures and
// warnings are logged, one line each (a failure is not logged once
// stopping); nullopt after a failure.
boost::asio::awaitable<std::optional<provisioned>> connect_and_provision(
    nats_asio::connection& conn, std::optional<nats_asio::jetstream>& js, const app_settings& s,
    const logger& log, const bool& stopping, boost::asio::steady_timer& pause);

// The durable push consumer through which sensor `sensor_id` receives its
// commands (a fleet member: the one its fleet shares, iot/wire.hpp). The admin creates it ahead of
// time (a sensor may not create consumers under per-sensor permissions), and the sensor asks for
// exactly this configuration, so that it finds the consumer as it wants it.
nats_asio::consumer_config command_consumer_config(const app_settings& s,
                                                   std::string_view sensor_id);
// The max_ack_pending of a fleet's consumer: the commands in a fleet's
// process at once, for all its members.
inline constexpr std::size_t fleet_commands_in_flight = 1024;

// Whether some subject matches both subjects (NATS wildcards `*` and `>`
// allowed; an empty filter matches every subject).
bool subjects_overlap(std::string_view a, std::string_view b);

// Creates or updates that consumer. On failure returns false and sets `error`
// to one line; when another consumer's filter takes the same commands (a
// work-queue stream allows only one), the line names that consumer. Retried
// with `retry` while the servers are not ready.
boost::asio::awaitable<bool> ensure_command_consumer(nats_asio::jetstream& js,
                                                     const app_settings& settings,
                                                     const std::string& sensor_id,
                                                     start_retry& retry, std::string& error);

}  // namespace apps
