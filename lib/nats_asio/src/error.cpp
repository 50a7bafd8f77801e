#include "nats_asio/error.hpp"

#include <nats/nats.h>

namespace nats_asio {
namespace {

class library_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "nats_asio"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::not_connected:
        return "not connected";
      case errc::connection_closed:
        return "connection closed";
      case errc::no_responders:
        return "no responders on subject";
      case errc::timeout:
        return "timed out waiting for a reply";
      case errc::queue_overflow:
        return "receive queue full, message dropped";
      case errc::consumer_silent:
        return "the consumer sent neither message nor heartbeat for too long";
      case errc::subscription_closed:
        return "subscription closed";
      case errc::bad_response:
        return "malformed reply from server";
      case errc::stream_incompatible:
        return "existing stream is incompatible";
      case errc::consumer_incompatible:
        return "existing consumer is incompatible";
      case errc::bucket_not_found:
        return "key-value bucket not found";
      case errc::key_not_found:
        return "key not found";
      case errc::key_exists:
        return "key already exists";
      case errc::wrong_last_revision:
        return "key revision is not the expected one";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::permission_denied:
        return "permission denied: the server refused the subject for this user";
      case errc::operation_in_progress:
        return "another call of this operation is still pending";
    }
    return "unknown nats_asio error";
  }
};

class nats_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "nats"; }
  std::string message(int value) const override {
    return natsStatus_GetText(static_cast<natsStatus>(value));
  }
};

class jetstream_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "jetstream"; }
  std::string message(int value) const override {
    switch (value) {
      case js_err::stream_not_found:
        return "stream not found";
      case js_err::consumer_not_found:
        return "consumer not found";
      case js_err::wrong_last_sequence:
        return "wrong last sequence";
      case js_err::message_not_found:
        return "no message found";
      case js_err::stream_name_in_use:
        return "stream name already in use with a different configuration";
      case js_err::stream_subjects_overlap:
        return "subjects overlap with an existing stream";
      case js_err::stream_retention_or_storage_change:
        return "stream configuration update cannot change retention or storage";
      case js_err::consumer_name_in_use:
        return "consumer name already in use";
      case js_err::consumer_filter_not_unique:
        return "filtered consumer not unique on work-queue stream";
      case js_err::jetstream_not_enabled:
        return "JetStream not enabled for account";
      case js_err::maximum_consumers_reached:
        return "maximum number of consumers reached";
      default:
        return "JetStream API error " + std::to_string(value);
    }
  }
};

}  // namespace

const boost::system::error_category& library_category() noexcept {
  static const library_category_impl instance;
  return instance;
}
const boost::system::error_category& nats_category() noexcept {
  static const nats_category_impl instance;
  return instance;
}
const boost::system::error_category& jetstream_category() noexcept {
  static const jetstream_category_impl instance;
  return instance;
}

error_code make_nats_error(int nats_status) noexcept {
  if (nats_status == NATS_OK) return {};
  if (nats_status == NATS_TIMEOUT) return errc::timeout;
  if (nats_status == NATS_NO_RESPONDERS) return errc::no_responders;
  if (nats_status == NATS_CONNECTION_CLOSED) return errc::connection_closed;
  if (nats_status == NATS_NOT_PERMITTED) return errc::permission_denied;
  return {nats_status, nats_category()};
}

}  // namespace nats_asio
