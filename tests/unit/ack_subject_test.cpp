#include <doctest/doctest.h>

#include "nats_asio/js_message.hpp"

using nats_asio::parse_ack_subject;

TEST_CASE("v1 ack subjects give stream, consumer, sequences, delivery count and pending") {
  auto m = parse_ack_subject("$JS.ACK.ORDERS.worker.3.120.45.1700000000123456789.7");
  REQUIRE(m);
  CHECK(m->stream == "ORDERS");
  CHECK(m->consumer == "worker");
  CHECK(m->num_delivered == 3);
  CHECK(m->stream_sequence == 120);
  CHECK(m->consumer_sequence == 45);
  CHECK(m->num_pending == 7);
  CHECK(std::chrono::duration_cast<std::chrono::nanoseconds>(m->timestamp.time_since_epoch())
            .count() == 1700000000123456789);
  CHECK(m->domain.empty());
}

TEST_CASE("v2 ack subjects carry a domain and account hash") {
  auto m = parse_ack_subject("$JS.ACK.hub.ACCHASH.ORDERS.worker.1.2.3.4.5.token");
  REQUIRE(m);
  CHECK(m->domain == "hub");
  CHECK(m->stream == "ORDERS");
  CHECK(m->stream_sequence == 2);
  CHECK(m->num_pending == 5);
  auto no_domain = parse_ack_subject("$JS.ACK._.ACCHASH.S.C.1.2.3.4.5.token");
  REQUIRE(no_domain);
  CHECK(no_domain->domain.empty());
}

TEST_CASE("anything else is not an ack subject") {
  CHECK(!parse_ack_subject(""));
  CHECK(!parse_ack_subject("_INBOX.abc"));
  CHECK(!parse_ack_subject("$JS.ACK.S.C.1.2.3.4"));      // too short
  CHECK(!parse_ack_subject("$JS.ACK.S.C.x.2.3.4.5"));    // not a number
  CHECK(!parse_ack_subject("$JS.ACK.S.C.1.2.3.4.5.6"));  // 10 tokens
  CHECK(!parse_ack_subject("$JS.ACK.S.C.1.-2.3.4.5"));
}
