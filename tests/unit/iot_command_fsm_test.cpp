// The sensor's handling of one command, step by step, without a server: each
// test plays the I/O (succeeding or failing as the case needs) and checks the
// actions asked for and the state left behind.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "iot/command_fsm.hpp"

using iot::command_action;
using iot::command_action_kind;
using iot::command_fsm;
using iot::command_outcome;
using iot::log_severity;
using kind = iot::command_action_kind;
using namespace std::chrono_literals;

namespace {

const std::string sensor = "s-1";
const std::string stream = "SENSOR_STREAM";

iot::sensor_state fresh_state() {
  iot::sensor_state state{iot::sensor_config{}, iot::measurement_history(8, sensor, "celsius")};
  state.config.sensor_id = sensor;
  state.config.interval = 10s;
  state.config.last_command_id = "earlier";
  return state;
}

iot::received_command from_consumer(std::string payload, std::uint64_t seq = 7) {
  iot::received_command msg;
  msg.subject = "_INBOX.s-1.commands";
  msg.stream = stream;
  msg.consumer = "cmd-s-1";
  msg.stream_sequence = seq;
  msg.payload = std::move(payload);
  msg.received_at = iot::clock::time_point(1700000000000ms);
  return msg;
}

std::string interval_command(int ms, const std::string& uuid = "u-1") {
  std::string json = R"({"command_id":1,"new_interval_milliseconds":)" + std::to_string(ms);
  if (!uuid.empty()) json += R"(,"command_uuid":")" + uuid + '"';
  return json + "}";
}

std::string correction_command(std::uint64_t lecture, const std::string& value,
                               const std::string& uuid = "u-2") {
  return R"({"command_id":2,"metric_id":)" + std::to_string(lecture) +
         R"(,"new_measurement_value":")" + value + R"(","command_uuid":")" + uuid + R"("})";
}

// Runs the machine to the end. `fails` names the actions whose I/O fails.
struct run {
  run(iot::sensor_state& state, iot::received_command msg, std::vector<kind> fails = {})
      : fsm(sensor, stream, std::move(msg)) {
    bool succeeded = true;
    for (int guard = 0; guard < 32; ++guard) {
      auto a = fsm.resume(state, succeeded);
      if (a.kind == kind::done) return;
      succeeded = std::find(fails.begin(), fails.end(), a.kind) == fails.end();
      actions.push_back(std::move(a));
    }
    FAIL("the machine did not finish");
  }

  std::vector<kind> kinds() const {
    std::vector<kind> out;
    for (const auto& a : actions) out.push_back(a.kind);
    return out;
  }
  const command_action& first(kind k) const {
    for (const auto& a : actions)
      if (a.kind == k) return a;
    FAIL("no such action");
    return actions.front();
  }
  std::string logged() const {
    std::string out;
    for (const auto& a : actions)
      if (a.kind == kind::log) out += a.text + '\n';
    return out;
  }

  command_fsm fsm;
  std::vector<command_action> actions;
};

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("update_config: store, re-arm, log, announce with the new config, ack") {
  auto state = fresh_state();
  run r(state, from_consumer(interval_command(250)));
  CHECK(r.kinds() == std::vector{kind::store_config, kind::interval_changed, kind::log,
                                 kind::announce, kind::ack});
  const auto& stored = r.first(kind::store_config).config;
  CHECK(stored.interval == 250ms);
  CHECK(stored.last_command_id == "u-1");
  CHECK(stored.updated_at == iot::clock::time_point(1700000000000ms));
  CHECK(state.config == stored);
  CHECK(r.logged() == "interval 10s -> 250ms (command u-1)\n");
  const auto& result = r.first(kind::announce).result;
  CHECK(result.applied);
  CHECK(result.command_uuid == "u-1");
  CHECK(result.sensor_id == sensor);
  REQUIRE(result.config);
  CHECK(result.config->interval == 250ms);
  CHECK(r.fsm.outcome() == command_outcome::applied);
  CHECK_FALSE(r.fsm.corrected());
}

TEST_CASE("update_config whose config cannot be stored: nak'ed for later, state unchanged") {
  auto state = fresh_state();
  const auto before = state.config;
  run r(state, from_consumer(interval_command(250)), {kind::store_config});
  CHECK(r.kinds() == std::vector{kind::store_config, kind::nak});
  CHECK(r.first(kind::nak).redeliver_after == 1s);
  CHECK(state.config == before);
  CHECK(r.fsm.outcome() == command_outcome::retry_later);
}

TEST_CASE("a command applied before (same id as last_command_id) is acknowledged only") {
  auto state = fresh_state();
  state.config.last_command_id = "u-1";
  const auto before = state.config;
  run r(state, from_consumer(interval_command(250)));
  CHECK(r.kinds() == std::vector{kind::log, kind::ack});
  CHECK(r.logged() == "command u-1 was already applied; acknowledging\n");
  CHECK(state.config == before);
  CHECK(r.fsm.outcome() == command_outcome::already_applied);
}

TEST_CASE("a command without command_uuid is known by seq-<stream sequence>") {
  CHECK(iot::command_id_of(42) == "seq-42");
  auto state = fresh_state();
  run r(state, from_consumer(interval_command(500, ""), 42));
  CHECK(r.fsm.command_id() == "seq-42");
  CHECK(contains(r.logged(), "(command seq-42)"));
  CHECK(r.first(kind::announce).result.command_uuid == "seq-42");
  CHECK(state.config.last_command_id == "seq-42");

  SUBCASE("and its redelivery after a crash is not applied twice") {
    state.config.interval = 10s;  // as if something else had changed it since
    run again(state, from_consumer(interval_command(500, ""), 42));
    CHECK(again.kinds() == std::vector{kind::log, kind::ack});
    CHECK(again.fsm.outcome() == command_outcome::already_applied);
    CHECK(state.config.interval == 10s);
  }
  SUBCASE("while another one, at another sequence, is applied") {
    run other(state, from_consumer(interval_command(700, ""), 43));
    CHECK(other.fsm.outcome() == command_outcome::applied);
    CHECK(state.config.last_command_id == "seq-43");
  }
}

TEST_CASE("edit_measurement: publish the correction as revision + 1, store the id, announce, ack") {
  auto state = fresh_state();
  iot::measurement m;
  m.lecture_id = 500;
  m.sensor_id = sensor;
  m.lecture = "21.30";
  m.value = 21.3;
  m.seq = 3;
  m.unit = "celsius";
  state.history.remember(m);

  run r(state, from_consumer(correction_command(500, "99.5")));
  CHECK(r.kinds() ==
        std::vector{kind::publish_correction, kind::store_config, kind::announce, kind::ack});
  const auto& c = r.first(kind::publish_correction).correction;
  CHECK(c.lecture_id == 500);
  CHECK(c.lecture == "99.5");
  CHECK(c.value == 99.5);
  CHECK(c.revision == 2);
  CHECK(c.seq == 3);
  CHECK(state.history.find(500)->revision == 2);
  CHECK(r.first(kind::store_config).config.last_command_id == "u-2");
  CHECK(r.first(kind::store_config).config.interval == 10s);
  CHECK(state.config.last_command_id == "u-2");
  CHECK(r.first(kind::announce).result.applied);
  CHECK(r.fsm.outcome() == command_outcome::applied);
  CHECK(r.fsm.corrected());

  SUBCASE("a second correction builds on the first: revision 3; text keeps the old value") {
    run again(state, from_consumer(correction_command(500, "n/a", "u-3")));
    const auto& c3 = again.first(kind::publish_correction).correction;
    CHECK(c3.revision == 3);
    CHECK(c3.lecture == "n/a");
    CHECK(c3.value == 99.5);
  }
}

TEST_CASE("edit_measurement whose config cannot be stored still counts as applied") {
  auto state = fresh_state();
  iot::measurement m;
  m.lecture_id = 500;
  state.history.remember(m);
  run r(state, from_consumer(correction_command(500, "1")), {kind::store_config});
  CHECK(r.kinds() ==
        std::vector{kind::publish_correction, kind::store_config, kind::announce, kind::ack});
  CHECK(state.config.last_command_id == "u-2");
  CHECK(r.fsm.outcome() == command_outcome::applied);
}

TEST_CASE("edit_measurement whose correction is given up: left for redelivery, no ack") {
  auto state = fresh_state();
  iot::measurement m;
  m.lecture_id = 500;
  state.history.remember(m);
  run r(state, from_consumer(correction_command(500, "1")), {kind::publish_correction});
  CHECK(r.kinds() == std::vector{kind::publish_correction});
  CHECK(state.config.last_command_id == "earlier");
  CHECK(r.fsm.outcome() == command_outcome::left_for_redelivery);
}

TEST_CASE("edit_measurement of an unknown lecture: rejected and terminated, not dead-lettered") {
  auto state = fresh_state();
  run r(state, from_consumer(correction_command(12345, "1")));
  CHECK(r.kinds() == std::vector{kind::log, kind::announce, kind::term});
  CHECK(r.actions[0].severity == log_severity::warn);
  CHECK(r.logged() ==
        "rejected command u-2: lecture_id 12345 is unknown or no longer in the history\n");
  const auto& result = r.first(kind::announce).result;
  CHECK_FALSE(result.applied);
  CHECK(result.command_uuid == "u-2");
  CHECK(contains(result.error, "unknown or no longer in the history"));
  CHECK_FALSE(result.config);
  CHECK(state.config.last_command_id == "earlier");
  CHECK(r.fsm.outcome() == command_outcome::rejected);
}

TEST_CASE("a payload that does not decode: dead-lettered with the reason, announced, terminated") {
  auto state = fresh_state();
  run r(state, from_consumer("not json", 9));
  CHECK(r.kinds() == std::vector{kind::log, kind::publish_dead_letter, kind::announce, kind::term});
  const auto& dl = r.first(kind::publish_dead_letter);
  CHECK(dl.letter_id == "s-1:dl:9");
  CHECK(dl.letter.sensor_id == sensor);
  CHECK(dl.letter.subject == "_INBOX.s-1.commands");
  CHECK(dl.letter.stream_sequence == 9);
  CHECK(dl.letter.payload == "not json");
  CHECK(!dl.letter.reason.empty());
  CHECK(dl.letter.received_at == iot::clock::time_point(1700000000000ms));
  CHECK(r.logged() == "rejected command seq-9: " + dl.letter.reason + "\n");
  CHECK(r.first(kind::announce).result.command_uuid == "seq-9");
  CHECK(r.first(kind::announce).result.error == dl.letter.reason);
  CHECK(r.fsm.outcome() == command_outcome::rejected);
}

TEST_CASE("a dead letter that cannot be stored: the command is kept for redelivery") {
  auto state = fresh_state();
  run r(state, from_consumer("not json", 9), {kind::publish_dead_letter});
  CHECK(r.kinds() == std::vector{kind::log, kind::publish_dead_letter, kind::log});
  CHECK(r.actions[2].severity == log_severity::error);
  CHECK(contains(r.actions[2].text, "command kept for redelivery"));
  CHECK(r.fsm.outcome() == command_outcome::left_for_redelivery);
}

TEST_CASE("a message read back from a stream is dead-lettered, never applied") {
  auto state = fresh_state();
  auto msg = from_consumer(interval_command(250));  // decodes, but must not be applied
  msg.read_back_from = "KV_SENSOR_CONFIG";
  run r(state, std::move(msg));
  CHECK(r.kinds() == std::vector{kind::log, kind::publish_dead_letter, kind::announce, kind::term});
  CHECK(contains(r.first(kind::publish_dead_letter).letter.reason,
                 "read back from stream KV_SENSOR_CONFIG"));
  CHECK(state.config.interval == 10s);
  CHECK(r.fsm.outcome() == command_outcome::rejected);
}

TEST_CASE("a message that did not come from this sensor's consumer is ignored") {
  for (auto [stream_name, consumer] :
       {std::pair{"OTHER", "cmd-s-1"}, std::pair{"SENSOR_STREAM", "cmd-s-2"}, std::pair{"", ""}}) {
    auto state = fresh_state();
    auto msg = from_consumer(interval_command(250));
    msg.stream = stream_name;
    msg.consumer = consumer;
    run r(state, std::move(msg));
    CHECK(r.kinds() == std::vector{kind::log});
    CHECK(r.actions[0].severity == log_severity::warn);
    CHECK(r.logged() ==
          "ignored a message on _INBOX.s-1.commands that did not come from consumer cmd-s-1\n");
    CHECK(state.config.interval == 10s);
    CHECK(r.fsm.outcome() == command_outcome::ignored);
  }
}

TEST_CASE("a finished machine stays done") {
  auto state = fresh_state();
  run r(state, from_consumer(interval_command(250)));
  CHECK(r.fsm.resume(state).kind == kind::done);
  CHECK(r.fsm.resume(state, false).kind == kind::done);
}
