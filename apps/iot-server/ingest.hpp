// The ingest role: the durable consumer `historian` on the measurements
// stream, shared by every ingesting process, written to the store in
// batches, each one transaction, acknowledged only after its commit.
//
// Exactly once: a message is acknowledged only once its row (or its
// rejection) is committed, and the store skips rows it holds already, so a
// batch redelivered after a crash, a lost ack or a database outage stores
// nothing twice. A write that fails for a reason that may pass (the
// database restarting, busy, unreachable) is retried with backoff, keeping
// the batch; one that cannot pass (read-only file, disk full, no such
// table) ends ingest with that error.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../common/logger.hpp"
#include "duration_histogram.hpp"
#include "historian/measurement_store.hpp"
#include "iot/wire.hpp"
#include "nats_asio/jetstream.hpp"

namespace server {

struct ingest_options {
  std::size_t batch_max = 5000;  // rows per transaction at most
  // After the stream runs dry, how long a batch waits for more before it
  // is written: fewer, larger transactions against a little latency.
  std::chrono::milliseconds linger{20};
  std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
  int replicas = 0;  // of the consumer; 0: as the stream
  // How long creating the consumer retries while the servers are not ready.
  std::chrono::milliseconds start_timeout{std::chrono::seconds(60)};
};

struct ingest_counters {
  std::atomic<std::uint64_t> stored{0};      // rows committed
  std::atomic<std::uint64_t> duplicates{0};  // redelivered rows found stored already
  std::atomic<std::uint64_t> rejected{0};    // messages kept in `rejected`
  std::atomic<std::uint64_t> batches{0};     // transactions committed
  std::atomic<std::uint64_t> write_retries{0};
  duration_histogram lag;         // measurement timestamp to commit, of each row committed
  duration_histogram write_time;  // of each committed transaction
  // A write is failing and being retried: ingest is paused.
  std::atomic<bool> retrying{false};
  // Messages NATS has delivered that wait in ingest's receive queue (as of
  // the last batch), and those dropped because it was full (redelivered).
  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> dropped{0};
  // Lag of the newest row of the last committed batch, in ms.
  std::atomic<std::int64_t> last_lag_ms{0};
};

// The consumer every ingesting process shares.
inline constexpr const char* historian_consumer = "historian";
inline constexpr const char* historian_deliver_subject = "historian.deliver";

class ingest {
 public:
  // `counters` outlive this object: metrics read them before ingest starts
  // and after it ends.
  ingest(nats_asio::jetstream& js, std::shared_ptr<historian::measurement_store> store,
         iot::wire_names names, ingest_options options, ingest_counters& counters,
         const apps::logger& log);

  // Creates or binds the consumer, then stores until stop() or a failure
  // that cannot pass. Returns "" after stop(), else a one-line reason.
  boost::asio::awaitable<std::string> run();
  // Stops receiving; the batch being written is finished and acknowledged.
  void stop();

  const ingest_counters& counters() const noexcept { return counters_; }

 private:
  // A batch and the messages to acknowledge once it is committed.
  struct pending {
    historian::write_batch batch;
    std::vector<nats_asio::js_message> messages;
  };
  // One batch is written while the next one fills.
  using batch_channel =
      boost::asio::experimental::channel<void(boost::system::error_code, pending)>;

  boost::asio::awaitable<std::string> receive_batches(nats_asio::js_subscription& sub,
                                                      batch_channel& out);
  boost::asio::awaitable<std::string> write_batches(batch_channel& in);
  // True once committed; false when stopped (error stays empty) or failed
  // for good (error says why).
  boost::asio::awaitable<bool> write_with_retry(pending& p, std::string& error);

  nats_asio::jetstream& js_;
  std::shared_ptr<historian::measurement_store> store_;
  iot::wire_names names_;
  ingest_options options_;
  const apps::logger& log_;
  ingest_counters& counters_;
  bool stopping_ = false;
  boost::asio::cancellation_signal stop_receiving_;
};

}  // namespace server
