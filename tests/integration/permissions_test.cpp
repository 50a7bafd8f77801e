// Subjects the server refuses: operations fail at once with
// errc::permission_denied instead of waiting for a timeout that would hide why.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "nats_server.hpp"
#include "run_async.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using nats_asio::errc;
using nats_asio::error_code;
using test_support::nats_server;
using test_support::nats_server_options;
using test_support::run_async;

namespace {

// "limited" may use open.>, orders.mine, one key of bucket CFG and a few
// JetStream API calls, and receive only under its own inbox prefix.
// Everything waits 10 s for an answer, so a refusal that came from a timeout
// instead of the server's error could not pass the "fast" checks.
const char* const server_config = R"(
authorization {
  users = [
    { user: admin, password: admin }
    { user: limited, password: limited, permissions: {
        publish: { allow: [
          "open.>", "orders.mine",
          "$JS.API.STREAM.INFO.ORDERS", "$JS.API.CONSUMER.CREATE.ORDERS",
          "$KV.CFG.mine", "$JS.API.DIRECT.GET.KV_CFG.$KV.CFG.mine"
        ] }
        subscribe: { allow: ["open.>", "_INBOX.limited.>"] }
    } }
  ]
}
)";

constexpr auto patient = 10s;
constexpr auto prompt = 2s;

nats_server_options restricted() {
  nats_server_options o;
  o.config_text = server_config;
  return o;
}

awaitable<nats_asio::connection> connect_as(const nats_server& server, std::string user,
                                            std::string inbox_prefix) {
  nats_asio::connection conn(co_await asio::this_coro::executor);
  nats_asio::connect_options o;
  o.servers = {server.url()};
  o.user = user;
  o.password = user;
  o.inbox_prefix = std::move(inbox_prefix);
  o.send_asap = true;
  o.max_reconnect_attempts = 0;
  auto [ec, detail] = co_await conn.async_connect(o, as_tuple(use_awaitable));
  REQUIRE_MESSAGE(!ec, ec.message() << ": " << detail);
  co_return conn;
}

awaitable<nats_asio::connection> connect_limited(const nats_server& server) {
  return connect_as(server, "limited", "_INBOX.limited");
}

// The next error event; its text is the server's, naming the subject.
awaitable<nats_asio::connection_event> next_error(nats_asio::connection& conn) {
  for (;;) {
    auto ev = co_await conn.async_next_event(use_awaitable);
    if (ev.what == nats_asio::connection_event::kind::error) co_return ev;
  }
}

// The admin's setup: stream ORDERS on orders.>, bucket CFG with two keys.
awaitable<void> provision(const nats_server& server) {
  auto admin = co_await connect_as(server, "admin", "");
  nats_asio::jetstream js(admin);
  nats_asio::stream_config orders;
  orders.name = "ORDERS";
  orders.subjects = {"orders.>"};
  co_await js.async_ensure_stream(orders, use_awaitable);
  nats_asio::kv_config cfg;
  cfg.bucket = "CFG";
  nats_asio::diagnostics diag;
  auto kv = co_await nats_asio::async_create_key_value(js, cfg, diag, use_awaitable);
  co_await kv.async_put("mine", "1", use_awaitable);
  co_await kv.async_put("theirs", "2", use_awaitable);
}

using clock = std::chrono::steady_clock;

}  // namespace

TEST_CASE("a request to a refused subject fails at once; the error event names the subject") {
  nats_server server(restricted());
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto admin = co_await connect_as(server, "admin", "");
    auto responder = admin.subscribe("open.echo");
    auto conn = co_await connect_limited(server);

    const auto start = clock::now();
    auto [ec, reply] =
        co_await conn.async_request("closed.echo", "ping", patient, as_tuple(use_awaitable));
    CHECK(ec == errc::permission_denied);
    CHECK(clock::now() - start < prompt);
    CHECK(ec.message().find("permission denied") != std::string::npos);
    auto ev = co_await next_error(conn);
    CHECK(ev.error == errc::permission_denied);
    CHECK_MESSAGE(ev.text.find("\"closed.echo\"") != std::string::npos, ev.text);

    // The connection stays usable for what is allowed.
    using namespace asio::experimental::awaitable_operators;
    auto serve = [&]() -> awaitable<void> {
      auto req = co_await responder.async_receive(use_awaitable);
      REQUIRE(!admin.publish(req.reply, "pong"));
    };
    auto answer =
        co_await (serve() && conn.async_request("open.echo", "ping", patient, use_awaitable));
    CHECK(answer.payload == "pong");
  }());
}

TEST_CASE("JetStream: refused publishes and API calls fail at once, allowed ones go through") {
  nats_server server(restricted());
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    co_await provision(server);
    auto conn = co_await connect_limited(server);
    nats_asio::jetstream js(conn, patient);
    nats_asio::publish_options po;
    po.timeout = patient;

    // Refused and allowed publishes in flight together: only the refused one fails.
    using namespace asio::experimental::awaitable_operators;
    const auto start = clock::now();
    auto publish = [&](std::string subject) -> awaitable<std::pair<error_code, std::string>> {
      auto [ec, ack] = co_await js.async_publish(subject, "x", po, as_tuple(use_awaitable));
      co_return std::pair{ec, ack.stream};
    };
    auto [theirs, mine] = co_await (publish("orders.theirs") && publish("orders.mine"));
    CHECK(theirs.first == errc::permission_denied);
    CHECK_MESSAGE(!mine.first, mine.first.message());
    CHECK(mine.second == "ORDERS");
    CHECK(clock::now() - start < prompt);

    // Reading the stream's info is allowed, changing it is not: the caller
    // learns that it may not, not that the configurations clash.
    nats_asio::stream_config changed;
    changed.name = "ORDERS";
    changed.subjects = {"orders.>"};
    changed.max_msgs = 10;
    nats_asio::diagnostics diag;
    auto [uec, uinfo] = co_await js.async_ensure_stream(changed, diag, as_tuple(use_awaitable));
    CHECK(uec == errc::permission_denied);
    CHECK_MESSAGE(diag.server_message().find("$JS.API.STREAM.UPDATE.ORDERS") != std::string::npos,
                  diag.server_message());

    nats_asio::stream_config other;
    other.name = "OTHER";
    other.subjects = {"other.>"};
    auto [oec, oinfo] = co_await js.async_ensure_stream(other, diag, as_tuple(use_awaitable));
    CHECK(oec == errc::permission_denied);
    CHECK_MESSAGE(diag.server_message().find("$JS.API.STREAM.INFO.OTHER") != std::string::npos,
                  diag.server_message());

    auto [dec] = co_await js.async_delete_stream("ORDERS", as_tuple(use_awaitable));
    CHECK(dec == errc::permission_denied);
    CHECK(clock::now() - start < 3 * prompt);
  }());
}

TEST_CASE("a refused subscription ends its receives with permission_denied") {
  nats_server server(restricted());
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_limited(server);
    auto refused = conn.subscribe("closed.news");
    auto allowed = conn.subscribe("open.news");
    const auto start = clock::now();
    auto [ec, msg] = co_await refused.async_receive(as_tuple(use_awaitable));
    CHECK(ec == errc::permission_denied);
    CHECK(clock::now() - start < prompt);
    auto ev = co_await next_error(conn);
    CHECK_MESSAGE(ev.text.find("Subscription to \"closed.news\"") != std::string::npos, ev.text);
    // Still refused on the next receive; the other subscription is unaffected.
    auto [again, m2] = co_await refused.async_receive(as_tuple(use_awaitable));
    CHECK(again == errc::permission_denied);
    REQUIRE(!conn.publish("open.news", "hello"));
    CHECK((co_await allowed.async_receive(use_awaitable)).payload == "hello");
  }());
}

TEST_CASE("without its allowed inbox prefix a user's requests fail at once, not by timeout") {
  nats_server server(restricted());
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    co_await provision(server);
    auto conn = co_await connect_as(server, "limited", "");  // replies under _INBOX: refused
    nats_asio::jetstream js(conn, patient);
    const auto start = clock::now();
    nats_asio::stream_config orders;
    orders.name = "ORDERS";
    orders.subjects = {"orders.>"};
    nats_asio::diagnostics diag;
    auto [ec, info] = co_await js.async_ensure_stream(orders, diag, as_tuple(use_awaitable));
    CHECK(ec == errc::permission_denied);
    CHECK_MESSAGE(diag.server_message().find("reply subjects") != std::string::npos,
                  diag.server_message());
    auto [rec, reply] =
        co_await conn.async_request("open.anything", "", patient, as_tuple(use_awaitable));
    CHECK(rec == errc::permission_denied);
    CHECK(clock::now() - start < prompt);
  }());
}

TEST_CASE("key-value: other keys cannot be read, written or watched; the own key works") {
  nats_server server(restricted());
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    co_await provision(server);
    auto conn = co_await connect_limited(server);
    nats_asio::jetstream js(conn, patient);
    nats_asio::kv_bucket kv(js, "CFG");  // opening would need STREAM.INFO.KV_CFG
    const auto start = clock::now();

    CHECK((co_await kv.async_get("mine", use_awaitable)).value == "1");
    auto [gec, entry] = co_await kv.async_get("theirs", as_tuple(use_awaitable));
    CHECK(gec == errc::permission_denied);
    auto [pec, rev] = co_await kv.async_put("theirs", "9", as_tuple(use_awaitable));
    CHECK(pec == errc::permission_denied);
    CHECK(co_await kv.async_put("mine", "3", use_awaitable) > 0);

    // A watch needs a consumer this user may not create: it fails, it does not retry forever.
    auto watcher = co_await kv.async_watch("theirs", use_awaitable);
    auto [wec, first] = co_await watcher.async_next(as_tuple(use_awaitable));
    CHECK(wec == errc::permission_denied);
    CHECK(clock::now() - start < 2 * prompt);
  }());
}

TEST_CASE("the inbox prefix: replies and library-picked deliver subjects live under it") {
  nats_server server(restricted());
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    co_await provision(server);
    auto conn = co_await connect_limited(server);
    nats_asio::jetstream js(conn, patient);
    nats_asio::consumer_config cc;
    cc.filter_subject = "orders.mine";
    cc.ack = nats_asio::ack_policy::none;
    auto sub = co_await js.async_subscribe("ORDERS", cc, 16, use_awaitable);
    CHECK(sub.info().config.deliver_subject.starts_with("_INBOX.limited."));
    auto ack = co_await js.async_publish("orders.mine", "z", use_awaitable);
    CHECK(ack.sequence > 0);
    CHECK((co_await sub.async_receive(use_awaitable)).payload() == "z");
  }());
}

TEST_CASE("a push consumer whose deliver subject is refused reports permission_denied") {
  nats_server server(restricted());
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    co_await provision(server);
    auto conn = co_await connect_limited(server);
    nats_asio::jetstream js(conn, patient);
    nats_asio::consumer_config cc;
    cc.deliver_subject = "closed.deliver";
    cc.ack = nats_asio::ack_policy::none;
    const auto start = clock::now();
    auto [sec, sub] = co_await js.async_subscribe("ORDERS", cc, 16, as_tuple(use_awaitable));
    if (!sec) {  // the refusal may arrive just after the consumer was made
      auto [rec, msg] = co_await sub.async_receive(as_tuple(use_awaitable));
      sec = rec;
    }
    CHECK(sec == errc::permission_denied);
    CHECK(clock::now() - start < prompt);
  }());
}
