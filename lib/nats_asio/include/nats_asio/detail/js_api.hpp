// Internal awaitable building blocks for JetStream API calls.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/detail/connection_core.hpp"
#include "nats_asio/detail/js_json.hpp"

namespace nats_asio::detail {

// Request/reply through the connection's multiplexer; void(error_code, message).
template <typename Token>
auto async_core_request(std::shared_ptr<connection_core> core, std::string subject,
                        header_list headers, std::string payload, std::chrono::milliseconds timeout,
                        Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, message)>(
      [core = std::move(core), subject = std::move(subject), headers = std::move(headers),
       payload = std::move(payload), timeout](auto handler) {
        auto c = make_completion<message>(std::move(handler), core->executor());
        core->request(subject, headers, payload, timeout, c);
      },
      token);
}

// Asks the server to delete a consumer without waiting for the answer (used
// when a subscription or watcher goes away and nobody is left to wait).
void delete_consumer_later(const std::shared_ptr<connection_core>& core, const std::string& stream,
                           const std::string& consumer);

// Calls "$JS.API.<api>" with a JSON body. Never throws: failures are in the result.
boost::asio::awaitable<api_response> api_call(std::shared_ptr<connection_core> core,
                                              std::string api, std::string body,
                                              std::chrono::milliseconds timeout);

// Makes the consumer `cfg` describes on `stream`, or finds the durable one of
// that name and updates it to `cfg`; the server's text goes to `*text` if set.
boost::asio::awaitable<std::pair<error_code, consumer_info>> ensure_consumer(
    std::shared_ptr<connection_core> core, std::string stream, consumer_config cfg,
    std::chrono::milliseconds timeout, std::shared_ptr<std::string> text);

// Runs an internal coroutine producing (error_code, T) on `ex` and finishes `c`
// with it. If `c` is cancelled first, the coroutine runs on and its result is dropped.
template <typename T>
void spawn_into(boost::asio::any_io_executor ex,
                boost::asio::awaitable<std::pair<error_code, T>> work, completion_ptr<T> c) {
  boost::asio::co_spawn(ex, std::move(work),
                        [c = std::move(c)](std::exception_ptr e, std::pair<error_code, T> r) {
                          if (e)
                            c->fail(errc::bad_response);
                          else
                            c->complete(r.first, std::move(r.second));
                        });
}

}  // namespace nats_asio::detail

namespace nats_asio::detail {
inline void spawn_into(boost::asio::any_io_executor ex, boost::asio::awaitable<error_code> work,
                       completion_ptr<> c) {
  boost::asio::co_spawn(ex, std::move(work),
                        [c = std::move(c)](std::exception_ptr e, error_code ec) {
                          c->complete(e ? make_error_code(errc::bad_response) : ec);
                        });
}
}  // namespace nats_asio::detail
