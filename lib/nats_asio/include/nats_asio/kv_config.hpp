// The settings of a key-value bucket, as created by async_create_key_value.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nats_asio {

struct kv_config {
  std::string bucket;  // [-_A-Za-z0-9]
  std::string description;
  int history = 1;                  // values kept per key, 1..64
  std::chrono::nanoseconds ttl{0};  // 0: values never expire
  bool memory_storage = false;
  int replicas = 1;
  std::int64_t max_bytes = -1;
  std::int32_t max_value_size = -1;
};

}  // namespace nats_asio
