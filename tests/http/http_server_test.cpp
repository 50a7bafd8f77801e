// http::server on a loopback port, asked by curl (an independent client):
// routes and parameters, the problems no handler sees (404, 405 with Allow,
// 413, 400, 500), keep-alive, a slow client cut off, and a stop that ends
// run().
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "http/tls.hpp"
#include "http_tools.hpp"
#include "run_async.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using http::verb;
using test_support::curl;
using test_support::run_program;

namespace {

// Plain routes, and /ticks: events numbered from the client's Last-Event-ID
// + 1, `burst` at once, then one every 50 ms until cancelled.
void add_routes(http::server& server, std::atomic<int>* refused_sends = nullptr, int burst = 3) {
  server.add(verb::get, "/hello/{name}",
             [](const http::request_context& c) -> asio::awaitable<http::response> {
               co_return http::make_response(c.req, 200,
                                             "{\"hello\":\"" + c.params["name"] + "\"}");
             });
  server.add(verb::post, "/echo",
             [](const http::request_context& c) -> asio::awaitable<http::response> {
               co_return http::make_response(c.req, 200, c.req.body(), "text/plain");
             });
  server.add(verb::get, "/fail",
             [](const http::request_context&) -> asio::awaitable<http::response> {
               throw std::runtime_error("boom");
               co_return http::response{};
             });
  http::event_route ticks;
  ticks.check = [](const http::request_context& c) -> std::optional<http::problem> {
    std::string error;
    if (http::query_value(c.where, "fail", error)) return http::problem{400, "asked to fail"};
    return std::nullopt;
  };
  ticks.run = [refused_sends, burst](const http::request_context&,
                                     http::event_stream& es) -> asio::awaitable<void> {
    int n = es.last_event_id().empty() ? 0 : std::stoi(es.last_event_id());
    for (int i = 0; i < burst; ++i)
      if (!es.send({"tick", std::to_string(++n), "line one\nline " + std::to_string(n)})) {
        if (refused_sends) ++*refused_sends;
        co_return;
      }
    asio::steady_timer t(co_await asio::this_coro::executor);
    for (;;) {
      t.expires_after(50ms);
      co_await t.async_wait(asio::use_awaitable);  // throws when cancelled
      es.send({"tick", std::to_string(++n), "line one\nline " + std::to_string(n)});
    }
  };
  server.add_events("/ticks", std::move(ticks));
}

// The server on its own thread, on 127.0.0.1 and a free port.
struct running_server {
  explicit running_server(http::server_options o = {}, std::atomic<int>* refused_sends = nullptr,
                          int burst = 3, const std::function<void(http::server&)>& more = {})
      : tls(o.tls != nullptr), server(ioc.get_executor(), std::move(o)) {
    add_routes(server, refused_sends, burst);
    if (more) more(server);
    const auto error = server.listen({asio::ip::make_address("127.0.0.1"), 0});
    REQUIRE_MESSAGE(error.empty(), error);
    asio::co_spawn(ioc, server.run(), [this](std::exception_ptr) { ran = true; });
    thread = std::thread([this] { ioc.run(); });
  }
  ~running_server() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    server.stop();
    thread.join();
  }
  std::string url(const std::string& path) const {
    return std::string(tls ? "https" : "http") +
           "://127.0.0.1:" + std::to_string(server.local_endpoint().port()) + path;
  }

  bool tls;
  asio::io_context ioc;
  http::server server;
  std::atomic<bool> ran{false};
  std::thread thread;
};

}  // namespace

TEST_CASE("http::server: routes, and the problems no handler sees") {
  test_support::temp_dir dir;
  http::server_options o;
  o.limits.body_bytes = 1024;
  running_server s(o);

  auto hello = curl(dir, {s.url("/hello/w%20orld")});
  CHECK(hello.status == 200);
  CHECK(boost::json::parse(hello.body).at("hello") == "w orld");
  CHECK(hello.headers.find("Content-Type: application/json") != std::string::npos);

  auto missing = curl(dir, {s.url("/nothing")});
  CHECK(missing.status == 404);
  CHECK(missing.headers.find("Content-Type: application/problem+json") != std::string::npos);
  CHECK(boost::json::parse(missing.body).at("status") == 404);

  auto wrong = curl(dir, {"-X", "DELETE", s.url("/hello/x")});
  CHECK(wrong.status == 405);
  CHECK(wrong.headers.find("Allow: GET") != std::string::npos);

  auto big = curl(dir, {"--data-binary", std::string(2000, 'x'), s.url("/echo")});
  CHECK(big.status == 413);
  auto small = curl(dir, {"--data-binary", "abc", s.url("/echo")});
  CHECK(small.status == 200);
  CHECK(small.body == "abc");

  auto undecodable = curl(dir, {s.url("/hello/%zz")});
  CHECK(undecodable.status == 400);

  auto failing = curl(dir, {s.url("/fail")});
  CHECK(failing.status == 500);
  CHECK(boost::json::parse(failing.body).at("detail") == "internal error: boom");
}

TEST_CASE("http::server: a client that sends too slowly is cut off; stop ends run()") {
  http::server_options o;
  o.limits.request_time = 300ms;
  auto s = std::make_unique<running_server>(o);
  asio::io_context client;
  asio::ip::tcp::socket socket(client);
  socket.connect({asio::ip::make_address("127.0.0.1"), s->server.local_endpoint().port()});
  asio::write(socket, asio::buffer(std::string("GET /hello/x HTTP/1.1\r\n")));
  const auto began = std::chrono::steady_clock::now();
  char byte;
  boost::system::error_code ec;
  asio::read(socket, asio::buffer(&byte, 1), ec);  // waits until the server closes
  CHECK(ec == asio::error::eof);
  CHECK(std::chrono::steady_clock::now() - began < 5s);
  s->stop();
  CHECK(s->ran);
}

TEST_CASE("http::server: an event stream, resumed with Last-Event-ID, ended cleanly by stop") {
  test_support::temp_dir dir;
  auto s = std::make_unique<running_server>();

  auto refused = curl(dir, {s->url("/ticks?fail=1")});
  CHECK(refused.status == 400);
  CHECK(boost::json::parse(refused.body).at("detail") == "asked to fail");

  test_support::child_process first(
      {"/usr/bin/env", "curl", "-s", "-S", "-N", "-i", s->url("/ticks")}, dir.path());
  REQUIRE(first.wait_for("id: 5\n", 10s));
  const auto head = first.out();
  CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(head.find("Cache-Control: no-store") != std::string::npos);
  CHECK(head.find("event: tick\nid: 1\ndata: line one\ndata: line 1\n\n") != std::string::npos);

  test_support::child_process resumed(
      {"/usr/bin/env", "curl", "-s", "-S", "-N", "-H", "Last-Event-ID: 41", s->url("/ticks")},
      dir.path());
  REQUIRE(resumed.wait_for("id: 44\n", 10s));
  CHECK(resumed.out().rfind("event: tick\nid: 42\n", 0) == 0);  // 42 first: nothing before it

  // stop() ends both streams with the chunked terminator: curl exits 0, not
  // with "transfer closed with outstanding read data" (18).
  s->stop();
  CHECK(s->ran);
  CHECK(first.wait(10s) == 0);
  CHECK(resumed.wait(10s) == 0);
}

TEST_CASE("http::server: a client that stops reading an event stream is cut off") {
  std::atomic<int> refused_sends{0};
  http::server_options o;
  o.limits.event_buffer_bytes = 16 * 1024;
  running_server s(o, &refused_sends, 1'000'000);

  asio::io_context client;
  asio::ip::tcp::socket socket(client);
  socket.open(asio::ip::tcp::v4());
  socket.set_option(asio::socket_base::receive_buffer_size(4096));
  socket.connect({asio::ip::make_address("127.0.0.1"), s.server.local_endpoint().port()});
  asio::write(socket, asio::buffer(std::string("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n")));
  // The burst is sent at once, far past the buffer: the producer is refused.
  std::string all;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(all), ec);  // to the end: the server closes
  CHECK(ec == asio::error::eof);
  CHECK(refused_sends == 1);
  CHECK(all.size() < 200 * 1024);     // the buffer and one event, not the whole burst
  CHECK(all.ends_with("0\r\n\r\n"));  // what was queued, then a clean end
}

TEST_CASE("http::server: a bearer token guards its prefix, percent-encoded or not") {
  test_support::temp_dir dir;
  http::server_options o;
  o.bearer_token = "s3cret";
  o.token_prefix = "/hello";
  running_server s(o);

  auto none = curl(dir, {s.url("/hello/x")});
  CHECK(none.status == 401);
  CHECK(none.headers.find("WWW-Authenticate: Bearer\r") != std::string::npos);
  auto wrong = curl(dir, {"-H", "Authorization: Bearer nope", s.url("/hello/x")});
  CHECK(wrong.status == 401);
  CHECK(wrong.headers.find("WWW-Authenticate: Bearer error=\"invalid_token\"") !=
        std::string::npos);
  CHECK(wrong.body.find("nope") == std::string::npos);
  auto right = curl(dir, {"-H", "Authorization: Bearer s3cret", s.url("/hello/x")});
  CHECK(right.status == 200);
  auto encoded = curl(dir, {s.url("/%68ello/x")});
  CHECK(encoded.status == 401);
  auto outside = curl(dir, {"--data-binary", "abc", s.url("/echo")});
  CHECK(outside.status == 200);
  // No token, no hint of which routes exist.
  CHECK(curl(dir, {s.url("/hello/x/y")}).status == 401);
}

TEST_CASE("http::server: CORS only for the origin named, preflight included") {
  test_support::temp_dir dir;
  http::server_options o;
  o.cors_origin = "http://dash.test:8000";
  std::mutex m;
  std::vector<std::pair<std::string, unsigned>> records;
  o.on_request = [&](const http::request_record& r) {
    std::lock_guard lock(m);
    records.emplace_back(std::string(r.route), r.status);
  };
  running_server s(o);

  auto pre = curl(dir, {"-X", "OPTIONS", "-H", "Origin: http://dash.test:8000", "-H",
                        "Access-Control-Request-Method: POST", s.url("/echo")});
  CHECK(pre.status == 204);
  CHECK(pre.headers.find("Access-Control-Allow-Methods: POST") != std::string::npos);
  CHECK(pre.headers.find("Access-Control-Allow-Origin: http://dash.test:8000") !=
        std::string::npos);
  auto same = curl(dir, {"-H", "Origin: http://dash.test:8000", s.url("/hello/x")});
  CHECK(same.headers.find("Access-Control-Allow-Origin: http://dash.test:8000") !=
        std::string::npos);
  auto other = curl(dir, {"-H", "Origin: http://elsewhere.test", s.url("/hello/x")});
  CHECK(other.status == 200);
  CHECK(other.headers.find("Access-Control-Allow-Origin") == std::string::npos);
  auto other_pre = curl(dir, {"-X", "OPTIONS", "-H", "Origin: http://elsewhere.test", "-H",
                              "Access-Control-Request-Method: POST", s.url("/echo")});
  CHECK(other_pre.status == 405);
  CHECK(curl(dir, {s.url("/nothing")}).status == 404);

  s.stop();
  std::lock_guard lock(m);
  CHECK(std::count(records.begin(), records.end(),
                   std::pair<std::string, unsigned>{"/hello/{name}", 200}) == 2);
  CHECK(std::count(records.begin(), records.end(), std::pair<std::string, unsigned>{"", 404}) == 1);
}

TEST_CASE("http::server: HTTPS with a certificate, plain requests and an event stream") {
  test_support::temp_dir dir;
  const auto tls = test_support::make_loopback_certificate(dir);
  REQUIRE_MESSAGE(tls.error.empty(), tls.error);
  auto other = run_program({"/usr/bin/env", "openssl", "genpkey", "-algorithm", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-out", "other.pem"},
                           dir.path(), {}, 30s);
  REQUIRE_MESSAGE(other.code == 0, other.err);

  std::string error;
  const auto& cert = tls.cert;
  CHECK(http::load_tls(cert, (dir.path() / "missing.pem").string(), error) == nullptr);
  CHECK(error.find("missing.pem") != std::string::npos);
  CHECK(http::load_tls(cert, (dir.path() / "other.pem").string(), error) == nullptr);
  CHECK(error.find("other.pem") != std::string::npos);
  CHECK(error.find("mismatch") != std::string::npos);  // "key values mismatch"

  http::server_options o;
  o.tls = http::load_tls(cert, tls.key, error);
  REQUIRE_MESSAGE(o.tls, error);
  auto s = std::make_unique<running_server>(o);
  auto hello = curl(dir, {"--cacert", cert, s->url("/hello/tls")});
  CHECK(hello.status == 200);
  CHECK(boost::json::parse(hello.body).at("hello") == "tls");
  auto plain = run_program(
      {"/usr/bin/env", "curl", "-s", "-S",
       "http://127.0.0.1:" + std::to_string(s->server.local_endpoint().port()) + "/hello/x"},
      dir.path(), {}, 10s);
  CHECK(plain.code != 0);  // plain HTTP on a TLS port is refused

  test_support::child_process events(
      {"/usr/bin/env", "curl", "-s", "-S", "-N", "--cacert", cert, s->url("/ticks")}, dir.path());
  REQUIRE(events.wait_for("id: 4\n", 10s));
  s->stop();
  CHECK(s->ran);
  CHECK(events.wait(10s) == 0);
}

TEST_CASE("http::client against http::server: requests, headers, and an event stream resumed") {
  http::server_options o;
  o.bearer_token = "s3cret";
  o.token_prefix = "/echo";
  running_server s(o);
  const asio::ip::tcp::endpoint at{asio::ip::make_address("127.0.0.1"),
                                   s.server.local_endpoint().port()};
  asio::io_context ioc;
  std::vector<http::event> events;
  test_support::run_async(ioc, [&]() -> asio::awaitable<int> {
    auto c = co_await http::client::open(at);
    auto hello = co_await c.request(verb::get, "/hello/client");
    CHECK(hello.status == 200);
    CHECK(boost::json::parse(hello.body).at("hello") == "client");
    // The same connection, kept alive; a header of the caller's.
    auto refused = co_await c.request(verb::post, "/echo", "abc", "text/plain");
    CHECK(refused.status == 401);
    const std::vector<std::pair<std::string, std::string>> token{
        {"Authorization", "Bearer s3cret"}};
    auto echoed = co_await c.request(verb::post, "/echo", "abc", "text/plain", token);
    CHECK(echoed.status == 200);
    CHECK(echoed.body == "abc");
    CHECK((co_await c.request(verb::get, "/nothing")).status == 404);

    auto stream = co_await http::client::open(at);
    co_await stream.follow_events("/ticks", "41", [&](const http::event& e) {
      events.push_back(e);
      if (events.size() == 3) stream.close();
    });
    co_return 0;
  }());
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == "tick");
  CHECK(events[0].id == "42");
  CHECK(events[0].data == "line one\nline 42");
  CHECK(events[2].id == "44");
}

TEST_CASE("http::add_static_files: types, validators, gzip for those who take it, headers") {
  test_support::temp_dir dir;
  const std::string page = "<!doctype html><title>t</title>" + std::string(2000, ' ');
  const std::string script = "console.log(1)";
  std::string packed;  // gzip of `page`, made by gzip(1), our embedder's peer
  {
    std::ofstream(dir.path() / "page.html", std::ios::binary) << page;
    REQUIRE(
        run_program({"/usr/bin/env", "gzip", "-k", "-9", "-n", (dir.path() / "page.html").string()},
                    dir.path())
            .code == 0);
    std::ifstream in(dir.path() / "page.html.gz", std::ios::binary);
    packed.assign(std::istreambuf_iterator<char>(in), {});
  }
  const http::static_file files[] = {{"index.html", page, packed}, {"js/app.js", script, {}}};
  http::static_options o;
  o.content_security_policy = "default-src 'self'";
  running_server s({}, nullptr, 3,
                   [&](http::server& server) { http::add_static_files(server, files, o); });

  auto root = curl(dir, {s.url("/")});
  CHECK(root.status == 200);
  CHECK(root.body == page);
  CHECK(root.header("Content-Type") == "text/html; charset=utf-8");
  CHECK(root.header("Content-Security-Policy") == "default-src 'self'");
  CHECK(root.header("X-Content-Type-Options") == "nosniff");
  CHECK(root.header("Cache-Control") == "no-cache");
  CHECK(root.header("Vary") == "Accept-Encoding");
  CHECK(root.header("Content-Encoding").empty());
  const auto etag = root.header("ETag");
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');
  CHECK(curl(dir, {s.url("/index.html")}).header("ETag") == etag);

  auto again = curl(dir, {"-H", "If-None-Match: " + etag, s.url("/index.html")});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.header("ETag") == etag);
  auto other = curl(dir, {"-H", "If-None-Match: \"0000\"", s.url("/index.html")});
  CHECK(other.status == 200);

  auto zipped = curl(dir, {"-H", "Accept-Encoding: gzip", s.url("/")});
  CHECK(zipped.status == 200);
  CHECK(zipped.header("Content-Encoding") == "gzip");
  CHECK(zipped.body == packed);
  CHECK(zipped.header("ETag") != etag);  // another representation, another tag
  auto unzipped = curl(dir, {"--compressed", s.url("/")});
  CHECK(unzipped.body == page);
  auto refused = curl(dir, {"-H", "Accept-Encoding: gzip;q=0", s.url("/")});
  CHECK(refused.header("Content-Encoding").empty());
  CHECK(refused.body == page);

  auto js = curl(dir, {"-H", "Accept-Encoding: gzip", s.url("/js/app.js")});
  CHECK(js.status == 200);
  CHECK(js.body == script);  // no gzip copy: served as it is
  CHECK(js.header("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(js.header("Vary").empty());
  CHECK(curl(dir, {s.url("/js/other.js")}).status == 404);
  CHECK(curl(dir, {"-X", "POST", s.url("/js/app.js")}).status == 405);
}
