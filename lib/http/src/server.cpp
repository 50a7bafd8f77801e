#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>
#include <unordered_set>

namespace http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

response make_response(const request& req, unsigned status, std::string body,
                       std::string_view content_type) {
  response res{static_cast<bhttp::status>(status), req.version()};
  res.set(bhttp::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response make_problem(const request& req, const problem& p) {
  return make_response(req, p.status, to_json(p), problem_content_type);
}

struct server::state {
  state(executor_type ex, router<handler> r, limits l)
      : executor(ex), acceptor(ex), routes(std::move(r)), lim(l), drained(ex) {}

  executor_type executor;
  tcp::acceptor acceptor;
  router<handler> routes;
  limits lim;
  bool stopping = false;
  std::size_t connections = 0;
  std::unordered_set<beast::tcp_stream*> idle;  // waiting for a request's first byte
  asio::steady_timer drained;                   // cancelled when the last connection ends
};

namespace {

// What a request that no handler sees gets: the problem for a parse error.
problem parse_problem(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) return {413, "the request body is over the limit"};
  if (ec == bhttp::error::header_limit) return {431, "the request headers are over the limit"};
  return {400, "malformed request: " + ec.message()};
}

awaitable<response> answer(server::state& s, const request& req) {
  const auto where = parse_target(req.target());
  if (!where)
    co_return make_problem(
        req, {400, "the request target does not decode: " + std::string(req.target())});
  auto found = s.routes.find(req.method(), where->segments);
  if (!found.handler) {
    if (!found.path_known)
      co_return make_problem(req, {404, "no route for " + std::string(req.target())});
    auto res = make_problem(req, {405, std::string(req.method_string()) + " is not allowed here"});
    res.set(bhttp::field::allow, found.allow);
    co_return res;
  }
  try {
    co_return co_await (*found.handler)(request_context{req, *where, found.params});
  } catch (const std::exception& e) {
    co_return make_problem(req, {500, std::string("internal error: ") + e.what()});
  }
}

awaitable<void> session(std::shared_ptr<server::state> s, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    // Wait for a request's first byte (idle time), then read it all (request time).
    if (buffer.size() == 0) {
      if (s->stopping) break;
      s->idle.insert(&stream);
      stream.expires_after(s->lim.idle_time);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(1024), as_tuple(use_awaitable));
      s->idle.erase(&stream);
      if (ec || n == 0) break;  // closed, timed out, or stopped
      buffer.commit(n);
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s->lim.header_bytes));
    parser.body_limit(s->lim.body_bytes);
    stream.expires_after(s->lim.request_time);
    auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    response res;
    if (rec == beast::error::timeout || rec == bhttp::error::end_of_stream ||
        rec == asio::error::operation_aborted)
      break;
    if (rec) {
      request bare;
      bare.version(11);
      res = make_problem(bare, parse_problem(rec));
      res.keep_alive(false);
    } else {
      const auto& req = parser.get();
      res = co_await answer(*s, req);
      if (s->stopping) res.keep_alive(false);
    }
    stream.expires_after(s->lim.write_time);
    auto [wec, written] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (--s->connections == 0 && s->stopping) s->drained.cancel();
}

}  // namespace

server::server(executor_type ex, router<handler> routes, limits l)
    : state_(std::make_shared<state>(std::move(ex), std::move(routes), l)) {}

server::~server() = default;

std::string server::listen(const tcp::endpoint& at) {
  beast::error_code ec;
  const auto where = at.address().to_string() + ":" + std::to_string(at.port());
  auto& a = state_->acceptor;
  if (a.open(at.protocol(), ec); ec) return where + ": " + ec.message();
  if (a.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return where + ": " + ec.message();
  if (a.bind(at, ec); ec) return where + ": " + ec.message();
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec)
    return where + ": " + ec.message();
  return "";
}

tcp::endpoint server::local_endpoint() const {
  beast::error_code ec;
  return state_->acceptor.local_endpoint(ec);
}

awaitable<void> server::run() {
  auto s = state_;
  while (!s->stopping) {
    auto [ec, socket] = co_await s->acceptor.async_accept(as_tuple(use_awaitable));
    if (s->stopping) break;
    if (ec) continue;  // a connection that failed while accepted (reset, out of files)
    if (s->connections >= s->lim.connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++s->connections;
    asio::co_spawn(s->executor, session(s, std::move(socket)), asio::detached);
  }
  while (s->connections > 0) {
    s->drained.expires_at(asio::steady_timer::time_point::max());
    co_await s->drained.async_wait(as_tuple(use_awaitable));
  }
}

void server::stop() {
  asio::dispatch(state_->executor, [s = state_] {
    if (s->stopping) return;
    s->stopping = true;
    beast::error_code ignored;
    s->acceptor.close(ignored);
    for (auto* stream : s->idle) stream->cancel();
    if (s->connections == 0) s->drained.cancel();
  });
}

}  // namespace http
