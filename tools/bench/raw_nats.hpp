// The same workloads written directly against nats.c, the baseline the
// library is compared with. Every function here blocks: call it on a plain
// thread (see on_plain_thread in bench_env.hpp), never on an io_context.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace bench::raw {

struct publish_result {
  double seconds = 0;      // first publish until the last acknowledgment
  double cpu_seconds = 0;  // of this process (all threads) in that time
  std::size_t acknowledged = 0;
  std::size_t failed = 0;
};

// `messages` JetStream publishes of `payload`, round-robin over `subjects`,
// with js_PublishMsgAsync and at most `window` in flight
// (jsOptions.PublishAsync.MaxPending). Default connection options, as an
// application would have them. Throws std::runtime_error with nats.c's text.
publish_result publish(const std::string& url, const std::vector<std::string>& subjects,
                       std::size_t messages, std::size_t window, const std::string& payload);

struct kv_result {
  std::vector<double> get_us;  // one latency per kvStore_Get
  std::vector<double> put_us;  // one latency per kvStore_Put
};

// Sequential kvStore_Put and kvStore_Get of one key (send-asap connection,
// like the library side): `warmup` untimed rounds, then `samples` timed ones
// of each. Throws std::runtime_error with nats.c's text.
kv_result kv(const std::string& url, const std::string& bucket, const std::string& key,
             const std::string& value, std::size_t warmup, std::size_t samples);

struct drain_result {
  double seconds = 0;  // first fetch until the last acknowledgment is flushed
  double cpu_seconds = 0;
  std::size_t messages = 0;
};

// Reads `messages` messages of `stream` (those on `filter`) through a new
// durable pull consumer `durable` with explicit acks, fetching `batch` at a
// time and acknowledging each message, as fast as nats.c can; then deletes
// the consumer, so the stream is left as it was. Throws std::runtime_error
// with nats.c's text, or when the stream holds fewer messages.
drain_result drain(const std::string& url, const std::string& stream, const std::string& filter,
                   const std::string& durable, std::size_t messages, std::size_t batch);

}  // namespace bench::raw
