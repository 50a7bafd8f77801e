// For iot-server's tests: publishes measurements into the stream, waits
// until the database holds what the stream holds, and audits the two
// against each other (each sensor's seq 1..N stored exactly once, every
// row equal to its message).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "iot/measurement.hpp"

namespace test_support {

// Publishes `per_sensor` complete schema-1 measurements (seq 1..per_sensor)
// for each of the sensors "<prefix>-1".."<prefix>-<sensors>" into the
// measurements stream (created with the wire contract's defaults if
// missing), interleaved as a fleet would, `window` publishes in flight.
// Plus `corrections` revision-2 corrections of each sensor's first lectures
// and `invalid` messages that are not measurements. Throws on failure.
struct publish_plan {
  std::string prefix = "s";
  int sensors = 10;
  int per_sensor = 100;
  int corrections = 0;
  int invalid = 0;
  std::size_t window = 1024;
  std::uint64_t first_seq = 1;  // to publish a second round after a first
  // The first measurement's timestamp is this long ago; they follow one
  // second apart per sensor.
  std::chrono::seconds age = std::chrono::hours(24);
};
void publish_measurements(const std::string& nats_url, const publish_plan& plan);

// The plan's `index`-th measurement (index < sensors * (per_sensor +
// corrections): the originals interleaved by sensor, then the corrections),
// its series starting at `base`: what publish_measurements sends, for a
// benchmark that writes the same rows by other means.
iot::measurement planned_measurement(const publish_plan& plan, std::uint64_t index,
                                     iot::clock::time_point base);

struct history_audit {
  std::uint64_t stream_messages = 0;  // every message of the stream
  std::uint64_t stream_valid = 0;     // those that are measurements
  std::uint64_t rows = 0;             // rows in the database, every revision
  std::uint64_t rejected = 0;         // rows of `rejected`
  std::uint64_t sensors = 0;
  std::vector<std::string> problems;  // empty: the database equals the stream

  std::string line() const;  // "stream 100 (98 valid), rows 98, rejected 2, sensors 10"
};

// Reads the whole stream and the whole database (through the historian
// store, so for either database) and compares them.
history_audit audit_history(const std::string& nats_url, const std::string& db_url);

// Polls the database's counts until rows + rejected reach `messages`;
// false after `limit`. `progress` (if set) gets the counts on each poll.
bool wait_until_stored(const std::string& db_url, std::uint64_t messages,
                       std::chrono::milliseconds limit);

// Rows + rejected now (for "mid-ingest" points of a fault test).
std::uint64_t stored_count(const std::string& db_url);

}  // namespace test_support
