#include "nats_asio/connection.hpp"

#include <boost/asio/post.hpp>

#include "nats_asio/detail/access.hpp"
#include "nats_asio/detail/connection_core.hpp"

namespace nats_asio {

namespace detail {
namespace {

// nats.c reports a server that hangs up right after the TLS handshake as a
// missing PONG or a failed SSL read or write, depending on timing. Under TLS
// 1.3 that is how a missing or refused client certificate shows: the server
// checks it after the handshake has completed on the client's side.
std::string explain_connect_failure(std::string text) {
  for (const char* hung_up : {"Expected 'PONG', got ''", "SSL_write error", "SSL_read error"}) {
    if (text.find(hung_up) != std::string::npos) {
      text +=
          " (the server closed the connection before answering, as a server requiring TLS "
          "client certificates does when none or an untrusted one is given)";
      break;
    }
  }
  return text;
}

}  // namespace

void start_connect(const std::shared_ptr<connection_core>& core, completion_ptr<std::string> c) {
  boost::asio::post(blocking_executor(), [core, c = std::move(c)] {
    std::string detail;
    error_code ec = core->connect_blocking(detail);
    if (!ec && !c->complete({}, {})) {
      core->close_async(nullptr);  // cancelled meanwhile: nobody will use it
      return;
    }
    if (ec) c->complete(ec, explain_connect_failure(std::move(detail)));
  });
}
}  // namespace detail

connection::~connection() {
  if (core_) core_->close_async(nullptr);
}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    if (core_) core_->close_async(nullptr);
    executor_ = std::move(other.executor_);
    core_ = std::move(other.core_);
  }
  return *this;
}

bool connection::is_open() const noexcept { return core_ && !core_->is_closed(); }

void connection::reset_core(connect_options options) {
  if (core_) core_->close_async(nullptr);
  core_ = std::make_shared<detail::connection_core>(executor_, std::move(options));
}

error_code connection::publish(std::string_view subject, std::string_view payload,
                               const header_list& headers) {
  if (!core_) return errc::not_connected;
  return core_->publish(subject, {}, headers, payload);
}

error_code connection::publish_request(std::string_view subject, std::string_view reply,
                                       std::string_view payload, const header_list& headers) {
  if (!core_) return errc::not_connected;
  return core_->publish(subject, reply, headers, payload);
}

void connection::start_request(std::string_view subject, const header_list& headers,
                               std::string_view payload, std::chrono::milliseconds timeout,
                               const detail::completion_ptr<message>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  c->commit();  // the responder may act on it from now on
  core_->request(subject, headers, payload, timeout, c);
}

void connection::start_next_event(const detail::completion_ptr<connection_event>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  core_->events().receive(c);
}

void connection::start_close(const detail::completion_ptr<>& c) {
  c->ignore_cancellation();
  if (!core_) {
    c->complete({});
    return;
  }
  core_->close_async(c);
}

void connection::start_drain(std::chrono::milliseconds timeout, const detail::completion_ptr<>& c) {
  c->ignore_cancellation();
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  if (auto ec = core_->start_drain(timeout)) {
    c->fail(ec);
    return;
  }
  core_->close_async(c, true);  // waits for the drain's closed callback
}

subscription connection::subscribe(std::string_view subject, std::string_view queue_group,
                                   std::size_t capacity) {
  error_code ec;
  auto sub = subscribe(subject, ec, queue_group, capacity);
  if (ec) throw boost::system::system_error(ec, "subscribe " + std::string(subject));
  return sub;
}

subscription connection::subscribe(std::string_view subject, error_code& ec,
                                   std::string_view queue_group, std::size_t capacity) {
  if (!core_) {
    ec = errc::not_connected;
    return subscription(executor_);
  }
  return detail::access::open_subscription(core_, subject, queue_group, capacity, ec);
}

}  // namespace nats_asio
