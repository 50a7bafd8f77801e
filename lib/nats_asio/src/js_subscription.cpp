#include "nats_asio/js_subscription.hpp"

#include "nats_asio/detail/consumer_activity.hpp"
#include "nats_asio/detail/js_api.hpp"
#include "nats_asio/detail/subscription_state.hpp"

namespace nats_asio {

js_subscription::~js_subscription() { unsubscribe(); }

js_subscription& js_subscription::operator=(js_subscription&& other) noexcept {
  if (this != &other) {
    unsubscribe();
    executor_ = std::move(other.executor_);
    state_ = std::move(other.state_);
    activity_ = std::move(other.activity_);
    info_ = std::move(other.info_);
    ephemeral_ = other.ephemeral_;
  }
  return *this;
}

void js_subscription::unsubscribe() {
  if (!state_) return;
  auto core = state_->core();
  state_->close();
  state_.reset();
  // Delete the ephemeral consumer now rather than after its inactivity timeout.
  if (ephemeral_ && core && !info_.name.empty())
    detail::delete_consumer_later(core, info_.stream, info_.name);
}

std::size_t js_subscription::queued() const { return state_ ? state_->queue().size() : 0; }
std::uint64_t js_subscription::dropped() const { return state_ ? state_->queue().dropped() : 0; }
std::uint64_t js_subscription::last_gap() const { return state_ ? state_->queue().last_gap() : 0; }

std::chrono::steady_clock::time_point js_subscription::last_activity() const {
  return activity_ ? activity_->last() : std::chrono::steady_clock::time_point{};
}

std::chrono::milliseconds js_subscription::silence_left(std::chrono::milliseconds silence) const {
  // No activity record (not attached): silent already.
  return activity_ ? activity_->silence_left(silence) : std::chrono::milliseconds(0);
}

void js_subscription::start_receive(const detail::completion_ptr<js_message>& c) {
  if (!state_) {
    c->fail(errc::subscription_closed);
    return;
  }
  state_->queue().receive(c);
}

void js_subscription::attach(std::shared_ptr<detail::subscription_state<js_message>> state,
                             std::shared_ptr<detail::consumer_activity> act, consumer_info info,
                             bool ephemeral) {
  state_ = std::move(state);
  activity_ = std::move(act);
  info_ = std::move(info);
  ephemeral_ = ephemeral;
}

}  // namespace nats_asio
