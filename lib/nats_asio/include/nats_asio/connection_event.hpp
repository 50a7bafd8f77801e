// What happened to a connection, as delivered by connection::async_next_event.
#pragma once

#include <string>

#include "nats_asio/error.hpp"

namespace nats_asio {

struct connection_event {
  enum class kind {
    disconnected,  // lost the server; nats.c is reconnecting
    reconnected,   // connected again (possibly to another server)
    closed,        // the connection is gone for good; the last event
    error,         // asynchronous error (slow consumer, permission violation, ...);
                   // a violation has errc::permission_denied and the server's text,
                   // which names the subject
    lame_duck,     // the server announced it is shutting down
  };
  kind what = kind::error;
  error_code error;  // set for `error`, and for `closed` when not asked for
  std::string url;   // server involved, where known
  std::string text;  // the server's or nats.c's text, where known
};

const char* to_string(connection_event::kind k) noexcept;

}  // namespace nats_asio
