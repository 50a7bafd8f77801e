// "HOST:PORT" as a listening endpoint: an IPv4 address, "[IPv6]", or
// "localhost" (127.0.0.1); port 0 asks the system for a free one. Numeric
// only, so that reading a setting never waits on a name lookup.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace http {

// nullopt and a one-line `error` ("expected HOST:PORT ...") when malformed.
std::optional<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text,
                                                                   std::string& error);

// "127.0.0.1:8080", "[::1]:8080": as parse_listen_address reads it.
std::string to_string(const boost::asio::ip::tcp::endpoint& at);

}  // namespace http
