// A push consumer: the subscription on its deliver subject and the consumer
// made through the JetStream API, used by js_subscription and kv_watcher alike.
// The server's control messages (status 100) are answered on the nats.c thread
// as they arrive and never delivered, so they neither wait behind a slow
// reader nor get dropped with a full queue: a flow control request gets its
// empty reply, and so does the subject of an idle heartbeat's
// Nats-Consumer-Stalled header (the reply the server still waits for, its
// request lost). Every message, control or not, counts as activity.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "nats_asio/consumer_config.hpp"
#include "nats_asio/detail/connection_core.hpp"
#include "nats_asio/detail/consumer_activity.hpp"
#include "nats_asio/detail/js_api.hpp"
#include "nats_asio/detail/subscription_state.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio::detail {

// True if `msg` is a control message, which is then answered (while the
// connection lasts); false for a message to deliver. Runs on a nats.c thread.
bool answer_control_message(const std::weak_ptr<connection_core>& core, const message& msg,
                            consumer_activity& activity);

template <typename T>
struct push_consumer {
  std::shared_ptr<subscription_state<T>> deliveries;
  consumer_info info;
};

// Subscribes to cfg.deliver_subject (set by the caller), then makes the
// consumer or binds to the durable one. `deliver` turns each message that is
// not a control message into a T, on the nats.c thread. On failure nothing is
// left subscribed. Commits `op` (if set) just before the consumer is made.
template <typename T>
boost::asio::awaitable<std::pair<error_code, push_consumer<T>>> open_push_consumer(
    std::shared_ptr<connection_core> core, std::string stream, consumer_config cfg,
    std::size_t capacity, std::shared_ptr<consumer_activity> activity,
    std::function<T(message)> deliver, std::chrono::milliseconds timeout,
    std::shared_ptr<operation_state> op = nullptr) {
  std::weak_ptr<connection_core> weak = core;
  auto convert = [weak, activity, deliver = std::move(deliver)](natsMsg* raw) -> std::optional<T> {
    activity->touch();
    message msg = copy_message(raw);
    if (answer_control_message(weak, msg, *activity)) return std::nullopt;
    return deliver(std::move(msg));
  };
  error_code ec;
  auto deliveries = subscription_state<T>::open(core, cfg.deliver_subject, cfg.deliver_group,
                                                capacity, std::move(convert), ec);
  if (ec) co_return std::pair{ec, push_consumer<T>{}};
  auto [cec, info] =
      co_await ensure_consumer(core, std::move(stream), std::move(cfg), timeout, nullptr, op);
  if (cec || deliveries->denied()) {
    // A refused deliver subject usually shows by now (the server answers in
    // order); if it shows later, the receiver learns it from the queue.
    deliveries->close();
    co_return std::pair{cec ? cec : make_error_code(errc::permission_denied), push_consumer<T>{}};
  }
  co_return std::pair{error_code{}, push_consumer<T>{std::move(deliveries), std::move(info)}};
}

}  // namespace nats_asio::detail
