// JetStream through the library against a real nats-server.
#include "nats_asio/jetstream.hpp"

#include <doctest/doctest.h>
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>
#include <vector>

#include "nats_asio/connection.hpp"
#include "nats_asio/detail/access.hpp"
#include "nats_asio/detail/consumer_activity.hpp"
#include "nats_server.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using nats_asio::errc;
using nats_asio::error_code;
using test_support::connect_to;
using test_support::nats_server;
using test_support::run_async;
using test_support::sleep_for;

namespace {

nats_asio::stream_config stream(std::string name, std::string subjects) {
  nats_asio::stream_config c;
  c.name = std::move(name);
  c.subjects = {std::move(subjects)};
  return c;
}

}  // namespace

TEST_CASE(
    "ensure_stream creates, accepts an identical config, updates, and reports incompatibility") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto cfg = stream("ORDERS", "orders.>");
    auto created = co_await js.async_ensure_stream(cfg, use_awaitable);
    CHECK(created.config.name == "ORDERS");
    CHECK(created.config.subjects == std::vector<std::string>{"orders.>"});

    auto again = co_await js.async_ensure_stream(cfg, use_awaitable);
    CHECK(again.config == created.config);

    cfg.max_msgs = 1000;
    auto updated = co_await js.async_ensure_stream(cfg, use_awaitable);
    CHECK(updated.config.max_msgs == 1000);

    cfg.storage = nats_asio::storage_type::memory;  // storage cannot change
    nats_asio::diagnostics diag;
    auto [ec, info] = co_await js.async_ensure_stream(cfg, diag, asio::as_tuple(use_awaitable));
    CHECK(ec == errc::stream_incompatible);
    CHECK(diag.server_message().find("storage") != std::string::npos);

    auto [ec2, none] = co_await js.async_stream_info("NOPE", asio::as_tuple(use_awaitable));
    CHECK(ec2 == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found));
  }());
}

TEST_CASE("100000 async publishes are all acknowledged, none lost, none duplicated") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server, false);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("BULK", "bulk.>"), use_awaitable);
    constexpr int total = 100000;
    int acked = 0, failed = 0;
    std::vector<std::uint64_t> sequences;
    sequences.reserve(total);
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer done(ex, asio::steady_timer::time_point::max());
    for (int i = 0; i < total; ++i) {
      nats_asio::publish_options o;
      o.msg_id = "m-" + std::to_string(i);
      js.async_publish("bulk." + std::to_string(i % 10), R"({"n":)" + std::to_string(i) + "}", o,
                       [&](error_code ec, nats_asio::pub_ack ack) {
                         if (ec)
                           ++failed;
                         else {
                           ++acked;
                           sequences.push_back(ack.sequence);
                         }
                         if (acked + failed == total) done.cancel();
                       });
    }
    co_await done.async_wait(asio::as_tuple(use_awaitable));
    CHECK(failed == 0);
    CHECK(acked == total);
    std::set<std::uint64_t> unique(sequences.begin(), sequences.end());
    CHECK(unique.size() == total);
    auto info = co_await js.async_stream_info("BULK", use_awaitable);
    CHECK(info.state.messages == total);
    CHECK(info.state.last_sequence == total);
  }());
}

TEST_CASE("a batch publish stores every message in order and completes once with each result") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server, false);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("BATCH", "batch.>"), use_awaitable);
    // More than the connection's window of 4 096: the rest wait for slots.
    constexpr std::size_t total = 10000;
    std::vector<nats_asio::outgoing_message> batch(total);
    for (std::size_t i = 0; i < total; ++i) {
      batch[i].subject = "batch." + std::to_string(i % 10);
      batch[i].payload = std::to_string(i);
      batch[i].options.msg_id = "b-" + std::to_string(i);
    }
    auto [ec, results] =
        co_await js.async_publish_batch(std::move(batch), asio::as_tuple(use_awaitable));
    CHECK(!ec);
    REQUIRE(results.size() == total);
    std::size_t in_order = 0;
    for (std::size_t i = 0; i < total; ++i)
      if (!results[i].error && results[i].ack.sequence == i + 1) ++in_order;
    CHECK(in_order == total);
    auto info = co_await js.async_stream_info("BATCH", use_awaitable);
    CHECK(info.state.messages == total);

    // Each message's own outcome; the batch's error is the first failure's.
    std::vector<nats_asio::outgoing_message> mixed(3);
    mixed[0].subject = "batch.new";
    mixed[1].subject = "nostream.x";
    mixed[2].subject = "batch.0";
    mixed[2].options.msg_id = "b-0";  // stored above: a duplicate
    auto [mec, mresults] =
        co_await js.async_publish_batch(std::move(mixed), asio::as_tuple(use_awaitable));
    CHECK(mec == errc::no_responders);
    REQUIRE(mresults.size() == 3);
    CHECK(!mresults[0].error);
    CHECK(mresults[0].ack.sequence == total + 1);
    CHECK(mresults[1].error == errc::no_responders);
    CHECK(!mresults[2].error);
    CHECK(mresults[2].ack.duplicate);
    CHECK(mresults[2].ack.sequence == 1);

    std::vector<nats_asio::outgoing_message> empty;  // named: no braced temporary in co_await
    auto [eec, none] =
        co_await js.async_publish_batch(std::move(empty), asio::as_tuple(use_awaitable));
    CHECK(!eec);
    CHECK(none.empty());
  }());
}

TEST_CASE("a message id is stored once; expected-last-sequence guards order") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("DEDUP", "dedup.>"), use_awaitable);
    nats_asio::publish_options o;
    o.msg_id = "same-id";
    auto first = co_await js.async_publish("dedup.a", "1", o, use_awaitable);
    auto second = co_await js.async_publish("dedup.a", "1", o, use_awaitable);
    CHECK(!first.duplicate);
    CHECK(second.duplicate);
    CHECK(second.sequence == first.sequence);

    nats_asio::publish_options guarded;
    guarded.expected_last_sequence = first.sequence;
    auto ok = co_await js.async_publish("dedup.b", "2", guarded, use_awaitable);
    CHECK(ok.sequence == first.sequence + 1);
    auto [ec, none] =
        co_await js.async_publish("dedup.b", "3", guarded, asio::as_tuple(use_awaitable));
    CHECK(ec == nats_asio::make_jetstream_error(nats_asio::js_err::wrong_last_sequence));

    nats_asio::publish_options plain;
    auto [ec2, none2] =
        co_await js.async_publish("nostream.x", "x", plain, asio::as_tuple(use_awaitable));
    CHECK(ec2 == errc::no_responders);
    auto info = co_await js.async_stream_info("DEDUP", use_awaitable);
    CHECK(info.state.messages == 2);
  }());
}

TEST_CASE("a payload over the server's maximum fails at once, clearly, and breaks nothing") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("BIG", "big.>"), use_awaitable);
    const std::string huge(2 * 1024 * 1024, 'x');  // the server's maximum is 1 MiB
    nats_asio::publish_options o;
    o.timeout = 10s;
    const auto began = std::chrono::steady_clock::now();
    auto [ec, ack] = co_await js.async_publish("big.a", huge, o, asio::as_tuple(use_awaitable));
    CHECK(ec);
    CHECK(std::chrono::steady_clock::now() - began < 5s);  // not the ack timeout
    MESSAGE("error: " << ec.message());
    CHECK(conn.publish("big.core", huge));
    // The connection still works.
    auto fine = co_await js.async_publish("big.a", "small", o, use_awaitable);
    CHECK(fine.sequence == 1);
  }());
}

TEST_CASE("a full publish window makes the caller wait; cancelling that wait sends nothing") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    nats_asio::connection conn(co_await asio::this_coro::executor);
    nats_asio::connect_options o;
    o.servers = {server.url()};
    o.max_pending_publishes = 1;
    co_await conn.async_connect(o, use_awaitable);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("WINDOW", "window.>"), use_awaitable);
    // A stopped server acknowledges nothing: the first publish holds the
    // window's one slot until it continues, so the second surely waits.
    REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
    std::optional<error_code> first, second;
    asio::cancellation_signal cancel_second;
    js.async_publish("window.a", "1", [&](error_code ec, nats_asio::pub_ack) { first = ec; });
    js.async_publish(
        "window.a", "2",
        asio::bind_cancellation_slot(cancel_second.slot(),
                                     [&](error_code ec, nats_asio::pub_ack) { second = ec; }));
    cancel_second.emit(asio::cancellation_type::terminal);
    for (int i = 0; i < 1000 && !second; ++i) co_await sleep_for(10ms);
    REQUIRE(::kill(server.pid(), SIGCONT) == 0);
    for (int i = 0; i < 1000 && !first; ++i) co_await sleep_for(10ms);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(!*first);
    CHECK(*second == asio::error::operation_aborted);
    auto third = co_await js.async_publish("window.a", "3", use_awaitable);
    CHECK(third.sequence == 2);  // the cancelled publish never reached the stream
  }());
}

TEST_CASE("a total cancellation is honoured only while nothing was sent; terminal always") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    nats_asio::connection conn(co_await asio::this_coro::executor);
    nats_asio::connect_options o;
    o.servers = {server.url()};
    o.max_pending_publishes = 1;
    co_await conn.async_connect(o, use_awaitable);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("TOTAL", "total.>"), use_awaitable);
    std::optional<error_code> sent, waiting;
    std::uint64_t sent_sequence = 0;
    asio::cancellation_signal cancel_sent, cancel_waiting;
    // A stopped server acknowledges nothing: the second publish surely waits
    // for the window when the cancellations come (under load, the first's
    // acknowledgment could otherwise free the window first).
    REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
    js.async_publish("total.a", "1",
                     asio::bind_cancellation_slot(cancel_sent.slot(),
                                                  [&](error_code ec, nats_asio::pub_ack ack) {
                                                    sent = ec;
                                                    sent_sequence = ack.sequence;
                                                  }));
    js.async_publish(
        "total.a", "2",
        asio::bind_cancellation_slot(cancel_waiting.slot(),
                                     [&](error_code ec, nats_asio::pub_ack) { waiting = ec; }));
    cancel_sent.emit(asio::cancellation_type::total);     // on its way: runs to its end
    cancel_waiting.emit(asio::cancellation_type::total);  // waits for the window: nothing sent
    REQUIRE(::kill(server.pid(), SIGCONT) == 0);
    for (int i = 0; i < 500 && !(sent && waiting); ++i) co_await sleep_for(10ms);
    REQUIRE(sent);
    REQUIRE(waiting);
    CHECK(!*sent);
    CHECK(sent_sequence == 1);
    CHECK(*waiting == asio::error::operation_aborted);

    // Once sent, terminal still ends the wait at once (the message may be stored).
    std::optional<error_code> third;
    asio::cancellation_signal cancel_third;
    js.async_publish(
        "total.a", "3",
        asio::bind_cancellation_slot(cancel_third.slot(),
                                     [&](error_code ec, nats_asio::pub_ack) { third = ec; }));
    cancel_third.emit(asio::cancellation_type::terminal);
    for (int i = 0; i < 500 && !third; ++i) co_await sleep_for(10ms);
    REQUIRE(third);
    CHECK(*third == asio::error::operation_aborted);
  }());
}

TEST_CASE("cancelling a composed operation cancels its step under way: nothing more is sent") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await test_support::connect_to(server);
    nats_asio::jetstream js(conn, 60s);
    // A stopped server answers nothing: ensure_stream waits on its lookup
    // (STREAM.INFO), and would create the stream once the answer came.
    REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
    std::optional<error_code> ensured;
    asio::cancellation_signal cancel;
    js.async_ensure_stream(
        stream("PAUSED", "paused.>"),
        asio::bind_cancellation_slot(cancel.slot(),
                                     [&](error_code ec, nats_asio::stream_info) { ensured = ec; }));
    // The operation's first step (sending the lookup) was queued by the
    // call, ahead of what this cancellation queues.
    cancel.emit(asio::cancellation_type::terminal);
    for (int i = 0; i < 500 && !ensured; ++i) co_await sleep_for(10ms);
    REQUIRE(::kill(server.pid(), SIGCONT) == 0);
    REQUIRE(ensured);
    CHECK(*ensured == asio::error::operation_aborted);
    // The lookup's answer now arrives and is dropped: no create follows it.
    for (int i = 0; i < 3; ++i) {
      auto [ec, info] = co_await js.async_stream_info("PAUSED", asio::as_tuple(use_awaitable));
      CHECK(ec == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found));
    }
  }());
}

TEST_CASE("push consumer: ack, nak with redelivery, term without, in-progress") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("WORK", "work.>"), use_awaitable);
    nats_asio::consumer_config cc;
    cc.durable_name = "worker";
    cc.filter_subject = "work.>";
    cc.ack_wait = 2s;
    cc.idle_heartbeat = 1s;
    cc.flow_control = true;
    auto sub = co_await js.async_subscribe("WORK", cc, 1024, use_awaitable);
    CHECK(sub.info().name == "worker");

    co_await js.async_publish("work.ack", "a", use_awaitable);
    co_await js.async_publish("work.nak", "n", use_awaitable);
    co_await js.async_publish("work.term", "t", use_awaitable);

    int nak_deliveries = 0, term_deliveries = 0, slow_deliveries = 0;
    for (int i = 0; i < 4; ++i) {  // ack, nak, term, then nak redelivered
      auto msg = co_await sub.async_receive(use_awaitable);
      CHECK(msg.metadata().stream == "WORK");
      if (msg.subject() == "work.ack") {
        co_await msg.async_ack(use_awaitable);
      } else if (msg.subject() == "work.nak") {
        ++nak_deliveries;
        CHECK(msg.metadata().num_delivered == static_cast<std::uint64_t>(nak_deliveries));
        if (nak_deliveries == 1)
          co_await msg.async_nak(100ms, use_awaitable);
        else
          co_await msg.async_ack(use_awaitable);
      } else if (msg.subject() == "work.term") {
        ++term_deliveries;
        co_await msg.async_term(use_awaitable);
      }
    }
    // Working longer than ack_wait, with progress reports: no redelivery.
    co_await js.async_publish("work.slow", "s", use_awaitable);
    auto slow = co_await sub.async_receive(use_awaitable);
    CHECK(slow.subject() == "work.slow");
    ++slow_deliveries;
    for (int k = 0; k < 3; ++k) {
      co_await sleep_for(1s);
      co_await slow.async_in_progress(use_awaitable);
    }
    co_await slow.async_ack(use_awaitable);
    CHECK(nak_deliveries == 2);
    CHECK(term_deliveries == 1);
    CHECK(slow_deliveries == 1);
    // Nothing else arrives: the termed and acked messages stay done.
    using namespace asio::experimental::awaitable_operators;
    auto outcome = co_await (sub.async_receive(use_awaitable) || sleep_for(2500ms));
    CHECK_MESSAGE(
        outcome.index() == 1,
        "unexpected delivery: " << (outcome.index() == 0 ? std::get<0>(outcome).subject() : ""));
    auto info = co_await js.async_consumer_info("WORK", "worker", use_awaitable);
    CHECK(info.num_ack_pending == 0);
    CHECK(info.num_pending == 0);
  }());
}

TEST_CASE("a durable push subscription resumes after the server is killed and restarted") {
  nats_server server;
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect_to(server);
        nats_asio::jetstream js(conn);
        co_await js.async_ensure_stream(stream("EVENTS", "events.>"), use_awaitable);
        nats_asio::consumer_config cc;
        cc.durable_name = "tail";
        cc.idle_heartbeat = 1s;
        cc.flow_control = true;
        auto sub = co_await js.async_subscribe("EVENTS", cc, 1024, use_awaitable);
        for (int i = 1; i <= 5; ++i)
          co_await js.async_publish("events.x", std::to_string(i), use_awaitable);
        std::set<std::string> seen;
        while (seen.size() < 5) {
          auto msg = co_await sub.async_receive(use_awaitable);
          seen.insert(msg.payload());
          co_await msg.async_ack(use_awaitable);
        }
        server.kill_hard();
        server.start();
        // Publish once the connection is back (acks prove it).
        for (int i = 6; i <= 10; ++i) {
          while (true) {
            auto [ec, ack] = co_await js.async_publish("events.x", std::to_string(i),
                                                       asio::as_tuple(use_awaitable));
            if (!ec) break;
            co_await sleep_for(100ms);
          }
        }
        while (seen.size() < 10) {
          auto msg = co_await sub.async_receive(use_awaitable);
          seen.insert(msg.payload());
          co_await msg.async_ack(use_awaitable);
        }
        CHECK(seen.size() == 10);
      }(),
      90s);
}

TEST_CASE("destroying a js_subscription keeps a durable and deletes an ephemeral consumer") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("LIFE", "life.>"), use_awaitable);
    std::optional<error_code> pending;
    std::string ephemeral_name;
    {
      nats_asio::consumer_config durable;
      durable.durable_name = "keeper";
      auto d = co_await js.async_subscribe("LIFE", durable, 16, use_awaitable);
      nats_asio::consumer_config ephemeral;
      auto e = co_await js.async_subscribe("LIFE", ephemeral, 16, use_awaitable);
      ephemeral_name = e.info().name;
      CHECK(!ephemeral_name.empty());
      d.async_receive([&](error_code ec, nats_asio::js_message) { pending = ec; });
    }
    for (int i = 0; i < 100 && !pending; ++i) co_await sleep_for(10ms);
    REQUIRE(pending);
    CHECK(*pending == errc::subscription_closed);
    auto [ec1, keeper] =
        co_await js.async_consumer_info("LIFE", "keeper", asio::as_tuple(use_awaitable));
    CHECK(!ec1);
    error_code ec2;
    for (int i = 0; i < 50; ++i) {
      auto [ec, info] =
          co_await js.async_consumer_info("LIFE", ephemeral_name, asio::as_tuple(use_awaitable));
      ec2 = ec;
      if (ec) break;
      co_await sleep_for(20ms);
    }
    CHECK(ec2 == nats_asio::make_jetstream_error(nats_asio::js_err::consumer_not_found));
  }());
}

TEST_CASE("stream provisioning leaves the io_context free") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto provision = [&]() -> awaitable<void> {
      for (int i = 0; i < 20; ++i) {
        auto cfg = stream("P" + std::to_string(i), "p" + std::to_string(i) + ".>");
        co_await js.async_ensure_stream(cfg, use_awaitable);
      }
    };
    auto worst = co_await test_support::worst_timer_delay_during(provision());
    CHECK(worst < 50ms);
  }());
}

TEST_CASE(
    "ensure_consumer: idempotent, updatable, incompatible changes reported; deliver policies") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("POLICY", "policy.>"), use_awaitable);
    for (int i = 1; i <= 3; ++i)
      co_await js.async_publish("policy.a", std::to_string(i), use_awaitable);

    nats_asio::consumer_config cc;
    cc.durable_name = "audit";
    cc.deliver_subject = "deliver.audit";
    cc.filter_subject = "policy.a";
    cc.max_ack_pending = 10;
    auto first = co_await js.async_ensure_consumer("POLICY", cc, use_awaitable);
    CHECK(first.num_pending == 3);
    auto again = co_await js.async_ensure_consumer("POLICY", cc, use_awaitable);
    CHECK(again.name == "audit");
    cc.max_ack_pending = 20;  // allowed to change
    auto updated = co_await js.async_ensure_consumer("POLICY", cc, use_awaitable);
    CHECK(updated.config.max_ack_pending == 20);
    cc.deliver = nats_asio::deliver_policy::new_only;  // cannot change
    nats_asio::diagnostics diag;
    auto [ec, none] =
        co_await js.async_ensure_consumer("POLICY", cc, diag, asio::as_tuple(use_awaitable));
    CHECK(ec == errc::consumer_incompatible);
    CHECK(diag.server_message().find("deliver_policy") != std::string::npos);

    // deliver "last" starts with the newest message; "new" with the next one.
    nats_asio::consumer_config last;
    last.deliver = nats_asio::deliver_policy::last;
    auto tail = co_await js.async_subscribe("POLICY", last, 16, use_awaitable);
    CHECK((co_await tail.async_receive(use_awaitable)).payload() == "3");
    nats_asio::consumer_config fresh;
    fresh.deliver = nats_asio::deliver_policy::new_only;
    auto news = co_await js.async_subscribe("POLICY", fresh, 16, use_awaitable);
    co_await js.async_publish("policy.a", "4", use_awaitable);
    CHECK((co_await news.async_receive(use_awaitable)).payload() == "4");
    CHECK((co_await tail.async_receive(use_awaitable)).payload() == "4");
  }());
}

TEST_CASE("stored messages: by sequence and last by subject, with headers; absent ones") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("STORE", "store.>"), use_awaitable);
    nats_asio::header_list headers{{"X-Kind", "first"}};
    nats_asio::publish_options options;
    const std::string binary("\x00\xff\x01 bytes", 9);
    auto first = co_await js.async_publish("store.a", binary, headers, options, use_awaitable);
    co_await js.async_publish("store.b", "on b", use_awaitable);
    co_await js.async_publish("store.a", "second on a", use_awaitable);

    auto by_seq = co_await js.async_get_message("STORE", first.sequence, use_awaitable);
    CHECK(by_seq.subject == "store.a");
    CHECK(by_seq.sequence == first.sequence);
    CHECK(by_seq.payload == binary);
    REQUIRE(nats_asio::find_header(by_seq.headers, "X-Kind").has_value());
    CHECK(*nats_asio::find_header(by_seq.headers, "X-Kind") == "first");

    auto last_a = co_await js.async_get_last_message("STORE", "store.a", use_awaitable);
    CHECK(last_a.payload == "second on a");
    CHECK(last_a.sequence == 3);
    auto last_any = co_await js.async_get_last_message("STORE", "store.*", use_awaitable);
    CHECK(last_any.sequence == 3);

    const auto not_found = nats_asio::make_jetstream_error(nats_asio::js_err::message_not_found);
    auto [ec1, none1] = co_await js.async_get_message("STORE", 99, asio::as_tuple(use_awaitable));
    CHECK(ec1 == not_found);
    auto [ec2, none2] =
        co_await js.async_get_last_message("STORE", "store.c", asio::as_tuple(use_awaitable));
    CHECK(ec2 == not_found);
    auto [ec3, none3] = co_await js.async_get_message("NOPE", 1, asio::as_tuple(use_awaitable));
    CHECK(ec3 == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found));
  }());
}

TEST_CASE("list_consumers returns every consumer of a stream, over several pages") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("MANY", "many.>"), use_awaitable);
    constexpr int count = 300;  // the server pages by 256
    for (int i = 0; i < count; ++i) {
      nats_asio::consumer_config cc;
      cc.durable_name = "c" + std::to_string(i);
      cc.filter_subject = "many." + std::to_string(i);
      co_await js.async_ensure_consumer("MANY", cc, use_awaitable);
    }
    auto consumers = co_await js.async_list_consumers("MANY", use_awaitable);
    REQUIRE(consumers.size() == count);
    std::set<std::string> names;
    for (const auto& c : consumers) {
      names.insert(c.name);
      CHECK(c.config.filter_subject == "many." + c.name.substr(1));
    }
    CHECK(names.size() == count);
    auto [ec, none] = co_await js.async_list_consumers("NOPE", asio::as_tuple(use_awaitable));
    CHECK(ec == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found));
  }());
}

TEST_CASE(
    "a js_subscription whose queue overflowed reports the loss once, then reads on; queued() "
    "counts what waits") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("SLOW", "slow.>"), use_awaitable);
    for (int i = 1; i <= 5; ++i)
      co_await js.async_publish("slow.reader", std::to_string(i), use_awaitable);
    nats_asio::consumer_config cc;
    cc.ack = nats_asio::ack_policy::none;
    auto sub = co_await js.async_subscribe("SLOW", cc, 2, use_awaitable);
    // Nothing is received until the stored messages have all been delivered.
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (sub.dropped() < 3 && std::chrono::steady_clock::now() < until) co_await sleep_for(5ms);
    REQUIRE(sub.dropped() == 3);
    CHECK(sub.queued() == 2);
    for (const char* expected : {"1", "2"}) {
      auto [ec, msg] = co_await sub.async_receive(asio::as_tuple(use_awaitable));
      REQUIRE(!ec);
      CHECK(msg.payload() == expected);
    }
    CHECK(sub.queued() == 0);
    auto [ec, none] = co_await sub.async_receive(asio::as_tuple(use_awaitable));
    CHECK(ec == errc::queue_overflow);
    CHECK(sub.last_gap() == 3);
    co_await js.async_publish("slow.reader", "6", use_awaitable);
    auto msg = co_await sub.async_receive(use_awaitable);
    CHECK(msg.payload() == "6");
  }());
}

TEST_CASE("a push consumer stalled on flow control resumes once a heartbeat says it is stalled") {
  nats_server server;
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect_to(server);
        nats_asio::jetstream js(conn);
        auto sc = stream("FLOW", "flow.>");
        sc.storage = nats_asio::storage_type::memory;
        co_await js.async_ensure_stream(sc, use_awaitable);
        // 4 MiB: more than the server sends before it waits for a flow
        // control reply (at most 2 MiB at first).
        constexpr int total = 64;
        const std::string filler(64 * 1024, 'x');
        for (int i = 1; i <= total; ++i)
          co_await js.async_publish("flow.data", std::to_string(i) + "." + filler, use_awaitable);

        // A subscriber that never answers takes the first window, and with it
        // the flow control request. The heartbeat that follows an idle second
        // names the reply the server still waits for: it is stalled.
        auto silent = conn.subscribe("deliver.flow", {}, total);
        nats_asio::consumer_config cc;
        cc.durable_name = "stalled";
        cc.deliver_subject = "deliver.flow";
        cc.ack = nats_asio::ack_policy::none;
        cc.flow_control = true;
        cc.idle_heartbeat = 1s;
        co_await js.async_ensure_consumer("FLOW", cc, use_awaitable);
        int taken = 0;
        bool flow_control_requested = false;
        for (;;) {
          auto m = co_await silent.async_receive(use_awaitable);
          if (m.status == 0) {
            REQUIRE(std::stoi(m.payload) == ++taken);
          } else if (!m.reply.empty()) {
            flow_control_requested = true;
          } else if (m.header("Nats-Consumer-Stalled")) {
            break;
          }
        }
        REQUIRE(flow_control_requested);
        REQUIRE(taken < total);
        silent.unsubscribe();

        // The flow control request went to the silent subscriber: only the
        // answer to the stalled heartbeat lets the server go on.
        auto sub = co_await js.async_subscribe("FLOW", cc, total, use_awaitable);
        for (int expected = taken + 1; expected <= total; ++expected) {
          auto m = co_await sub.async_receive(use_awaitable);
          REQUIRE(std::stoi(m.payload()) == expected);
        }
        const auto& activity = nats_asio::detail::access::activity(sub);
        CHECK(activity->stalls_answered.load() >= 1);
      }(),
      120s);
}

TEST_CASE("async_receive_alive: a message; an idle consumer kept alive by heartbeats; silence") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    co_await js.async_ensure_stream(stream("ALIVE", "alive.>"), use_awaitable);
    nats_asio::consumer_config cc;
    cc.filter_subject = "alive.>";
    cc.idle_heartbeat = 200ms;
    auto sub = co_await js.async_subscribe("ALIVE", cc, 64, use_awaitable);
    co_await js.async_publish("alive.a", "1", use_awaitable);
    auto first = co_await sub.async_receive_alive(1s, use_awaitable);
    CHECK(first.subject() == "alive.a");

    // Idle three times as long as the silence allowed: the heartbeats keep
    // it alive, and the receive is cancelled when the timer ends first.
    asio::steady_timer idle(co_await asio::this_coro::executor, 3s);
    auto first_done = co_await (sub.async_receive_alive(1s, asio::as_tuple(use_awaitable)) ||
                                idle.async_wait(use_awaitable));
    CHECK(first_done.index() == 1);

    // A stopped server sends no heartbeat: silent after 1 s.
    REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
    auto [ec, msg] = co_await sub.async_receive_alive(1s, asio::as_tuple(use_awaitable));
    REQUIRE(::kill(server.pid(), SIGCONT) == 0);
    CHECK(ec == errc::consumer_silent);
    CHECK(sub.is_open());  // not final: the caller decides
  }());
}
