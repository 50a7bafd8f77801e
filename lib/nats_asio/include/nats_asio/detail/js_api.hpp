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
#include "nats_asio/detail/spawn_into.hpp"

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

// Creates the stream, or updates it to `cfg` if it differs; `text` (may be
// null) gets the server's reason on failure. Commits `op` just before a
// create or update is sent.
boost::asio::awaitable<std::pair<error_code, stream_info>> ensure_stream(
    std::shared_ptr<connection_core> core, stream_config cfg, std::chrono::milliseconds timeout,
    std::shared_ptr<std::string> text, std::shared_ptr<operation_state> op);

// Calls "$JS.API.<api>" with a JSON body. Never throws: failures are in the result.
boost::asio::awaitable<api_response> api_call(std::shared_ptr<connection_core> core,
                                              std::string api, std::string body,
                                              std::chrono::milliseconds timeout);

// Makes the consumer `cfg` describes on `stream`, or finds the durable one of
// that name and updates it to `cfg`; the server's text goes to `*text` if set.
// Commits `op` (if set) just before a create or update is sent.
boost::asio::awaitable<std::pair<error_code, consumer_info>> ensure_consumer(
    std::shared_ptr<connection_core> core, std::string stream, consumer_config cfg,
    std::chrono::milliseconds timeout, std::shared_ptr<std::string> text,
    std::shared_ptr<operation_state> op);

}  // namespace nats_asio::detail
