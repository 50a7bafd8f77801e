#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <exception>
#include <unordered_set>

#include "http/bearer.hpp"

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
  res.set(field::content_type, content_type);
  res.set("X-Content-Type-Options", "nosniff");  // browsers: no guessing of types
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response make_problem(const request& req, const problem& p) {
  return make_response(req, p.status, to_json(p), problem_content_type);
}

namespace {

// A route's action: a plain handler, or an event route when events.run is set.
struct route_action {
  handler plain;
  event_route events;
};

}  // namespace

struct server::state {
  state(executor_type ex, server_options o)
      : executor(ex), acceptor(ex), opt(std::move(o)), drained(ex) {}

  executor_type executor;
  tcp::acceptor acceptor;
  router<route_action> routes;
  server_options opt;
  bool stopping = false;
  std::size_t connections = 0;
  std::unordered_set<beast::tcp_stream*> idle;  // waiting for a request's first byte
  std::unordered_set<event_stream*> streams;    // open event streams
  asio::steady_timer drained;                   // cancelled when the last connection ends
};

namespace {

using state = server::state;

// What a request that no handler sees gets: the problem for a parse error.
problem parse_problem(const beast::error_code& ec) {
  if (ec == bhttp::error::body_limit) return {413, "the request body is over the limit"};
  if (ec == bhttp::error::header_limit) return {431, "the request headers are over the limit"};
  return {400, "malformed request: " + ec.message()};
}

bool origin_allowed(const state& s, const request& req) {
  if (s.opt.cors_origin.empty()) return false;
  const auto origin = req[field::origin];
  return !origin.empty() && (s.opt.cors_origin == "*" || origin == s.opt.cors_origin);
}

template <class Response>
void add_cors(const state& s, const request& req, Response& res) {
  if (!origin_allowed(s, req)) return;
  res.set(field::access_control_allow_origin,
          s.opt.cors_origin == "*" ? beast::string_view("*") : req[field::origin]);
  res.set(field::vary, "Origin");
}

// The decoded path, as routes see it: a token prefix is checked on this, so
// that "/%61pi" cannot pass for something outside "/api".
std::string decoded_path(const target& where) {
  std::string path;
  for (const auto& segment : where.segments) path += "/" + segment;
  return path;
}

// 401 when the route needs the token and the request lacks it.
std::optional<response> refuse_without_token(const state& s, const request& req,
                                             const target& where) {
  if (s.opt.bearer_token.empty() || !decoded_path(where).starts_with(s.opt.token_prefix))
    return std::nullopt;
  const auto given = req[field::authorization];
  if (bearer_matches(given, s.opt.bearer_token)) return std::nullopt;
  auto res = make_problem(
      req, {401, given.empty() ? "this route needs an Authorization: Bearer token"
                               : "the bearer token is not the one this server accepts"});
  res.set(field::www_authenticate, given.empty() ? "Bearer" : "Bearer error=\"invalid_token\"");
  return res;
}

// A CORS preflight: which methods and headers the browser may use.
response preflight(const state& s, const request& req, const target& where) {
  const auto found = s.routes.find(bhttp::verb::options, where.segments);
  if (!found.path_known && !found.handler)
    return make_problem(req, {404, "no route for " + std::string(req.target())});
  response res{bhttp::status::no_content, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(field::access_control_allow_methods, found.allow);
  res.set(field::access_control_allow_headers, "Authorization, Content-Type, Last-Event-ID");
  res.set(field::access_control_max_age, "600");
  return res;
}

template <class Stream>
beast::tcp_stream& lowest(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

// Writes what an event stream queues, a comment when it has been silent,
// and returns true when the stream ended and all was written, false when
// a write failed or it was cancelled.
template <class Stream>
awaitable<bool> pump(const state& s, Stream& stream, event_stream& es, asio::steady_timer& wake) {
  for (;;) {
    auto out = es.take();
    if (out.empty()) {
      if (es.ended()) co_return true;
      wake.expires_after(s.opt.limits.event_heartbeat);
      auto [ec] = co_await wake.async_wait(as_tuple(use_awaitable));
      const auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none) co_return false;
      if (ec || !es.empty() || es.ended()) continue;  // woken: there is work
      out = ":\n\n";
    }
    // A read is pending (watch_close): this sets the write's deadline only.
    lowest(stream).expires_after(s.opt.limits.write_time);
    auto [wec, n] = co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(out)),
                                               as_tuple(use_awaitable));
    if (wec) co_return false;
  }
}

// Returns when the client closes the connection (or it fails): a stream's
// client sends nothing more.
template <class Stream>
awaitable<void> watch_close(Stream& stream) {
  lowest(stream).expires_never();  // the read may wait as long as the stream lasts
  char bytes[256];
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(bytes), as_tuple(use_awaitable));
    if (ec) co_return;
  }
}

// Runs the route's producer; once it returns the stream ends after what it
// queued, and this waits to be cancelled by the pump finishing.
awaitable<void> produce(const event_route& route, const request_context& ctx, event_stream& es) {
  try {
    co_await route.run(ctx, es);
  } catch (const std::exception&) {
    // Cancelled, or the producer failed: the stream ends either way.
  }
  es.end();
  asio::steady_timer forever(co_await asio::this_coro::executor,
                             asio::steady_timer::time_point::max());
  co_await forever.async_wait(as_tuple(use_awaitable));
}

template <class Stream>
awaitable<void> serve_events(state& s, Stream& stream, const request& req,
                             const request_context& ctx, const event_route& route) {
  bhttp::response<bhttp::empty_body> head{bhttp::status::ok, req.version()};
  head.set(field::content_type, "text/event-stream");
  head.set(field::cache_control, "no-store");
  head.keep_alive(false);
  head.chunked(true);
  add_cors(s, req, head);
  bhttp::response_serializer<bhttp::empty_body> serializer{head};
  lowest(stream).expires_after(s.opt.limits.write_time);
  auto [hec, hn] = co_await bhttp::async_write_header(stream, serializer, as_tuple(use_awaitable));
  if (hec) co_return;

  asio::steady_timer wake(s.executor);
  event_stream es{std::string(req["Last-Event-ID"]), s.opt.limits.event_buffer_bytes, wake};
  s.streams.insert(&es);
  if (s.stopping) es.end();
  using namespace asio::experimental::awaitable_operators;
  auto ended =
      co_await (produce(route, ctx, es) || pump(s, stream, es, wake) || watch_close(stream));
  s.streams.erase(&es);
  if (ended.index() == 1 && std::get<1>(ended)) {
    lowest(stream).expires_after(s.opt.limits.write_time);
    co_await asio::async_write(stream, bhttp::make_chunk_last(), as_tuple(use_awaitable));
  }
}

// Answers one request; false when the connection is to close.
template <class Stream>
awaitable<bool> answer(state& s, Stream& stream, const request& req) {
  const auto began = std::chrono::steady_clock::now();
  std::string_view route;
  auto record = [&](unsigned status) {
    if (s.opt.on_request)
      s.opt.on_request({req.method(), route, status, std::chrono::steady_clock::now() - began});
  };
  response res;
  const auto where = parse_target(req.target());
  if (!where) {
    res = make_problem(req,
                       {400, "the request target does not decode: " + std::string(req.target())});
  } else if (req.method() == bhttp::verb::options && origin_allowed(s, req) &&
             req.count(field::access_control_request_method)) {
    res = preflight(s, req, *where);
  } else if (auto refused = refuse_without_token(s, req, *where)) {
    res = std::move(*refused);
  } else if (auto found = s.routes.find(req.method(), where->segments); !found.handler) {
    if (!found.path_known) {
      res = make_problem(req, {404, "no route for " + std::string(req.target())});
    } else {
      res = make_problem(req, {405, std::string(req.method_string()) + " is not allowed here"});
      res.set(field::allow, found.allow);
    }
  } else {
    route = *found.pattern;
    const request_context ctx{req, *where, found.params};
    const auto& action = *found.handler;
    std::optional<problem> refused;
    try {
      if (action.events.run) {
        refused = action.events.check ? action.events.check(ctx) : std::nullopt;
        if (!refused) {
          record(200);
          co_await serve_events(s, stream, req, ctx, action.events);
          co_return false;
        }
        res = make_problem(req, *refused);
      } else {
        res = co_await action.plain(ctx);
      }
    } catch (const std::exception& e) {
      res = make_problem(req, {500, std::string("internal error: ") + e.what()});
    }
  }
  add_cors(s, req, res);
  if (s.stopping) res.keep_alive(false);
  lowest(stream).expires_after(s.opt.limits.write_time);
  auto [wec, written] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
  record(res.result_int());
  co_return !wec && res.keep_alive();
}

// Requests on one connection, one after another, until it closes.
template <class Stream>
awaitable<void> serve(state& s, Stream& stream) {
  beast::flat_buffer buffer;
  for (;;) {
    // Wait for a request's first byte (idle time), then read it all (request time).
    if (buffer.size() == 0) {
      if (s.stopping) break;
      s.idle.insert(&lowest(stream));
      lowest(stream).expires_after(s.opt.limits.idle_time);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(1024), as_tuple(use_awaitable));
      s.idle.erase(&lowest(stream));
      if (ec || n == 0) break;  // closed, timed out, or stopped
      buffer.commit(n);
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s.opt.limits.header_bytes));
    parser.body_limit(s.opt.limits.body_bytes);
    lowest(stream).expires_after(s.opt.limits.request_time);
    auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (rec == beast::error::timeout || rec == bhttp::error::end_of_stream ||
        rec == asio::error::operation_aborted)
      break;
    if (rec) {
      request bare;
      bare.version(11);
      auto res = make_problem(bare, parse_problem(rec));
      res.keep_alive(false);
      lowest(stream).expires_after(s.opt.limits.write_time);
      co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
      break;
    }
    if (!co_await answer(s, stream, parser.get())) break;
  }
}

awaitable<void> connection(std::shared_ptr<state> s, tcp::socket socket) {
  if (s->opt.tls) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *s->opt.tls);
    lowest(stream).expires_after(s->opt.limits.request_time);
    auto [hec] =
        co_await stream.async_handshake(asio::ssl::stream_base::server, as_tuple(use_awaitable));
    if (!hec) {
      co_await serve(*s, stream);
      // close_notify, without waiting long for the client's: most just close.
      lowest(stream).expires_after(std::chrono::seconds(1));
      co_await stream.async_shutdown(as_tuple(use_awaitable));
    }
  } else {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(*s, stream);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  if (--s->connections == 0 && s->stopping) s->drained.cancel();
}

}  // namespace

server::server(executor_type ex, server_options options)
    : state_(std::make_shared<state>(std::move(ex), std::move(options))) {}

server::~server() = default;

void server::add(verb method, std::string_view pattern, handler h) {
  state_->routes.add(method, pattern, route_action{std::move(h), {}});
}

void server::add_events(std::string_view pattern, event_route r) {
  state_->routes.add(bhttp::verb::get, pattern, route_action{{}, std::move(r)});
}

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

std::size_t server::open_event_streams() const { return state_->streams.size(); }

awaitable<void> server::run() {
  auto s = state_;
  while (!s->stopping) {
    auto [ec, socket] = co_await s->acceptor.async_accept(as_tuple(use_awaitable));
    if (s->stopping) break;
    if (ec) continue;  // a connection that failed while accepted (reset, out of files)
    if (s->connections >= s->opt.limits.connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++s->connections;
    asio::co_spawn(s->executor, connection(s, std::move(socket)), asio::detached);
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
    for (auto* es : s->streams) es->end();
    if (s->connections == 0) s->drained.cancel();
  });
}

}  // namespace http
