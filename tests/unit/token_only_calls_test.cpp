// Every public async operation takes its completion token as the only
// argument after its inputs: no defaulted parameter stands before the token,
// so a call that gives inputs and a token, and nothing else, compiles. A
// regression breaks the build of this file.
#include <doctest/doctest.h>

#include <boost/asio/deferred.hpp>
#include <chrono>

#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/js_message.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "nats_asio/kv_watcher.hpp"
#include "nats_asio/service.hpp"
#include "nats_asio/subscription.hpp"

namespace {

using boost::asio::deferred;
using namespace std::chrono_literals;
using namespace nats_asio;

constexpr bool connection_calls = requires(connection & c, connect_options o) {
  c.async_connect(o, deferred);
  c.async_request("s", "p", 1s, deferred);
  c.async_next_event(deferred);
  c.async_close(deferred);
  c.async_drain(1s, deferred);
};

constexpr bool jetstream_calls = requires(jetstream & js, stream_config s, consumer_config cc,
                                          diagnostics& d, publish_options po) {
  js.async_publish("s", "p", deferred);
  js.async_publish("s", "p", po, deferred);
  js.async_ensure_stream(s, deferred);
  js.async_ensure_stream(s, d, deferred);
  js.async_stream_info("S", deferred);
  js.async_delete_stream("S", deferred);
  js.async_ensure_consumer("S", cc, deferred);
  js.async_consumer_info("S", "C", deferred);
  js.async_delete_consumer("S", "C", deferred);
  js.async_subscribe("S", cc, deferred);
  js.async_subscribe("S", cc, 16, deferred);
};

constexpr bool message_calls =
    requires(js_message & m, js_subscription& js_sub, subscription& sub) {
  m.async_ack(deferred);
  m.async_nak(deferred);
  m.async_nak(100ms, deferred);
  m.async_term(deferred);
  m.async_in_progress(deferred);
  js_sub.async_receive(deferred);
  sub.async_receive(deferred);
};

constexpr bool kv_calls =
    requires(jetstream & js, kv_config cfg, diagnostics& d, kv_bucket& kv, kv_watcher& w) {
  async_create_key_value(js, cfg, d, deferred);
  async_open_key_value(js, "B", deferred);
  kv.async_get("k", deferred);
  kv.async_put("k", "v", deferred);
  kv.async_create("k", "v", deferred);
  kv.async_update("k", "v", 1, deferred);
  kv.async_erase("k", deferred);
  kv.async_keys(deferred);
  kv.async_watch(">", deferred);
  w.async_next(deferred);
};

constexpr bool service_calls = requires(service_endpoint & e) { e.async_receive(deferred); };

}  // namespace

TEST_CASE("every async operation takes a lone completion token after its inputs") {
  CHECK(connection_calls);
  CHECK(jetstream_calls);
  CHECK(message_calls);
  CHECK(kv_calls);
  CHECK(service_calls);
}
