// Which consumer filters take the same messages (apps/common/provision).
#include <doctest/doctest.h>

#include "common/provision.hpp"

using apps::subjects_overlap;

TEST_CASE("subjects overlap when some subject matches both") {
  CHECK(subjects_overlap("sensor.commands.a", "sensor.commands.a"));
  CHECK(subjects_overlap("sensor.commands.>", "sensor.commands.a"));
  CHECK(subjects_overlap("sensor.commands.a", "sensor.>"));
  CHECK(subjects_overlap("sensor.*.a", "sensor.commands.*"));
  CHECK(subjects_overlap(">", "a.b.c"));
  CHECK(subjects_overlap("", "sensor.commands.a"));  // no filter: every subject
  CHECK(subjects_overlap("sensor.commands.a", ""));
}

TEST_CASE("subjects do not overlap when no subject matches both") {
  CHECK(!subjects_overlap("sensor.commands.a", "sensor.commands.b"));
  CHECK(!subjects_overlap("sensor.commands", "sensor.commands.>"));  // > needs a token
  CHECK(!subjects_overlap("sensor.commands.a", "sensor.commands.a.b"));
  CHECK(!subjects_overlap("sensor.*", "sensor.commands.a"));
  CHECK(!subjects_overlap("sensor.commands.a-1", "sensor.commands.a"));
}
