#include "nats_asio/detail/service_naming.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

using namespace nats_asio::detail;

TEST_CASE("service names are letters, digits, dashes and underscores") {
  CHECK(valid_service_name("history"));
  CHECK(valid_service_name("Sensor_history-2"));
  CHECK(!valid_service_name(""));
  CHECK(!valid_service_name("history.range"));
  CHECK(!valid_service_name("my service"));
  CHECK(!valid_service_name("a*"));
  CHECK(!valid_service_name("a>"));
}

TEST_CASE("versions follow semantic versioning") {
  for (const char* v : {"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
                        "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
                        "1.0.0-rc-1", "1.0.0-0a"})
    CHECK_MESSAGE(valid_semver(v), v);
  for (const char* v :
       {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3", "1.2.3-", "1.2.3+",
        "1.2.3-01", "1.2.3-a..b", "1.2.3+a..b", "1.2.3-a_b", "1.2.3 ", "a.b.c", "1..3", "1.2."})
    CHECK_MESSAGE(!valid_semver(v), v);
}

TEST_CASE("endpoint subjects: tokens, wildcards, no white space") {
  CHECK(valid_endpoint_subject("history.range"));
  CHECK(valid_endpoint_subject("history.*.range"));
  CHECK(valid_endpoint_subject("history.>"));
  CHECK(valid_endpoint_subject(">"));
  CHECK(!valid_endpoint_subject(""));
  CHECK(!valid_endpoint_subject("history..range"));
  CHECK(!valid_endpoint_subject(".history"));
  CHECK(!valid_endpoint_subject("history."));
  CHECK(!valid_endpoint_subject("history.>.range"));
  CHECK(!valid_endpoint_subject("history.a>"));
  CHECK(!valid_endpoint_subject("history.a*"));
  CHECK(!valid_endpoint_subject("history range"));
  CHECK(!valid_endpoint_subject("history\trange"));
}

TEST_CASE("queue groups: empty (none) or without white space") {
  CHECK(valid_queue_group(""));
  CHECK(valid_queue_group("q"));
  CHECK(valid_queue_group("workers.eu"));
  CHECK(!valid_queue_group("my workers"));
}

TEST_CASE("instance ids are 22 letters and digits, distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_service_id();
    CHECK(id.size() == 22);
    CHECK(std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(c) != 0; }));
    seen.insert(std::move(id));
  }
  CHECK(seen.size() == 1000);
}
