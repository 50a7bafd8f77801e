// One value of a key-value bucket, as read or watched.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nats_asio {

enum class kv_operation {
  put,
  erase,         // delete marker: the key reads as absent
  purge,         // purge marker: history removed, the key reads as absent
  initial_done,  // watch only: every value present at start has been delivered
};

struct kv_entry {
  std::string bucket;
  std::string key;
  std::string value;
  std::uint64_t revision = 0;  // the stream sequence of this value
  std::chrono::system_clock::time_point created;
  kv_operation operation = kv_operation::put;
  std::uint64_t delta = 0;  // watch only: values still pending behind this one
};

}  // namespace nats_asio
