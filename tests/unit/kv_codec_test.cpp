#include "nats_asio/detail/kv_codec.hpp"

#include <doctest/doctest.h>

#include "nats_asio/kv_bucket.hpp"

using namespace nats_asio;

TEST_CASE("keys and bucket names follow the server's rules") {
  CHECK(is_valid_kv_key("sensor-1.config"));
  CHECK(is_valid_kv_key("a/b=c_d"));
  CHECK(!is_valid_kv_key(""));
  CHECK(!is_valid_kv_key(".lead"));
  CHECK(!is_valid_kv_key("trail."));
  CHECK(!is_valid_kv_key("has space"));
  CHECK(!is_valid_kv_key("wild*"));
  CHECK(is_valid_bucket_name("SENSOR_CONFIG"));
  CHECK(!is_valid_bucket_name("a.b"));
  CHECK(!is_valid_bucket_name(""));
}

TEST_CASE("direct-get replies become entries; 404 is key_not_found; markers are recognised") {
  message reply;
  reply.payload = "v";
  reply.headers = {{"Nats-Stream", "KV_B"},
                   {"Nats-Subject", "$KV.B.k"},
                   {"Nats-Sequence", "17"},
                   {"Nats-Time-Stamp", "2024-03-05 06:07:08.5 +0000 UTC"}};
  kv_entry e;
  REQUIRE(!detail::entry_from_direct_get("B", "k", reply, e));
  CHECK(e.revision == 17);
  CHECK(e.value == "v");
  CHECK(e.operation == kv_operation::put);
  CHECK(std::chrono::system_clock::to_time_t(e.created) == 1709618828);

  reply.headers.emplace_back("KV-Operation", "DEL");
  REQUIRE(!detail::entry_from_direct_get("B", "k", reply, e));
  CHECK(e.operation == kv_operation::erase);

  message missing;
  missing.status = 404;
  CHECK(detail::entry_from_direct_get("B", "k", missing, e) == errc::key_not_found);
  message broken;
  CHECK(detail::entry_from_direct_get("B", "k", broken, e) == errc::bad_response);
}

TEST_CASE("Go time stamps parse to the nanosecond's microsecond") {
  auto tp = detail::parse_nats_timestamp("2023-01-02 03:04:05.123456789 +0000 UTC");
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch()).count();
  CHECK(us == 1672628645123456);
  auto rfc = detail::parse_nats_timestamp("2023-01-02T03:04:05.123456789Z");
  CHECK(rfc == tp);
  CHECK(detail::parse_nats_timestamp("garbage").time_since_epoch().count() == 0);
}

TEST_CASE("watch deliveries become entries with the key stripped of its prefix") {
  message m;
  m.subject = "$KV.B.sensor-1.config";
  m.payload = "{}";
  js_metadata meta;
  meta.stream_sequence = 9;
  meta.num_pending = 2;
  auto e = detail::entry_from_message("B", m, meta);
  CHECK(e.key == "sensor-1.config");
  CHECK(e.revision == 9);
  CHECK(e.delta == 2);
  CHECK(e.operation == kv_operation::put);
}
