#include "iot/measurement_history.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using iot::measurement_history;

namespace {

iot::measurement reading(std::uint64_t lecture_id, std::uint64_t seq) {
  iot::measurement m;
  m.lecture_id = lecture_id;
  m.sensor_id = "s-1";
  m.lecture = std::to_string(seq) + ".00";
  m.seq = seq;
  m.value = static_cast<double>(seq);
  m.unit = "celsius";
  m.timestamp = iot::clock::time_point(std::chrono::milliseconds(seq));
  return m;
}

std::vector<std::uint64_t> kept_ids(const measurement_history& h) {
  std::vector<std::uint64_t> ids;
  h.for_each([&](const iot::measurement& m) { ids.push_back(m.lecture_id); });
  return ids;
}

}  // namespace

TEST_CASE("history gives back each kept measurement whole, with the sensor's id and unit") {
  measurement_history h(4, "s-1", "celsius");
  const auto m = reading(100, 1);
  h.remember(m);
  auto found = h.find(100);
  REQUIRE(found);
  CHECK(*found == m);
  CHECK_FALSE(h.find(99));
}

TEST_CASE("history evicts the oldest first once full, and keeps order across the wrap") {
  measurement_history h(3, "s-1", "celsius");
  for (std::uint64_t i = 1; i <= 7; ++i) h.remember(reading(100 + i, i));
  CHECK(h.size() == 3);
  CHECK(kept_ids(h) == std::vector<std::uint64_t>{105, 106, 107});
  CHECK_FALSE(h.find(104));
  for (std::uint64_t id : {105, 106, 107}) {
    auto m = h.find(id);
    REQUIRE(m);
    CHECK(m->seq == id - 100);
  }
}

TEST_CASE("a correction replaces the kept revision in place") {
  measurement_history h(3, "s-1", "celsius");
  for (std::uint64_t i = 1; i <= 5; ++i) h.remember(reading(100 + i, i));
  auto corrected = *h.find(104);
  corrected.lecture = "99.5";
  corrected.revision = 2;
  h.remember(corrected);
  CHECK(h.size() == 3);
  CHECK(h.find(104)->lecture == "99.5");
  CHECK(h.find(104)->revision == 2);
  CHECK(kept_ids(h) == std::vector<std::uint64_t>{103, 104, 105});
}

TEST_CASE("a new measurement with a lower lecture_id than the newest kept is not kept") {
  measurement_history h(2, "s-1", "celsius");
  h.remember(reading(200, 1));
  h.remember(reading(300, 2));
  h.remember(reading(250, 3));  // ids rise; this one would break the search order
  CHECK(kept_ids(h) == std::vector<std::uint64_t>{200, 300});
}
