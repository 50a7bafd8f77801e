#include "nats_asio/detail/js_json.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

using namespace nats_asio;
using namespace std::chrono_literals;

TEST_CASE("stream config survives a JSON round trip") {
  stream_config c;
  c.name = "SENSOR_STREAM";
  c.subjects = {"sensor.commands.>"};
  c.retention = retention_policy::work_queue;
  c.storage = storage_type::memory;
  c.discard = discard_policy::new_messages;
  c.max_age = 24h;
  c.max_bytes = 1 << 20;
  c.max_msgs_per_subject = 5;
  c.duplicate_window = 3min;
  c.replicas = 3;
  c.allow_direct = true;
  c.allow_rollup = true;
  c.deny_delete = true;
  auto json = detail::to_json(c);
  CHECK(json.at("retention").as_string() == "workqueue");
  CHECK(json.at("max_age").as_int64() == std::chrono::nanoseconds(24h).count());
  auto back =
      detail::stream_config_from_json(boost::json::parse(boost::json::serialize(json)).as_object());
  CHECK(back == c);
  CHECK(detail::describe_differences(back, c).empty());
  back.storage = storage_type::file;
  CHECK(detail::describe_differences(back, c) == "storage (have file, want memory)");
}

TEST_CASE("consumer config survives a JSON round trip") {
  consumer_config c;
  c.durable_name = "sensor-1";
  c.filter_subject = "sensor.commands.sensor-1";
  c.deliver_subject = "_INBOX.x";
  c.deliver = deliver_policy::by_start_sequence;
  c.start_sequence = 42;
  c.ack_wait = 10s;
  c.max_deliver = 5;
  c.max_ack_pending = 1;
  c.idle_heartbeat = 5s;
  c.flow_control = true;
  auto back = detail::consumer_config_from_json(detail::to_json(c));
  CHECK(back == c);
}

TEST_CASE("API responses: body, server error with its text, and garbage") {
  auto ok = detail::parse_api_response(R"({"stream":"S","seq":7})");
  CHECK(!ok.error);
  CHECK(ok.body.at("seq").as_int64() == 7);
  auto err = detail::parse_api_response(
      R"({"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"}})");
  CHECK(err.error == make_jetstream_error(js_err::wrong_last_sequence));
  CHECK(err.description == "wrong last sequence: 3");
  CHECK(err.error.message() == "wrong last sequence");
  auto bad = detail::parse_api_response("not json");
  CHECK(bad.error == errc::bad_response);
  // An error object without a number is still an error, never success.
  auto uncoded = detail::parse_api_response(R"({"error":{"description":"it broke"}})");
  CHECK(uncoded.error == errc::bad_response);
  CHECK(uncoded.description == "it broke");
  auto empty = detail::parse_api_response(R"({"error":{}})");
  CHECK(empty.error == errc::bad_response);
}

TEST_CASE("stream info reads config and state") {
  auto info = detail::stream_info_from_json(boost::json::parse(R"({
    "config":{"name":"M","subjects":["a.>"],"retention":"limits","storage":"file","num_replicas":1},
    "state":{"messages":10,"bytes":999,"first_seq":3,"last_seq":12,"consumer_count":2}})")
                                                .as_object());
  CHECK(info.config.name == "M");
  CHECK(info.state.messages == 10);
  CHECK(info.state.first_sequence == 3);
  CHECK(info.state.last_sequence == 12);
  CHECK(info.state.consumer_count == 2);
  CHECK(info.cluster.leader.empty());
}

TEST_CASE("stream info names the leader of a replicated stream") {
  auto info = detail::stream_info_from_json(boost::json::parse(R"({
    "config":{"name":"M","num_replicas":3},"state":{},
    "cluster":{"name":"iot","leader":"n2","replicas":[{"name":"n1"},{"name":"n3"}]}})")
                                                .as_object());
  CHECK(info.cluster.name == "iot");
  CHECK(info.cluster.leader == "n2");
}
