// Messages a stream handed out again, recognised by the header the server adds.
//
// Server permissions cannot restrict reply subjects, so any identity can have
// the server deliver a reply (a stored message it reads back, such as its own
// config) onto another's subject, where a stream may store it. Such a message
// carries the Nats-Stream header of the read-back; a published one never does.
#pragma once

#include <optional>
#include <string>

#include "nats_asio/message.hpp"

namespace apps {

// The stream `msg` was read back from, or nullopt for a published message.
inline std::optional<std::string> read_back_origin(const nats_asio::message& msg) {
  if (auto origin = msg.header("Nats-Stream")) return std::string(*origin);
  return std::nullopt;
}

}  // namespace apps
