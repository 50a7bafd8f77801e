#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "iot/sensor_id.hpp"

using iot::is_valid_sensor_id;
using iot::sensor_id_error;

TEST_CASE("sensor ids of 1-64 characters of A-Z a-z 0-9 _ - are valid") {
  CHECK(sensor_id_error("sensor-1") == "");
  CHECK(is_valid_sensor_id("a"));
  CHECK(is_valid_sensor_id("Z_9-x"));
  CHECK(is_valid_sensor_id("ABCXYZabcxyz0189_-"));
  CHECK(is_valid_sensor_id(std::string(64, 'x')));
}

TEST_CASE("a fleet member's id is <fleet>.<member>, and names its fleet") {
  CHECK(is_valid_sensor_id("plant.7"));
  CHECK(is_valid_sensor_id("a_1.b-2"));
  CHECK(is_valid_sensor_id(std::string(31, 'x') + "." + std::string(32, 'y')));  // 64 in all
  CHECK(iot::fleet_of("plant.7") == "plant");
  CHECK(iot::fleet_of("plant") == "");
}

TEST_CASE("sensor ids sort as people read them: a fleet's members by number") {
  std::vector<std::string> ids{"plant.10", "sensor-1", "plant.2", "plant",    "plant.1",
                               "plant.x",  "plant.02", "b.3",     "plant.100"};
  std::sort(ids.begin(), ids.end(), iot::sensor_id_less);
  // "plant.02" and "plant.x" are not numbered members: they sort as text.
  CHECK(ids == std::vector<std::string>{"b.3", "plant", "plant.1", "plant.2", "plant.10",
                                        "plant.100", "plant.02", "plant.x", "sensor-1"});
  CHECK_FALSE(iot::sensor_id_less("plant.7", "plant.7"));
  CHECK(iot::sensor_id_less("plant.9", "plant.10"));
  CHECK_FALSE(iot::sensor_id_less("plant.10", "plant.9"));
}

TEST_CASE("invalid sensor ids are rejected with a reason naming the id and the rule") {
  CHECK(
      sensor_id_error("a b") ==
      R"(sensor id "a b" is invalid: use 1-64 characters of A-Z a-z 0-9 _ -, or <fleet>.<member> for a fleet's)");
  CHECK(
      sensor_id_error("") ==
      R"(sensor id "" is invalid: use 1-64 characters of A-Z a-z 0-9 _ -, or <fleet>.<member> for a fleet's)");
  CHECK(!is_valid_sensor_id(std::string(65, 'x')));
  CHECK(!is_valid_sensor_id("a.b.c"));  // a fleet member has two tokens, no more
  CHECK(!is_valid_sensor_id("a."));
  CHECK(!is_valid_sensor_id(".b"));
  CHECK(!is_valid_sensor_id("a..b"));
  CHECK(!is_valid_sensor_id(std::string(32, 'x') + "." + std::string(32, 'y')));  // 65 in all
  CHECK(!is_valid_sensor_id("a*"));
  CHECK(!is_valid_sensor_id("a>"));
  CHECK(!is_valid_sensor_id("a/b"));
  CHECK(!is_valid_sensor_id("caf\xc3\xa9"));  // non-ASCII letter
  CHECK(!is_valid_sensor_id(std::string("a\0b", 3)));
}

TEST_CASE("the reason stays one line whatever the id holds") {
  const auto e = sensor_id_error("bad\nid\xff\"");
  CHECK(e.find('\n') == std::string::npos);
  CHECK(e.find(R"("bad\x0aid\xff\"")") != std::string::npos);
  const auto long_id = sensor_id_error(std::string(1000, 'y'));
  CHECK(long_id.size() < 200);  // a long id is cut in the message
  CHECK(long_id.find("...") != std::string::npos);
}
