// http::server on a loopback port, asked by curl (an independent client):
// routes and parameters, the problems no handler sees (404, 405 with Allow,
// 413, 400, 500), keep-alive, a slow client cut off, and a stop that ends
// run().
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "http/server.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using http::verb;
using test_support::run_program;

namespace {

http::router<http::handler> routes() {
  http::router<http::handler> r;
  r.add(verb::get, "/hello/{name}",
        [](const http::request_context& c) -> asio::awaitable<http::response> {
          co_return http::make_response(c.req, 200, "{\"hello\":\"" + c.params["name"] + "\"}");
        });
  r.add(verb::post, "/echo", [](const http::request_context& c) -> asio::awaitable<http::response> {
    co_return http::make_response(c.req, 200, c.req.body(), "text/plain");
  });
  r.add(verb::get, "/fail", [](const http::request_context&) -> asio::awaitable<http::response> {
    throw std::runtime_error("boom");
    co_return http::response{};
  });
  return r;
}

// The server on its own thread, on 127.0.0.1 and a free port.
struct running_server {
  explicit running_server(http::limits l = {}) : server(ioc.get_executor(), routes(), l) {
    const auto error = server.listen({asio::ip::make_address("127.0.0.1"), 0});
    REQUIRE_MESSAGE(error.empty(), error);
    asio::co_spawn(ioc, server.run(), [this](std::exception_ptr) { ran = true; });
    thread = std::thread([this] { ioc.run(); });
  }
  ~running_server() {
    server.stop();
    thread.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server.local_endpoint().port()) + path;
  }

  asio::io_context ioc;
  http::server server;
  std::atomic<bool> ran{false};
  std::thread thread;
};

struct curl_result {
  int status = 0;
  std::string headers, body, err;
};

curl_result curl(const test_support::temp_dir& dir, std::vector<std::string> args) {
  args.insert(args.begin(),
              {"/usr/bin/env", "curl", "-s", "-S", "--path-as-is", "-D", "-", "-o", "body"});
  args.push_back("-w");
  args.push_back("\n%{http_code}");
  const auto r = run_program(args, dir.path(), {}, 10s);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  curl_result out;
  const auto last = r.out.rfind('\n');
  out.headers = r.out.substr(0, last);
  out.status = std::stoi(r.out.substr(last + 1));
  out.err = r.err;
  std::ifstream in(dir.path() / "body");
  out.body.assign(std::istreambuf_iterator<char>(in), {});
  return out;
}

}  // namespace

TEST_CASE("http::server: routes, and the problems no handler sees") {
  test_support::temp_dir dir;
  http::limits l;
  l.body_bytes = 1024;
  running_server s(l);

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
  http::limits l;
  l.request_time = 300ms;
  auto s = std::make_unique<running_server>(l);
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
  s.reset();  // stop() and join: run() returned
}
