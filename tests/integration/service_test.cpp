// A NATS service (the NATS service API) against a real nats-server:
// discovery, endpoints, statistics, error replies, queue groups, stopping.
#include "nats_asio/service.hpp"

#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "nats_asio/connection.hpp"
#include "nats_server.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using nats_asio::errc;
using nats_asio::error_code;
using test_support::connect_to;
using test_support::nats_server;
using test_support::run_async;

namespace {

nats_asio::service_config history_config() {
  nats_asio::service_config c;
  c.name = "history";
  c.version = "1.2.0";
  c.description = "stored measurements";
  c.metadata = {{"region", "eu"}};
  return c;
}

nats_asio::endpoint_config range_endpoint() {
  nats_asio::endpoint_config e;
  e.name = "range";
  e.subject = "history.range";
  e.metadata = {{"format", "json"}};
  return e;
}

nats_asio::service start_history(nats_asio::connection& conn) {
  error_code ec;
  auto svc = nats_asio::service::start(conn, history_config(), ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  return svc;
}

nats_asio::service_endpoint add_range(nats_asio::service& svc) {
  error_code ec;
  auto ep = svc.add_endpoint(range_endpoint(), ec);
  REQUIRE_MESSAGE(!ec, ec.message());
  return ep;
}

awaitable<json::object> ask(nats_asio::connection& conn, const std::string& subject) {
  auto reply = co_await conn.async_request(subject, "", 5s, use_awaitable);
  co_return json::parse(reply.payload).as_object();
}

// The STATS entry of the only endpoint of the service `id`.
awaitable<json::object> endpoint_stats(nats_asio::connection& conn, const std::string& id) {
  auto stats = co_await ask(conn, "$SRV.STATS.history." + id);
  const auto& endpoints = stats.at("endpoints").as_array();
  REQUIRE(endpoints.size() == 1);
  co_return endpoints[0].as_object();
}

std::string text(const json::object& o, std::string_view key) {
  return std::string(o.at(key).as_string());
}
std::string text(const json::value& v, std::string_view key) { return text(v.as_object(), key); }

std::int64_t number(const json::object& o, std::string_view key) {
  return o.at(key).to_number<std::int64_t>();
}

// Yields to the io_context until `done` holds: for handlers already posted.
awaitable<void> until(const std::function<bool()>& done) {
  while (!done()) co_await asio::post(co_await asio::this_coro::executor, use_awaitable);
}

// Answers every request with `answer` until the endpoint ends; `seen`
// collects the payloads received.
awaitable<void> serve(nats_asio::service_endpoint& ep, std::string answer,
                      std::set<std::string>& seen) {
  while (true) {
    auto [ec, req] = co_await ep.async_receive(asio::as_tuple(use_awaitable));
    if (ec == errc::queue_overflow) continue;
    if (ec) co_return;
    seen.insert(req.payload());
    CHECK(!req.respond(answer));
  }
}

}  // namespace

TEST_CASE("PING answers on all three subject forms with type, name, id and version") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    CHECK(svc.id().size() == 22);
    CHECK(svc.name() == "history");
    CHECK(svc.is_running());
    for (const std::string& subject : std::vector<std::string>{"$SRV.PING", "$SRV.PING.history",
                                                               "$SRV.PING.history." + svc.id()}) {
      CAPTURE(subject);
      auto ping = co_await ask(conn, subject);
      CHECK(text(ping, "type") == "io.nats.micro.v1.ping_response");
      CHECK(text(ping, "name") == "history");
      CHECK(text(ping, "id") == svc.id());
      CHECK(text(ping, "version") == "1.2.0");
      CHECK(text(ping.at("metadata").as_object(), "region") == "eu");
    }
    // Another name or instance is not this service.
    auto [ec, reply] =
        co_await conn.async_request("$SRV.PING.other", "", 2s, asio::as_tuple(use_awaitable));
    CHECK(ec == errc::no_responders);
    std::tie(ec, reply) = co_await conn.async_request("$SRV.PING.history.nobody", "", 2s,
                                                      asio::as_tuple(use_awaitable));
    CHECK(ec == errc::no_responders);
  }());
}

TEST_CASE("INFO lists the endpoints with subject, queue group and metadata") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    nats_asio::endpoint_config latest;
    latest.name = "latest";
    latest.subject = "history.latest.*";
    latest.queue_group = "readers";
    error_code ec;
    auto latest_ep = svc.add_endpoint(latest, ec);
    REQUIRE(!ec);
    for (const std::string& subject :
         std::vector<std::string>{"$SRV.INFO", "$SRV.INFO.history." + svc.id()}) {
      auto info = co_await ask(conn, subject);
      CHECK(text(info, "type") == "io.nats.micro.v1.info_response");
      CHECK(text(info, "id") == svc.id());
      CHECK(text(info, "description") == "stored measurements");
      const auto& endpoints = info.at("endpoints").as_array();
      REQUIRE(endpoints.size() == 2);
      CHECK(text(endpoints[0], "name") == "range");
      CHECK(text(endpoints[0], "subject") == "history.range");
      CHECK(text(endpoints[0], "queue_group") == "q");
      CHECK(text(endpoints[0].at("metadata").as_object(), "format") == "json");
      CHECK(text(endpoints[1], "name") == "latest");
      CHECK(text(endpoints[1], "subject") == "history.latest.*");
      CHECK(text(endpoints[1], "queue_group") == "readers");
    }
    // A stopped endpoint leaves INFO.
    latest_ep.stop();
    auto info = co_await ask(conn, "$SRV.INFO.history");
    CHECK(info.at("endpoints").as_array().size() == 1);
  }());
}

TEST_CASE("a request is received and answered, and STATS counts it with its processing time") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    auto before = co_await endpoint_stats(conn, svc.id());
    CHECK(number(before, "num_requests") == 0);
    CHECK(number(before, "processing_time") == 0);

    auto answer = [&]() -> awaitable<void> {
      auto req = co_await range.async_receive(use_awaitable);
      CHECK(req.subject() == "history.range");
      CHECK(req.payload() == "from=1");
      CHECK(*req.msg().header("X-Trace") == "7");
      const nats_asio::header_list rows{{"X-Rows", "3"}};
      CHECK(!req.respond("rows", rows));
    };
    asio::co_spawn(co_await asio::this_coro::executor, answer(), asio::detached);
    const nats_asio::header_list trace{{"X-Trace", "7"}};
    auto reply = co_await conn.async_request("history.range", "from=1", trace, 5s, use_awaitable);
    CHECK(reply.payload == "rows");
    CHECK(*reply.header("X-Rows") == "3");
    CHECK(!reply.header("Nats-Service-Error"));

    auto stats = co_await ask(conn, "$SRV.STATS.history");
    CHECK(text(stats, "type") == "io.nats.micro.v1.stats_response");
    CHECK(text(stats, "name") == "history");
    CHECK(text(stats, "id") == svc.id());
    CHECK(text(stats, "version") == "1.2.0");
    CHECK(stats.at("started").as_string().size() == 30);  // 2026-11-30T15:55:02.123456789Z
    const auto& e = stats.at("endpoints").as_array().at(0).as_object();
    CHECK(text(e, "name") == "range");
    CHECK(text(e, "subject") == "history.range");
    CHECK(text(e, "queue_group") == "q");
    CHECK(number(e, "num_requests") == 1);
    CHECK(number(e, "num_errors") == 0);
    CHECK(text(e, "last_error") == "");
    CHECK(number(e, "processing_time") > 0);
    CHECK(number(e, "average_processing_time") == number(e, "processing_time"));
  }());
}

TEST_CASE("a request answered on another thread is sent and counted") {
  nats_server server;
  asio::io_context ioc;
  asio::thread_pool workers(1);
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    auto answer = [&]() -> awaitable<void> {
      auto req = co_await range.async_receive(use_awaitable);
      // As after a database query: the answer comes from a worker thread.
      asio::post(workers, [req = std::move(req)]() mutable { CHECK(!req.respond("rows")); });
    };
    asio::co_spawn(co_await asio::this_coro::executor, answer(), asio::detached);
    auto reply = co_await conn.async_request("history.range", "x", 5s, use_awaitable);
    CHECK(reply.payload == "rows");
    auto e = co_await endpoint_stats(conn, svc.id());
    CHECK(number(e, "num_requests") == 1);
    CHECK(number(e, "processing_time") > 0);
  }());
  workers.join();
}

TEST_CASE("respond_error sends the error headers and counts the error") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    auto answer = [&]() -> awaitable<void> {
      auto req = co_await range.async_receive(use_awaitable);
      CHECK(!req.respond_error(400, "bad\r\nrange", "{\"hint\":\"from\"}"));
    };
    asio::co_spawn(co_await asio::this_coro::executor, answer(), asio::detached);
    auto reply = co_await conn.async_request("history.range", "x", 5s, use_awaitable);
    CHECK(*reply.header("Nats-Service-Error") == "bad  range");
    CHECK(*reply.header("Nats-Service-Error-Code") == "400");
    CHECK(reply.payload == "{\"hint\":\"from\"}");

    auto e = co_await endpoint_stats(conn, svc.id());
    CHECK(number(e, "num_requests") == 1);
    CHECK(number(e, "num_errors") == 1);
    CHECK(text(e, "last_error") == "400:bad  range");
  }());
}

TEST_CASE("a request dropped without an answer still counts, as no error") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    REQUIRE(!conn.publish("history.range", "no reply expected"));
    {
      auto req = co_await range.async_receive(use_awaitable);
      CHECK(req.msg().reply.empty());
    }
    auto e = co_await endpoint_stats(conn, svc.id());
    CHECK(number(e, "num_requests") == 1);
    CHECK(number(e, "num_errors") == 0);
  }());
}

TEST_CASE("responding twice is refused with invalid_argument") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    auto answer = [&]() -> awaitable<void> {
      auto req = co_await range.async_receive(use_awaitable);
      CHECK(!req.respond("first"));
      CHECK(req.respond("second") == errc::invalid_argument);
      CHECK(req.respond_error(500, "late") == errc::invalid_argument);
      auto moved = std::move(req);
      CHECK(moved.respond("third") == errc::invalid_argument);
      CHECK(nats_asio::service_request{}.respond("none") == errc::invalid_argument);
    };
    asio::co_spawn(co_await asio::this_coro::executor, answer(), asio::detached);
    auto reply = co_await conn.async_request("history.range", "x", 5s, use_awaitable);
    CHECK(reply.payload == "first");
    auto e = co_await endpoint_stats(conn, svc.id());
    CHECK(number(e, "num_requests") == 1);  // the refused answers are not requests
    CHECK(number(e, "num_errors") == 0);
  }());
}

TEST_CASE("two instances share requests through the queue group; PING by name reaches both") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto client = co_await connect_to(server);
    auto conn1 = co_await connect_to(server);
    auto conn2 = co_await connect_to(server);
    auto svc1 = start_history(conn1);
    auto svc2 = start_history(conn2);
    CHECK(svc1.id() != svc2.id());
    auto range1 = add_range(svc1);
    auto range2 = add_range(svc2);
    // A request on its own connection proves the server has each instance's
    // subscriptions, which were sent before it.
    co_await ask(conn1, "$SRV.PING.history." + svc1.id());
    co_await ask(conn2, "$SRV.PING.history." + svc2.id());
    std::set<std::string> seen1, seen2;
    asio::co_spawn(ex, serve(range1, svc1.id(), seen1), asio::detached);
    asio::co_spawn(ex, serve(range2, svc2.id(), seen2), asio::detached);

    std::map<std::string, int> answered_by;
    for (int i = 0; i < 200 && answered_by.size() < 2; ++i) {
      auto reply =
          co_await client.async_request("history.range", std::to_string(i), 5s, use_awaitable);
      ++answered_by[reply.payload];
    }
    CHECK(answered_by.size() == 2);
    CHECK(answered_by.count(svc1.id()) == 1);
    CHECK(answered_by.count(svc2.id()) == 1);
    // Each request went to one instance only.
    for (const auto& payload : seen1) CHECK(seen2.count(payload) == 0);

    auto replies = client.subscribe("ping.replies");
    REQUIRE(!client.publish_request("$SRV.PING.history", "ping.replies", ""));
    std::set<std::string> ids;
    while (ids.size() < 2) {
      auto msg = co_await replies.async_receive(use_awaitable);
      ids.insert(std::string(json::parse(msg.payload).at("id").as_string()));
    }
    CHECK(ids == std::set<std::string>{svc1.id(), svc2.id()});
    svc1.stop();
    svc2.stop();
  }());
}

TEST_CASE("stop ends a pending receive and the service no longer answers") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    const std::string id = svc.id();
    co_await ask(conn, "$SRV.PING.history." + id);

    std::optional<error_code> received;
    range.async_receive([&](error_code ec, nats_asio::service_request) { received = ec; });
    svc.stop();
    CHECK(!svc.is_running());
    co_await until([&] { return received.has_value(); });
    CHECK(*received == errc::subscription_closed);

    for (const std::string& subject :
         std::vector<std::string>{"$SRV.PING", "$SRV.PING.history." + id, "history.range"}) {
      CAPTURE(subject);
      auto [ec, reply] =
          co_await conn.async_request(subject, "", 2s, asio::as_tuple(use_awaitable));
      CHECK(ec == errc::no_responders);
    }
    auto [ec, req] = co_await range.async_receive(asio::as_tuple(use_awaitable));
    CHECK(ec == errc::subscription_closed);
    error_code add_ec;
    auto late = svc.add_endpoint(range_endpoint(), add_ec);
    CHECK(add_ec == errc::subscription_closed);
    CHECK(!late.is_open());
  }());
}

TEST_CASE("an endpoint's stop ends its pending receive and its subscription only") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto svc = start_history(conn);
    auto range = add_range(svc);
    std::optional<error_code> received;
    range.async_receive([&](error_code ec, nats_asio::service_request) { received = ec; });
    range.stop();
    co_await until([&] { return received.has_value(); });
    CHECK(*received == errc::subscription_closed);
    auto [ec, reply] =
        co_await conn.async_request("history.range", "", 2s, asio::as_tuple(use_awaitable));
    CHECK(ec == errc::no_responders);
    auto ping = co_await ask(conn, "$SRV.PING.history");  // the service still runs
    CHECK(text(ping, "id") == svc.id());
  }());
}

TEST_CASE("a malformed name, version, endpoint name or subject is refused with invalid_argument") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    for (auto [name, version] : {std::pair{"history.v1", "1.0.0"}, std::pair{"", "1.0.0"},
                                 std::pair{"my history", "1.0.0"}, std::pair{"history", "1.0"},
                                 std::pair{"history", ""}, std::pair{"history", "v1.0.0"}}) {
      CAPTURE(name);
      CAPTURE(version);
      nats_asio::service_config c;
      c.name = name;
      c.version = version;
      error_code ec;
      auto svc = nats_asio::service::start(conn, c, ec);
      CHECK(ec == errc::invalid_argument);
      CHECK(!svc.is_running());
      CHECK(svc.id().empty());
    }
    auto svc = start_history(conn);
    for (auto [name, subject, group] :
         {std::tuple{"range.x", "history.range", "q"}, std::tuple{"range", "", "q"},
          std::tuple{"range", "history range", "q"}, std::tuple{"range", "history.>.x", "q"},
          std::tuple{"range", "history.range", "my group"}}) {
      CAPTURE(name);
      CAPTURE(subject);
      nats_asio::endpoint_config e;
      e.name = name;
      e.subject = subject;
      e.queue_group = group;
      error_code ec;
      auto ep = svc.add_endpoint(e, ec);
      CHECK(ec == errc::invalid_argument);
      CHECK(!ep.is_open());
    }
    auto info = co_await ask(conn, "$SRV.INFO.history");
    CHECK(info.at("endpoints").as_array().empty());
  }());
}

TEST_CASE("a service cannot start on a connection that is not connected") {
  asio::io_context ioc;
  nats_asio::connection conn(ioc.get_executor());
  error_code ec;
  auto svc = nats_asio::service::start(conn, history_config(), ec);
  CHECK(ec == errc::not_connected);
  CHECK(!svc.is_running());
  error_code add_ec;
  auto ep = svc.add_endpoint(range_endpoint(), add_ec);
  CHECK(add_ec == errc::subscription_closed);
}

TEST_CASE("destroying the service or its endpoint with a receive pending completes it") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    std::optional<error_code> first, second;
    {
      auto svc = start_history(conn);
      auto range = add_range(svc);
      range.async_receive([&](error_code ec, nats_asio::service_request) { first = ec; });
    }  // the endpoint, then the service
    nats_asio::service_endpoint kept(conn.get_executor());
    {
      auto svc = start_history(conn);
      kept = add_range(svc);
      kept.async_receive([&](error_code ec, nats_asio::service_request) { second = ec; });
    }  // the service only: its endpoints stop with it
    co_await until([&] { return first.has_value() && second.has_value(); });
    CHECK(*first == errc::subscription_closed);
    CHECK(*second == errc::subscription_closed);
    auto [ec, reply] =
        co_await conn.async_request("$SRV.PING", "", 2s, asio::as_tuple(use_awaitable));
    CHECK(ec == errc::no_responders);
  }());
}

TEST_CASE("closing the connection ends the service: receives and discovery finish") {
  nats_server server;
  asio::io_context ioc;
  std::optional<error_code> received;
  nats_asio::service svc;
  std::optional<nats_asio::service_endpoint> range;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    svc = start_history(conn);
    range.emplace(add_range(svc));
    range->async_receive([&](error_code ec, nats_asio::service_request) { received = ec; });
    co_await conn.async_close(use_awaitable);
  }());
  // run_async returned: nothing of the service is left waiting on the io_context.
  CHECK(received == errc::subscription_closed);
  CHECK(svc.is_running());  // not stopped, only without its connection
}
