// A JetStream consumer's configuration and state.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nats_asio {

enum class deliver_policy { all, last, new_only, by_start_sequence, last_per_subject };
enum class ack_policy { none, all, explicit_ack };

struct consumer_config {
  std::string durable_name;  // empty: ephemeral, removed after inactive_threshold
  std::string description;
  std::string deliver_subject;  // push consumers; empty: the library picks an inbox
  std::string deliver_group;    // queue group sharing the deliveries
  std::string filter_subject;
  deliver_policy deliver = deliver_policy::all;
  std::uint64_t start_sequence = 0;  // with deliver_policy::by_start_sequence
  ack_policy ack = ack_policy::explicit_ack;
  std::chrono::nanoseconds ack_wait{std::chrono::seconds(30)};
  std::int64_t max_deliver = -1;
  std::int64_t max_ack_pending = 1000;
  std::chrono::nanoseconds idle_heartbeat{0};  // 0: none
  bool flow_control = false;                   // needs idle_heartbeat
  bool headers_only = false;
  std::chrono::nanoseconds inactive_threshold{0};  // 0: server default
  int replicas = 0;                                // 0: as the stream
  bool memory_storage = false;

  bool operator==(const consumer_config&) const = default;
};

struct sequence_pair {
  std::uint64_t consumer = 0;
  std::uint64_t stream = 0;
};

struct consumer_info {
  std::string stream;
  std::string name;
  consumer_config config;
  sequence_pair delivered;
  sequence_pair ack_floor;
  std::uint64_t num_pending = 0;      // messages not yet delivered
  std::uint64_t num_ack_pending = 0;  // delivered, awaiting an ack
  std::uint64_t num_redelivered = 0;
};

}  // namespace nats_asio
