#include "nats_asio/detail/push_consumer.hpp"

namespace nats_asio::detail {

bool answer_control_message(const std::weak_ptr<connection_core>& weak, const message& msg,
                            consumer_activity& activity) {
  if (msg.status != 100) return false;
  auto core = weak.lock();
  if (!core) return true;
  if (!msg.reply.empty()) {  // a flow control request
    core->publish(msg.reply, {}, {}, {});
    activity.flow_control_answered.fetch_add(1, std::memory_order_relaxed);
  } else if (auto stalled = msg.header("Nats-Consumer-Stalled")) {
    core->publish(*stalled, {}, {}, {});
    activity.stalls_answered.fetch_add(1, std::memory_order_relaxed);
  }
  return true;  // an idle heartbeat needs no answer
}

}  // namespace nats_asio::detail
