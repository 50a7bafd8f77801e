// http::router: patterns, parameters, 404 against 405 with Allow, and which
// route wins when several match.
#include <doctest/doctest.h>

#include <stdexcept>

#include "http/path.hpp"
#include "http/router.hpp"

using http::verb;

namespace {
std::vector<std::string> segments(const char* target) {
  return http::parse_target(target)->segments;
}
}  // namespace

TEST_CASE("router: finds the route, its parameters, and tells 404 from 405") {
  http::router<int> r;
  r.add(verb::get, "/api/v1/sensors", 1);
  r.add(verb::get, "/api/v1/sensors/{id}", 2);
  r.add(verb::get, "/api/v1/sensors/{id}/config", 3);
  r.add(verb::put, "/api/v1/sensors/{id}/config", 4);
  r.add(verb::put, "/api/v1/sensors/{id}/measurements/{lecture_id}", 5);

  auto list = r.find(verb::get, segments("/api/v1/sensors?status=online"));
  REQUIRE(list.handler);
  CHECK(*list.handler == 1);

  auto put = r.find(verb::put, segments("/api/v1/sensors/s%201/config"));
  REQUIRE(put.handler);
  CHECK(*put.handler == 4);
  CHECK(put.params["id"] == "s 1");
  CHECK(put.params["other"].empty());

  auto correction = r.find(verb::put, segments("/api/v1/sensors/s-1/measurements/42"));
  REQUIRE(correction.handler);
  CHECK(*correction.handler == 5);
  CHECK(correction.params["lecture_id"] == "42");

  auto wrong = r.find(verb::delete_, segments("/api/v1/sensors/s-1/config"));
  CHECK_FALSE(wrong.handler);
  CHECK(wrong.path_known);
  CHECK(wrong.allow == "GET, PUT");

  for (const char* unknown :
       {"/api/v1/sensor", "/api/v1/sensors/s-1/config/x", "/api/v1/sensors//config", "/"}) {
    auto none = r.find(verb::get, segments(unknown));
    CHECK_FALSE(none.handler);
    CHECK_FALSE(none.path_known);
    CHECK(none.allow.empty());
  }
}

TEST_CASE("router: a literal segment beats a parameter, whatever the order of adding") {
  http::router<int> r;
  r.add(verb::get, "/commands/{id}", 1);
  r.add(verb::get, "/commands/latest", 2);
  CHECK(*r.find(verb::get, segments("/commands/latest")).handler == 2);
  CHECK(*r.find(verb::get, segments("/commands/c-1")).handler == 1);
}

TEST_CASE("router: malformed patterns and duplicates are refused when added") {
  http::router<int> r;
  r.add(verb::get, "/a/{id}", 1);
  CHECK_THROWS_AS(r.add(verb::get, "/a/{id}", 2), std::invalid_argument);
  r.add(verb::put, "/a/{id}", 3);  // another method: fine
  for (const char* bad : {"", "a/b", "/a/{", "/a/}", "/a/{}", "/a/{i}d", "/a/x{id}", "/a/{i{d}"})
    CHECK_THROWS_AS(r.add(verb::get, bad, 4), std::invalid_argument);
}
