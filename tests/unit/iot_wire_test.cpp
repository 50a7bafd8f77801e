#include <doctest/doctest.h>

#include "iot/wire.hpp"

TEST_CASE("default names are those of the original system") {
  const iot::wire_names n;
  CHECK(n.measurements_stream == "MEASUREMENTS_STREAM");
  CHECK(n.commands_stream == "SENSOR_STREAM");
  CHECK(n.config_bucket == "SENSOR_CONFIG");
  CHECK(n.deadletter_stream == "DEADLETTER");
  CHECK(n.measurements_of("sensor-1") == "sensor.measurements.sensor-1");
  CHECK(n.commands_of("sensor-1") == "sensor.commands.sensor-1");
  CHECK(n.deadletter_of("sensor-1") == "sensor.deadletter.sensor-1");
  CHECK(n.events_of("sensor-1") == "sensor.events.sensor-1");
}

TEST_CASE("renamed subjects are used as prefixes") {
  iot::wire_names n;
  n.measurements_subject = "plant.m";
  n.commands_subject = "plant.c";
  n.deadletter_subject = "plant.dl";
  n.events_subject = "plant.ev";
  CHECK(n.measurements_of("s_2") == "plant.m.s_2");
  CHECK(n.commands_of("s_2") == "plant.c.s_2");
  CHECK(n.deadletter_of("s_2") == "plant.dl.s_2");
  CHECK(n.events_of("s_2") == "plant.ev.s_2");
}

TEST_CASE("config key and command consumer name") {
  CHECK(iot::wire_names::config_key("sensor-1") == "sensor-1.config");
  CHECK(iot::wire_names::command_consumer("sensor-1") == "cmd-sensor-1");
}

TEST_CASE("a sensor's inbox prefix and command deliver subject are its own") {
  CHECK(iot::wire_names::inbox_prefix("sensor-1") == "_INBOX.sensor-1");
  CHECK(iot::wire_names::command_deliver_subject("sensor-1") == "_INBOX.sensor-1.commands");
}

TEST_CASE("a fleet's members share their fleet's consumer, inbox prefix and deliver subject") {
  const iot::wire_names n;
  CHECK(n.commands_of("plant.7") == "sensor.commands.plant.7");
  CHECK(iot::wire_names::command_consumer("plant.7") == "fleet-plant");
  CHECK(n.command_filter("plant.7") == "sensor.commands.plant.*");
  CHECK(n.command_filter("plant") == "sensor.commands.plant");
  CHECK(iot::wire_names::inbox_prefix("plant.7") == "_INBOX.plant");
  CHECK(iot::wire_names::command_deliver_subject("plant.7") == "_INBOX.plant.commands");
  CHECK(iot::wire_names::config_key("plant.7") == "plant.7.config");
}
