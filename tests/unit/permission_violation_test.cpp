#include "nats_asio/detail/permission_violation.hpp"

#include <doctest/doctest.h>

using nats_asio::detail::parse_permission_violation;
using nats_asio::detail::permission_violation;

TEST_CASE("the three permission errors of the server name their subject") {
  auto pub = parse_permission_violation(R"(Permissions Violation for Publish to "sensor.x.1")");
  REQUIRE(pub);
  CHECK(pub->what == permission_violation::kind::publish);
  CHECK(pub->subject == "sensor.x.1");
  CHECK(!pub->truncated);
  CHECK(pub->names("sensor.x.1"));
  CHECK(!pub->names("sensor.x.10"));

  auto reply =
      parse_permission_violation(R"(Permissions Violation for Publish with Reply of "_R_.abc")");
  REQUIRE(reply);
  CHECK(reply->what == permission_violation::kind::reply);
  CHECK(reply->subject == "_R_.abc");

  auto sub = parse_permission_violation(
      R"(Permissions Violation for Subscription to "_INBOX.s2.>" using queue "q")");
  REQUIRE(sub);
  CHECK(sub->what == permission_violation::kind::subscribe);
  CHECK(sub->subject == "_INBOX.s2.>");
}

TEST_CASE("quotes nats.c left in place and a subject cut short by its 255-character limit") {
  auto quoted = parse_permission_violation(R"('Permissions Violation for Publish to "a.b"')");
  REQUIRE(quoted);
  CHECK(quoted->subject == "a.b");

  auto cut = parse_permission_violation(R"(Permissions Violation for Publish to "$JS.API.CONS)");
  REQUIRE(cut);
  CHECK(cut->truncated);
  CHECK(cut->names("$JS.API.CONSUMER.INFO.S.c"));
  CHECK(!cut->names("$JS.API.STREAM.INFO.S"));
}

TEST_CASE("other errors are not permission violations") {
  CHECK(!parse_permission_violation("Authorization Violation"));
  CHECK(!parse_permission_violation("Stale Connection"));
  CHECK(!parse_permission_violation(R"(Permissions Violation for Publish to "")"));
  CHECK(!parse_permission_violation(""));
}
