// The library's own way into the internals of its I/O objects, which their
// public interface keeps from users (as Boost.MySQL's detail::access does).
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/js_subscription.hpp"
#include "nats_asio/kv_watcher.hpp"
#include "nats_asio/service.hpp"
#include "nats_asio/subscription.hpp"

namespace nats_asio::detail {

struct access {
  static const std::shared_ptr<connection_core>& core(const connection& c) noexcept {
    return c.core_;
  }
  static const std::shared_ptr<connection_core>& core(const jetstream& js) noexcept {
    return js.core_;
  }

  static subscription open_subscription(const std::shared_ptr<connection_core>& core,
                                        std::string_view subject, std::string_view queue_group,
                                        std::size_t capacity, error_code& ec) {
    return subscription::open(core, subject, queue_group, capacity, ec);
  }

  // Binds the pieces made by jetstream::async_subscribe.
  static void attach(js_subscription& sub, std::shared_ptr<subscription_state<js_message>> state,
                     std::shared_ptr<consumer_activity> activity, consumer_info info,
                     bool ephemeral) {
    sub.attach(std::move(state), std::move(activity), std::move(info), ephemeral);
  }

  // What a push consumer heard and answered, for tests.
  static const std::shared_ptr<consumer_activity>& activity(const js_subscription& sub) noexcept {
    return sub.activity_;
  }
  static const std::shared_ptr<watch_state>& state(const kv_watcher& watcher) noexcept {
    return watcher.state_;
  }

  // A request as an endpoint's subscription receives it (on a nats.c thread).
  static service_request make_request(message msg, std::shared_ptr<endpoint_stats> stats,
                                      std::weak_ptr<connection_core> core,
                                      std::chrono::steady_clock::time_point received) {
    return service_request(std::move(msg), std::move(stats), std::move(core), received);
  }
};

}  // namespace nats_asio::detail
