#include "measurement_row.hpp"

#include <string>

#include "iot/measurement.hpp"

namespace server {

row_or_rejected to_row(const iot::wire_names& names, std::string_view subject,
                       std::string_view payload, std::uint64_t stream_seq) {
  auto reject = [&](std::string reason) {
    return historian::rejected_message{stream_seq, std::string(subject), std::move(reason),
                                       std::string(payload)};
  };
  iot::measurement m;
  if (auto reason = iot::decode_complete_measurement(payload, m); !reason.empty())
    return reject(std::move(reason));
  if (subject != names.measurements_of(m.sensor_id))
    return reject("sensor_id \"" + m.sensor_id + "\" does not match the subject");
  return historian::stored_measurement{
      .sensor_id = std::move(m.sensor_id),
      .lecture_id = m.lecture_id,
      .revision = m.revision,
      .seq = m.seq,
      .ts = m.timestamp,
      .value = m.value,
      .lecture = std::move(m.lecture),
      .unit = std::move(m.unit),
      .stream_seq = stream_seq,
  };
}

}  // namespace server
