// A rejected command as kept in the dead-letter stream: why, where from, and
// the original payload, bounded and always valid JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "iot/timestamp.hpp"

namespace iot {

// Payload bytes a dead letter keeps: the record stays far below the server's
// maximum message size (1 MiB by default) whatever arrived.
inline constexpr std::size_t dead_letter_payload_limit = 64 * 1024;

struct dead_letter {
  std::string sensor_id;
  std::string subject;
  std::uint64_t stream_sequence = 0;
  std::string reason;
  std::string payload;  // the bytes as received
  clock::time_point received_at{};
};

// The Nats-Msg-Id a dead letter is stored under: "<sensor_id>:dl:<stream
// sequence>", so that a redelivered command is dead-lettered once.
std::string dead_letter_id(std::string_view sensor_id, std::uint64_t stream_sequence);

// {sensor_id, subject, stream_sequence, reason, received_at, payload_bytes,
//  payload (when UTF-8) or payload_base64 (when not), truncated (when cut)}
std::string encode(const dead_letter& d);

}  // namespace iot
