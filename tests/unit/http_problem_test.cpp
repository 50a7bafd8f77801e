// http::problem: RFC 9457 bodies.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "http/problem.hpp"

TEST_CASE("problem: type, title (the status's phrase unless given), status, detail") {
  auto o = boost::json::parse(http::to_json({404, "no sensor \"s-9\""})).as_object();
  CHECK(o.at("type") == "about:blank");
  CHECK(o.at("title") == "Not Found");
  CHECK(o.at("status") == 404);
  CHECK(o.at("detail") == "no sensor \"s-9\"");

  auto own = boost::json::parse(http::to_json({422, "", "Command rejected", "/problems/rejected"}))
                 .as_object();
  CHECK(own.at("title") == "Command rejected");
  CHECK(own.at("type") == "/problems/rejected");
  CHECK_FALSE(own.contains("detail"));
  CHECK(http::problem_content_type == "application/problem+json");

  http::problem with{422, "no such lecture"};
  with.extensions = {{"command_uuid", "u-1"}, {"status", "not me"}};
  auto extended = boost::json::parse(http::to_json(with)).as_object();
  CHECK(extended.at("command_uuid") == "u-1");
  CHECK(extended.at("status") == 422);  // a standard member is never replaced
}
