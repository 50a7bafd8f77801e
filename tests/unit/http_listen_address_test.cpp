// http::parse_listen_address: the --http-listen setting.
#include <doctest/doctest.h>

#include "http/listen_address.hpp"

TEST_CASE("parse_listen_address: IPv4, [IPv6], localhost; port 0 allowed") {
  std::string error;
  auto v4 = http::parse_listen_address("127.0.0.1:8080", error);
  REQUIRE(v4);
  CHECK(v4->address().to_string() == "127.0.0.1");
  CHECK(v4->port() == 8080);
  CHECK(v4->address().is_loopback());
  auto v6 = http::parse_listen_address("[::1]:0", error);
  REQUIRE(v6);
  CHECK(v6->address().is_v6());
  CHECK(v6->port() == 0);
  CHECK(http::to_string(*v6) == "[::1]:0");
  auto local = http::parse_listen_address("localhost:9", error);
  REQUIRE(local);
  CHECK(http::to_string(*local) == "127.0.0.1:9");
  auto any = http::parse_listen_address("0.0.0.0:80", error);
  REQUIRE(any);
  CHECK_FALSE(any->address().is_loopback());
}

TEST_CASE("parse_listen_address: what is wrong is said, with the text") {
  std::string error;
  CHECK_FALSE(http::parse_listen_address("8080", error));
  CHECK(error == "\"8080\": expected HOST:PORT, e.g. 127.0.0.1:8080");
  CHECK_FALSE(http::parse_listen_address("127.0.0.1:http", error));
  CHECK(error.find("the port must be a number") != std::string::npos);
  CHECK_FALSE(http::parse_listen_address("127.0.0.1:65536", error));
  CHECK_FALSE(http::parse_listen_address("127.0.0.1:", error));
  CHECK_FALSE(http::parse_listen_address("example.com:80", error));
  CHECK(error.find("the host must be") != std::string::npos);
  CHECK_FALSE(http::parse_listen_address("::1:80", error));  // IPv6 needs brackets
  CHECK_FALSE(http::parse_listen_address("[127.0.0.1]:80", error));
}
