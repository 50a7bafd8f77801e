// JSON codecs for the JetStream API (pure functions, unit-tested).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "nats_asio/consumer_config.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/stream_config.hpp"

namespace nats_asio::detail {

boost::json::object to_json(const stream_config& c);
stream_config stream_config_from_json(const boost::json::object& o);
stream_info stream_info_from_json(const boost::json::object& o);

boost::json::object to_json(const consumer_config& c);
consumer_config consumer_config_from_json(const boost::json::object& o);
consumer_info consumer_info_from_json(const boost::json::object& o);

// An API response: its body, or the API error it carries.
struct api_response {
  boost::json::object body;
  error_code error;         // jetstream_category (err_code) or errc::bad_response
  std::string description;  // the server's text for `error`
};
api_response parse_api_response(std::string_view payload);

// Fields of `requested` that `existing` does not match, as "field (have X, want Y)".
std::string describe_differences(const stream_config& existing, const stream_config& requested);
std::string describe_differences(const consumer_config& existing, const consumer_config& requested);

}  // namespace nats_asio::detail
