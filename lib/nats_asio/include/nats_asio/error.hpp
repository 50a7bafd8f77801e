// Error codes of the library: three categories, one per source of failure.
#pragma once

#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

namespace nats_asio {

using boost::system::error_code;

// Failures detected by this library itself.
enum class errc {
  not_connected = 1,      // the connection object holds no live connection
  connection_closed,      // the connection was closed while the operation waited
  no_responders,          // nobody listens on the subject (server status 503)
  timeout,                // the peer did not answer within the operation's timeout
  queue_overflow,         // a bounded receive queue was full; the message was dropped
  subscription_closed,    // the subscription or watcher was closed
  bad_response,           // a reply from the server could not be decoded
  stream_incompatible,    // an existing stream differs from the requested config
  consumer_incompatible,  // an existing consumer differs from the requested config
  bucket_not_found,       // no key-value bucket with that name
  key_not_found,          // the key does not exist or was deleted
  key_exists,             // create(): the key already has a value
  wrong_last_revision,    // update(): the key's revision is not the expected one
  invalid_argument,       // a subject, key or option is malformed
  permission_denied,      // the server refused the subject for this user (permissions violation)
  operation_in_progress,  // an operation that allows one call at a time is already pending
  consumer_silent,        // a consumer sent neither message nor heartbeat for too long
};

const boost::system::error_category& library_category() noexcept;
// Values are nats.c `natsStatus` codes.
const boost::system::error_category& nats_category() noexcept;
// Values are JetStream API `err_code`s (10xxx); see the server's errors.json.
const boost::system::error_category& jetstream_category() noexcept;

inline error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), library_category()};
}
// Wraps a nats.c status; NATS_OK maps to the empty error_code.
error_code make_nats_error(int nats_status) noexcept;
inline error_code make_jetstream_error(int err_code) noexcept {
  return {err_code, jetstream_category()};
}

// JetStream API error codes the library reacts to.
namespace js_err {
inline constexpr int stream_not_found = 10059;
inline constexpr int consumer_not_found = 10014;
inline constexpr int wrong_last_sequence = 10071;
inline constexpr int message_not_found = 10037;
inline constexpr int stream_name_in_use = 10058;
inline constexpr int stream_subjects_overlap = 10065;
inline constexpr int stream_retention_or_storage_change = 10052;
inline constexpr int consumer_name_in_use = 10013;
// A work-queue stream refuses a consumer whose filter overlaps another's.
inline constexpr int consumer_filter_not_unique = 10100;
inline constexpr int jetstream_not_enabled = 10039;
inline constexpr int maximum_consumers_reached = 10077;
}  // namespace js_err

// The server's own text for the last failure of an operation that accepts one.
class diagnostics {
 public:
  const std::string& server_message() const noexcept { return message_; }
  void assign(std::string message) { message_ = std::move(message); }
  void clear() noexcept { message_.clear(); }

 private:
  std::string message_;
};

}  // namespace nats_asio

template <>
struct boost::system::is_error_code_enum<nats_asio::errc> : std::true_type {};
