#include "nats_asio/detail/service_json.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

using namespace nats_asio;
using namespace nats_asio::detail;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

service_config history_service() {
  service_config c;
  c.name = "history";
  c.version = "1.2.0";
  c.description = "stored measurements";
  c.metadata = {{"region", "eu"}};
  return c;
}

endpoint_report range_endpoint() {
  endpoint_report e;
  e.config.name = "range";
  e.config.subject = "history.range";
  e.config.metadata = {{"format", "json"}};
  e.stats.num_requests = 4;
  e.stats.num_errors = 1;
  e.stats.last_error = "400:bad range";
  e.stats.processing_time = 1000ns;
  return e;
}

}  // namespace

TEST_CASE("PING names the service, its instance and version") {
  auto o = json::parse(ping_response(history_service(), "ID1")).as_object();
  CHECK(o.at("type") == "io.nats.micro.v1.ping_response");
  CHECK(o.at("name") == "history");
  CHECK(o.at("id") == "ID1");
  CHECK(o.at("version") == "1.2.0");
  CHECK(o.at("metadata").as_object().at("region") == "eu");
}

TEST_CASE("INFO lists the endpoints with their subjects, queue groups and metadata") {
  auto o = json::parse(info_response(history_service(), "ID1", {range_endpoint()})).as_object();
  CHECK(o.at("type") == "io.nats.micro.v1.info_response");
  CHECK(o.at("description") == "stored measurements");
  CHECK(o.at("metadata").as_object().at("region") == "eu");
  const auto& endpoints = o.at("endpoints").as_array();
  REQUIRE(endpoints.size() == 1);
  const auto& e = endpoints[0].as_object();
  CHECK(e.at("name") == "range");
  CHECK(e.at("subject") == "history.range");
  CHECK(e.at("queue_group") == "q");
  CHECK(e.at("metadata").as_object().at("format") == "json");
}

TEST_CASE("INFO of a service without endpoints or metadata has empty ones, not null") {
  service_config c;
  c.name = "bare";
  c.version = "0.1.0";
  auto o = json::parse(info_response(c, "ID1", {})).as_object();
  CHECK(o.at("endpoints").as_array().empty());
  CHECK(o.at("metadata").as_object().empty());
}

TEST_CASE("STATS reports counts, the last error and times in nanoseconds") {
  const auto started = std::chrono::system_clock::time_point(1'700'000'000'123'456'789ns);
  auto o = json::parse(stats_response(history_service(), "ID1", started, {range_endpoint()}))
               .as_object();
  CHECK(o.at("type") == "io.nats.micro.v1.stats_response");
  CHECK(o.at("started") == "2023-11-14T22:13:20.123456789Z");
  const auto& e = o.at("endpoints").as_array().at(0).as_object();
  CHECK(e.at("name") == "range");
  CHECK(e.at("subject") == "history.range");
  CHECK(e.at("queue_group") == "q");
  CHECK(e.at("num_requests").to_number<std::int64_t>() == 4);
  CHECK(e.at("num_errors").to_number<std::int64_t>() == 1);
  CHECK(e.at("last_error") == "400:bad range");
  CHECK(e.at("processing_time").to_number<std::int64_t>() == 1000);
  CHECK(e.at("average_processing_time").to_number<std::int64_t>() == 250);
}

TEST_CASE("an endpoint without requests averages zero") {
  endpoint_stats_snapshot s;
  CHECK(s.average_processing_time() == 0ns);
}

TEST_CASE("RFC 3339 times are UTC with nanoseconds") {
  CHECK(rfc3339(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000000000Z");
  CHECK(rfc3339(std::chrono::system_clock::time_point(-1ns)) == "1969-12-31T23:59:59.999999999Z");
}
