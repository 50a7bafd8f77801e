// What one ingest transaction writes: valid measurements and the messages
// that were not, each kept with why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "historian/stored_measurement.hpp"

namespace historian {

struct rejected_message {
  std::uint64_t stream_seq = 0;
  std::string subject;
  std::string reason;   // one line
  std::string payload;  // as received (bytes, not necessarily UTF-8)

  bool operator==(const rejected_message&) const = default;
};

struct write_batch {
  std::vector<stored_measurement> rows;
  std::vector<rejected_message> rejected;
};

struct write_result {
  std::size_t inserted = 0;    // new rows
  std::size_t duplicates = 0;  // rows whose (sensor_id, lecture_id, revision) was stored before
  std::size_t rejected = 0;    // new rejected messages (a repeated stream_seq is not stored twice)
};

}  // namespace historian
