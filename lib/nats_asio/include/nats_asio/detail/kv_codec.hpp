// Key-value wire details: subjects, markers and direct-get replies (pure).
#pragma once

#include <string_view>

#include "nats_asio/error.hpp"
#include "nats_asio/js_message.hpp"
#include "nats_asio/kv_entry.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio::detail {

// KV-Operation header: absent or "PUT" -> put, "DEL" -> erase, "PURGE" -> purge.
kv_operation operation_of(const message& msg);

// An entry from a watch delivery (subject "$KV.<bucket>.<key>").
kv_entry entry_from_message(std::string_view bucket, const message& msg, const js_metadata& meta);

// An entry from a direct-get reply; errc::key_not_found for status 404.
error_code entry_from_direct_get(std::string_view bucket, std::string_view key,
                                 const message& reply, kv_entry& out);

// Parses Nats-Time-Stamp: RFC 3339 ("2006-01-02T15:04:05.999999999Z") or Go's
// default format ("2006-01-02 15:04:05.999999999 +0000 UTC"); always UTC.
std::chrono::system_clock::time_point parse_nats_timestamp(std::string_view text);

}  // namespace nats_asio::detail
