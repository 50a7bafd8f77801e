#include "http/listen_address.hpp"

#include <charconv>

namespace http {

std::optional<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text,
                                                                   std::string& error) {
  const auto fail = [&](const std::string& why) {
    error = "\"" + std::string(text) + "\": " + why;
    return std::nullopt;
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("expected HOST:PORT, e.g. 127.0.0.1:8080");
  auto host = text.substr(0, colon);
  const auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535)
    return fail("the port must be a number from 0 to 65535");
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code aec;
  const auto address = boost::asio::ip::make_address(std::string(host), aec);
  if (aec || address.is_v6() != bracketed)
    return fail("the host must be an IPv4 address, [an IPv6 address] or localhost");
  return boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string to_string(const boost::asio::ip::tcp::endpoint& at) {
  const auto host = at.address().to_string();
  return (at.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(at.port());
}

}  // namespace http
