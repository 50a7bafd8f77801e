// jetstream::async_publish_batch: each message goes out through
// start_publish, as a single publish would, but its result lands in the
// batch's shared state instead of being posted to a handler; the last one to
// arrive (on whichever nats.c thread) completes the batch, once.
#include <atomic>
#include <memory>
#include <utility>

#include "nats_asio/jetstream.hpp"

namespace nats_asio {

namespace {

struct batch_state {
  std::vector<publish_result> results;
  std::atomic<std::size_t> left{0};
  detail::completion_ptr<std::vector<publish_result>> done;

  // Each message writes only its own element; the acq_rel count hands all of
  // them to whichever thread settles the last.
  void settle(std::size_t index, error_code ec, pub_ack ack) {
    results[index] = publish_result{ec, std::move(ack)};
    if (left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    error_code first;
    for (const auto& r : results) {
      if (r.error) {
        first = r.error;
        break;
      }
    }
    done->complete(first, std::move(results));
  }
};

// One message of a batch: a completion whose result goes to the batch.
class batch_member final : public detail::completion<pub_ack> {
 public:
  batch_member(std::shared_ptr<batch_state> batch, std::size_t index,
               boost::asio::any_io_executor ex)
      : batch_(std::move(batch)), index_(index), executor_(std::move(ex)) {}

  boost::asio::any_io_executor executor() const override { return executor_; }

 private:
  void deliver(error_code ec, pub_ack ack) override { batch_->settle(index_, ec, std::move(ack)); }

  std::shared_ptr<batch_state> batch_;
  std::size_t index_;
  boost::asio::any_io_executor executor_;
};

}  // namespace

void jetstream::start_publish_batch(std::vector<outgoing_message> batch,
                                    const detail::completion_ptr<std::vector<publish_result>>& c) {
  c->ignore_cancellation();
  if (batch.empty()) {
    c->complete({}, {});
    return;
  }
  auto state = std::make_shared<batch_state>();
  state->results.resize(batch.size());
  state->left.store(batch.size(), std::memory_order_relaxed);
  state->done = c;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& m = batch[i];
    start_publish(std::move(m.subject), std::move(m.payload), std::move(m.headers),
                  std::move(m.options), std::make_shared<batch_member>(state, i, executor_));
  }
}

}  // namespace nats_asio
