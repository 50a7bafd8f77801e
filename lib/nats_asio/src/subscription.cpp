#include "nats_asio/subscription.hpp"

#include "nats_asio/detail/subscription_state.hpp"

namespace nats_asio {

subscription::~subscription() { unsubscribe(); }

subscription& subscription::operator=(subscription&& other) noexcept {
  if (this != &other) {
    unsubscribe();
    executor_ = std::move(other.executor_);
    state_ = std::move(other.state_);
  }
  return *this;
}

void subscription::unsubscribe() {
  if (state_) state_->close();
  state_.reset();
}

std::uint64_t subscription::dropped() const { return state_ ? state_->queue().dropped() : 0; }
std::uint64_t subscription::last_gap() const { return state_ ? state_->queue().last_gap() : 0; }
std::size_t subscription::queued() const { return state_ ? state_->queue().size() : 0; }

subscription subscription::open(const std::shared_ptr<detail::connection_core>& core,
                                std::string_view subject, std::string_view queue_group,
                                std::size_t capacity, error_code& ec) {
  subscription sub(core ? core->executor() : executor_type{});
  sub.state_ = detail::subscription_state<message>::open(
      core, subject, queue_group, capacity,
      [](natsMsg* msg) { return std::optional<message>(detail::copy_message(msg)); }, ec);
  return sub;
}

void subscription::start_receive(const detail::completion_ptr<message>& c) {
  if (!state_) {
    c->fail(errc::subscription_closed);
    return;
  }
  state_->queue().receive(c);
}

}  // namespace nats_asio
