#include "nats_asio/detail/pub_ack.hpp"

#include <doctest/doctest.h>

using namespace nats_asio;
using detail::parse_plain_pub_ack;
using detail::parse_pub_ack;

TEST_CASE("the usual acknowledgments are read without a JSON document") {
  pub_ack ack;
  // As nats-server 2.9 writes them.
  REQUIRE(parse_plain_pub_ack(R"({"stream":"MEASUREMENTS", "seq":42})", ack));
  CHECK(ack.stream == "MEASUREMENTS");
  CHECK(ack.sequence == 42);
  CHECK_FALSE(ack.duplicate);

  REQUIRE(
      parse_plain_pub_ack(R"({"stream":"S","seq":18446744073709551615,"duplicate":true})", ack));
  CHECK(ack.sequence == 18446744073709551615u);
  CHECK(ack.duplicate);

  REQUIRE(parse_plain_pub_ack(R"({"stream":"S","domain":"hub","seq":7,"duplicate":true})", ack));
  CHECK(ack.stream == "S");
  CHECK(ack.sequence == 7);
  CHECK(ack.duplicate);
}

TEST_CASE("anything but the usual form is left to the full parse") {
  pub_ack ack;
  for (const char* text : {
           R"({"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}})",
           R"({"seq":1,"stream":"S"})",                // the stream not first
           R"({"stream":"S"})",                        // no sequence
           R"({"stream":"S","seq":1,"seq":2})",        // a sequence twice
           R"({"stream":"S","seq":1,"duplicate":1})",  // not a boolean
           R"({"stream":"S","seq":1}x)",               // something after the end
           R"({"stream":"S\u0041","seq":1})",          // an escape
           R"({"stream":"S","seq":-1})",               // not an unsigned number
           R"({"stream":"S","seq":1.5})",              // not an integer
           R"({"stream":"S","seq":1,"other":2})",      // an unknown field
           R"({"stream":"S","seq":1)",                 // cut short
           "",
       }) {
    CAPTURE(text);
    CHECK_FALSE(parse_plain_pub_ack(text, ack));
  }
}

TEST_CASE("parse_pub_ack: fast and full paths agree; errors carry their code") {
  auto [ec, ack] = parse_pub_ack(R"({"stream":"S","seq":3,"duplicate":true})");
  CHECK_FALSE(ec);
  CHECK(ack.sequence == 3);
  CHECK(ack.duplicate);

  auto [ec2, ack2] = parse_pub_ack(R"({ "seq": 3, "duplicate": true, "stream": "S" })");
  CHECK_FALSE(ec2);
  CHECK(ack2.stream == "S");
  CHECK(ack2.sequence == 3);
  CHECK(ack2.duplicate);

  auto [ec3, ack3] = parse_pub_ack(R"({"stream":"S\u0041","seq":4})");
  CHECK_FALSE(ec3);
  CHECK(ack3.stream == "SA");

  auto [ec4, ack4] = parse_pub_ack(
      R"({"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 2"}})");
  CHECK(ec4 == make_jetstream_error(10071));
  CHECK(ack4.sequence == 0);

  auto [ec5, ack5] = parse_pub_ack("not json");
  CHECK(ec5 == errc::bad_response);
}
