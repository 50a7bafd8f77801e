// A JetStream stream's configuration and state, as the library manages them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace nats_asio {

enum class retention_policy { limits, interest, work_queue };
enum class storage_type { file, memory };
enum class discard_policy { old_messages, new_messages };

struct stream_config {
  std::string name;
  std::vector<std::string> subjects;
  std::string description;
  retention_policy retention = retention_policy::limits;
  storage_type storage = storage_type::file;
  discard_policy discard = discard_policy::old_messages;
  std::int64_t max_msgs = -1;
  std::int64_t max_bytes = -1;
  std::int64_t max_msgs_per_subject = -1;
  std::int32_t max_msg_size = -1;
  std::chrono::nanoseconds max_age{0};  // 0: unlimited
  int replicas = 1;
  std::chrono::nanoseconds duplicate_window{std::chrono::minutes(2)};
  bool allow_direct = false;
  bool allow_rollup = false;
  bool deny_delete = false;
  bool deny_purge = false;

  bool operator==(const stream_config&) const = default;
};

struct stream_state {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  int consumer_count = 0;
};

// Where a replicated stream lives; empty on a single server.
struct stream_cluster {
  std::string name;
  std::string leader;  // server name of the current leader
};

struct stream_info {
  stream_config config;
  stream_state state;
  stream_cluster cluster;
};

const char* to_string(retention_policy p) noexcept;
const char* to_string(storage_type s) noexcept;

}  // namespace nats_asio
