// Reads the stream's answer to a JetStream publish.
#pragma once

#include <string_view>
#include <utility>

#include "nats_asio/error.hpp"
#include "nats_asio/jetstream.hpp"

namespace nats_asio::detail {

// The acknowledgment, or the API error the answer carries (errc::bad_response
// when it is not JSON). The usual answer, {"stream":"S", "seq":N} with an
// optional "domain" and "duplicate", is read without building a JSON
// document: at tens of thousands of publishes a second, that document was a
// good part of the client's cost. Anything else takes the full parse.
std::pair<error_code, pub_ack> parse_pub_ack(std::string_view payload);

// The fast path alone: false when `payload` is not in the usual form.
bool parse_plain_pub_ack(std::string_view payload, pub_ack& out);

}  // namespace nats_asio::detail
