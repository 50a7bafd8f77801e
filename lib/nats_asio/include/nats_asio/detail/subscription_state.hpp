// The state behind a subscription: the nats.c handle, the bounded queue its
// messages wait in, and the reference nats.c holds until OnComplete.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "nats_asio/detail/async_queue.hpp"
#include "nats_asio/detail/connection_core.hpp"
#include "nats_asio/detail/native_message.hpp"

namespace nats_asio::detail {

template <typename T>
class subscription_state {
 public:
  // Runs on a nats.c thread; returns nullopt for messages that are handled
  // there and not delivered (flow control, heartbeats).
  using convert_fn = std::function<std::optional<T>(natsMsg*)>;

  static std::shared_ptr<subscription_state> open(const std::shared_ptr<connection_core>& core,
                                                  std::string_view subject,
                                                  std::string_view queue_group,
                                                  std::size_t capacity, convert_fn convert,
                                                  error_code& ec) {
    auto state = std::make_shared<subscription_state>(core, capacity, std::move(convert));
    if (core == nullptr || core->native() == nullptr) {
      ec = errc::not_connected;
      return nullptr;
    }
    if (subject.empty()) {
      ec = errc::invalid_argument;
      return nullptr;
    }
    state->keep_alive_ = state;  // nats.c's reference, released in on_complete
    const std::string subj(subject), group(queue_group);
    // Watched before subscribing: the server's refusal may arrive at once.
    state->watch_id_ = core->watch_subscription(subj, [weak = std::weak_ptr(state)] {
      if (auto self = weak.lock()) self->deny();
    });
    natsStatus s = group.empty()
                       ? natsConnection_Subscribe(&state->sub_, core->native(), subj.c_str(),
                                                  &on_msg, state.get())
                       : natsConnection_QueueSubscribe(&state->sub_, core->native(), subj.c_str(),
                                                       group.c_str(), &on_msg, state.get());
    if (s != NATS_OK) {
      ec = make_nats_error(s);
      core->unwatch_subscription(state->watch_id_);
      state->keep_alive_.reset();  // nats.c never saw it
      return nullptr;
    }
    core->subscription_opened();
    s = natsSubscription_SetOnCompleteCB(state->sub_, &on_complete, state.get());
    if (s != NATS_OK) {
      // nats.c closed the subscription already (the connection closed in
      // between), so no OnComplete will come: the close must not wait for
      // one. A handler already running may still use the state, so it stays
      // with the connection core, which outlives the closed callback.
      ec = make_nats_error(s);
      core->unwatch_subscription(state->watch_id_);
      core->subscription_completed();
      natsSubscription_Destroy(state->sub_);
      state->sub_ = nullptr;
      core->keep_until_destroyed(std::move(state->keep_alive_));
      return nullptr;
    }
    // Our own queue is the bound; let nats.c hand over everything.
    natsSubscription_SetPendingLimits(state->sub_, -1, -1);
    ec = {};
    return state;
  }

  subscription_state(const std::shared_ptr<connection_core>& core, std::size_t capacity,
                     convert_fn convert)
      : core_(core), queue_(capacity), convert_(std::move(convert)) {}

  // Unsubscribes (idempotent). Waiting receivers fail with subscription_closed.
  void close() {
    if (closing_.exchange(true)) return;
    if (auto core = core_.lock()) core->unwatch_subscription(watch_id_);
    if (sub_) {
      natsSubscription_Unsubscribe(sub_);
      natsSubscription_Destroy(sub_);
      sub_ = nullptr;
    }
    queue_.close(errc::subscription_closed);
  }

  async_queue<T>& queue() { return queue_; }
  std::shared_ptr<connection_core> core() const { return core_.lock(); }
  // The server refused the subscription (permissions violation).
  bool denied() const { return denied_.load(std::memory_order_acquire); }

 private:
  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    unique_nats_msg owned(msg);
    auto* self = static_cast<subscription_state*>(closure);
    if (self->closing_.load(std::memory_order_relaxed)) return;
    if (auto item = self->convert_(msg)) self->queue_.push(std::move(*item));
  }

  // nats.c still counts a refused subscription as live; what it would have
  // received will never come, so receivers learn why instead of waiting.
  void deny() {
    denied_.store(true, std::memory_order_release);
    queue_.close(errc::permission_denied);
  }

  static void on_complete(void* closure) {
    auto* self = static_cast<subscription_state*>(closure);
    self->queue_.close(errc::subscription_closed);
    if (auto core = self->core_.lock()) {
      core->unwatch_subscription(self->watch_id_);
      core->subscription_completed();
    }
    auto last = std::move(self->keep_alive_);  // may destroy *self on return
  }

  std::weak_ptr<connection_core> core_;
  natsSubscription* sub_ = nullptr;
  async_queue<T> queue_;
  convert_fn convert_;
  std::shared_ptr<subscription_state> keep_alive_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> denied_{false};
  std::uint64_t watch_id_ = 0;
};

}  // namespace nats_asio::detail
