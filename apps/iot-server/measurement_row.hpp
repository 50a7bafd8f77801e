// A message of the measurements stream as the historian stores it: a row,
// or, when it is not a valid measurement, a rejected message with why.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "historian/write_batch.hpp"
#include "iot/wire.hpp"

namespace server {

using row_or_rejected = std::variant<historian::stored_measurement, historian::rejected_message>;

// Valid: a complete schema-1 measurement (iot::decode_complete_measurement)
// published on its own sensor's subject (<measurements_subject>.<sensor_id>).
row_or_rejected to_row(const iot::wire_names& names, std::string_view subject,
                       std::string_view payload, std::uint64_t stream_seq);

}  // namespace server
