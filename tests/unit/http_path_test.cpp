// http::parse_target and percent-decoding: what a request line's target
// becomes, and what is refused.
#include <doctest/doctest.h>

#include "http/path.hpp"

using http::parse_target;
using http::percent_decode;

TEST_CASE("percent_decode: escapes, plus signs, and what it refuses") {
  CHECK(percent_decode("a%20b%2Fc") == "a b/c");
  CHECK(percent_decode("%41%6a") == "Aj");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("%4g"));
  CHECK_FALSE(percent_decode("a%00b"));  // no NUL in a decoded name
  CHECK(percent_decode("") == "");
}

TEST_CASE("parse_target: segments and query pairs, decoded, in order") {
  auto t =
      parse_target("/api/v1/sensors/s%2D1/config?from=2024-05-01T00%3A00&sensor=a&sensor=b+c&");
  REQUIRE(t);
  CHECK(t->segments == std::vector<std::string>{"api", "v1", "sensors", "s-1", "config"});
  REQUIRE(t->query.size() == 3);
  CHECK(t->query[0] == std::pair<std::string, std::string>{"from", "2024-05-01T00:00"});
  CHECK(http::query_values(*t, "sensor") == std::vector<std::string>{"a", "b c"});
  std::string error;
  CHECK_FALSE(http::query_value(*t, "sensor", error));
  CHECK(error == "the query parameter \"sensor\" is given 2 times");
  error.clear();
  CHECK(http::query_value(*t, "from", error) == "2024-05-01T00:00");
  CHECK_FALSE(http::query_value(*t, "to", error));
  CHECK(error.empty());

  CHECK(parse_target("/")->segments == std::vector<std::string>{""});
  CHECK(parse_target("/a/")->segments == std::vector<std::string>{"a", ""});
  CHECK(parse_target("/a?flag")->query ==
        std::vector<std::pair<std::string, std::string>>{{"flag", ""}});
  // A slash encoded in a segment stays inside it.
  CHECK(parse_target("/a%2Fb")->segments == std::vector<std::string>{"a/b"});
}

TEST_CASE("parse_target: refuses what is not an origin-form target or does not decode") {
  CHECK_FALSE(parse_target(""));
  CHECK_FALSE(parse_target("api/v1"));
  CHECK_FALSE(parse_target("http://host/api"));
  CHECK_FALSE(parse_target("/a%zz"));
  CHECK_FALSE(parse_target("/a?x=%"));
  CHECK_FALSE(parse_target("/a?x%00=1"));
}

TEST_CASE("percent_encode: unreserved bytes kept, the rest as %XX; decoding gives it back") {
  CHECK(http::percent_encode("a-Z_0.9~") == "a-Z_0.9~");
  CHECK(http::percent_encode("2026-11-30T10:00:00+01:00") == "2026-11-30T10%3A00%3A00%2B01%3A00");
  CHECK(http::percent_encode("a b/c") == "a%20b%2Fc");
  const std::string bytes{"\xff\x01?&="};
  CHECK(http::percent_decode(http::percent_encode(bytes), true) == bytes);
}
