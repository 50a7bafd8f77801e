// Creates (or checks) the streams and the bucket of the wire contract.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "app_settings.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"

namespace apps {

struct provisioned {
  nats_asio::kv_bucket config;
};

// Idempotent. On failure returns nullopt and sets `error` to one line naming
// the stream or bucket and what is incompatible.
boost::asio::awaitable<std::optional<provisioned>> provision(nats_asio::jetstream& js,
                                                             const app_settings& settings,
                                                             std::string& error);

}  // namespace apps
