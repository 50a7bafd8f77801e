// The library against a 3-node cluster losing the node it is connected to,
// which also leads the replicated streams: everything resumes by itself.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "nats_cluster.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using test_support::nats_cluster;
using test_support::run_async;
using test_support::sleep_for;

namespace {

// Retries `attempt` (a fresh operation each time) until it succeeds: writes
// fail while a new leader is elected.
template <typename Attempt>
auto until_ok(Attempt attempt) -> decltype(attempt()) {
  for (int i = 0;; ++i) {
    auto result = co_await attempt();
    if (!std::get<0>(result) || i == 300) co_return result;
    co_await sleep_for(100ms);
  }
}

}  // namespace

TEST_CASE("cluster: watch, durable consumer and subscription resume when their node dies") {
  nats_cluster cluster;
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        std::vector<std::string> all;
        for (int i = 0; i < cluster.size(); ++i) all.push_back(cluster.node(i).url());
        auto admin = co_await test_support::connect_to(all);
        nats_asio::jetstream admin_js(admin, 15s);
        nats_asio::kv_config kc;
        kc.bucket = "CFG";
        kc.replicas = 3;
        nats_asio::diagnostics diag;
        auto kv = co_await nats_asio::async_create_key_value(admin_js, kc, diag, use_awaitable);
        co_await kv.async_put("k", "v1", use_awaitable);
        nats_asio::stream_config sc;
        sc.name = "EV";
        sc.subjects = {"ev.>"};
        sc.replicas = 3;
        co_await admin_js.async_ensure_stream(sc, use_awaitable);

        // The client knows only the node that leads the bucket's stream.
        auto info = co_await admin_js.async_stream_info("KV_CFG", use_awaitable);
        const int leader = cluster.index_of(info.cluster.leader);
        REQUIRE(leader >= 0);
        std::vector<std::string> only_leader{cluster.node(leader).url()};
        auto conn = co_await test_support::connect_to(only_leader);
        nats_asio::jetstream js(conn, 15s);
        auto client_kv = co_await nats_asio::async_open_key_value(js, "CFG", use_awaitable);
        nats_asio::watch_options wo;
        wo.heartbeat = 500ms;
        auto watcher = co_await client_kv.async_watch("k", wo, use_awaitable);
        CHECK((co_await watcher.async_next(use_awaitable)).value == "v1");
        CHECK((co_await watcher.async_next(use_awaitable)).operation ==
              nats_asio::kv_operation::initial_done);
        nats_asio::consumer_config cc;
        cc.durable_name = "ev-reader";
        cc.ack_wait = 5s;
        auto events = co_await js.async_subscribe("EV", cc, 64, use_awaitable);
        auto pings = conn.subscribe("ping");

        cluster.node(leader).kill_hard();

        const std::string key = "k", value = "v2";
        auto [pec, rev] =
            co_await until_ok([&] { return kv.async_put(key, value, as_tuple(use_awaitable)); });
        REQUIRE_MESSAGE(!pec, pec.message());
        auto seen = co_await watcher.async_next(use_awaitable);
        CHECK(seen.value == "v2");
        CHECK(seen.revision == rev);

        nats_asio::publish_options po;
        po.msg_id = "ev-1";
        const std::string subject = "ev.a", payload = "after";
        auto [eec, ack] = co_await until_ok(
            [&] { return admin_js.async_publish(subject, payload, po, as_tuple(use_awaitable)); });
        REQUIRE_MESSAGE(!eec, eec.message());
        auto ev = co_await events.async_receive(use_awaitable);
        CHECK(ev.payload() == "after");
        co_await ev.async_ack(use_awaitable);

        // Core messages published while the client reconnects are not kept:
        // publish until one arrives.
        using namespace asio::experimental::awaitable_operators;
        bool pinged = false;
        for (int i = 0; i < 100 && !pinged; ++i) {
          const bool failed = static_cast<bool>(admin.publish("ping", "hello"));
          CHECK(!failed);
          asio::steady_timer wait(co_await asio::this_coro::executor, 100ms);
          auto got = co_await (pings.async_receive(as_tuple(use_awaitable)) ||
                               wait.async_wait(as_tuple(use_awaitable)));
          pinged = got.index() == 0 && !std::get<0>(std::get<0>(got));
        }
        CHECK(pinged);
        pings.unsubscribe();
        events.unsubscribe();
      }(),
      180s);
}
