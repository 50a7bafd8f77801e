// iot-sensor and iot-sim, run as programs against a real nats-server.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "child_process.hpp"
#include "iot/measurement.hpp"
#include "iot/sensor_config.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "nats_server.hpp"
#include "program_runs.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using test_support::child_process;
using test_support::connect_to;
using test_support::json_u64;
using test_support::nats_server;
using test_support::run_async;
using test_support::run_program;
using test_support::run_sim;
using test_support::sensor_bin;
using test_support::sim_bin;
using test_support::temp_dir;

namespace {

// A sensor process for one test, publishing every `interval`.
struct running_sensor {
  running_sensor(const nats_server& server, const temp_dir& dir, std::string id,
                 std::string interval = "200ms")
      : process({sensor_bin(), "--sensorID", id, "--interval", interval}, dir.path(),
                {{"NATS_URL", server.url()}}) {
    REQUIRE_MESSAGE(process.wait_for("started:", 15s, true), process.err());
  }
  child_process process;
};

// Stream messages on `subject`, read with an ordered consumer.
std::vector<std::string> stored_messages(const nats_server& server, const std::string& stream,
                                         const std::string& subject) {
  asio::io_context ioc;
  std::vector<std::string> out;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    out = co_await test_support::stored_payloads(js, stream, subject);
  }());
  return out;
}

std::uint64_t stream_size(const nats_server& server, const std::string& stream) {
  asio::io_context ioc;
  std::uint64_t messages = 0;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    messages = (co_await js.async_stream_info(stream, use_awaitable)).state.messages;
  }());
  return messages;
}

}  // namespace

TEST_CASE("every argument error: one line naming the program, exit code 2") {
  temp_dir dir;
  const std::string s = sensor_bin(), m = sim_bin(), v = test_support::server_bin();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{s, "--sensorID", "no spaces"}, "is invalid"},
      {{s, "--sensorID", "plant.3"}, "names a fleet member: start the fleet with --sensorID plant"},
      {{s}, "--sensorID is required"},
      {{s, "--sensorID", "a", "--bogus"}, "--bogus"},
      {{s, "--sensorID", "a", "--history", "abc"}, "--history"},
      {{s, "--sensorID", "a", "--history", "0"}, "--history"},
      {{s, "--sensorID", "a", "--buffer", "0"}, "--buffer"},
      {{s, "--sensorID", "a", "--count", "0"}, "--count"},
      {{s, "--sensorID", "a", "--count", "many"}, "--count"},
      {{s, "--sensorID", "a", "--count", "-5"}, "--count"},
      {{s, "--sensorID", std::string(62, 'x'), "--count", "100"}, "--count 100"},
      {{s, "--sensorID", "a", "--interval", "0"}, "--interval"},
      {{s, "--sensorID", "a", "--interval", "25h"}, "--interval"},
      {{s, "--sensorID", "a", "--log-level", "loud"}, "--log-level"},
      {{s, "--sensorID", "a", "--replicas", "2"}, "NATS_REPLICAS"},
      {{s, "--sensorID", "a", "--env-file", "/nonexistent/.env"}, "/nonexistent/.env"},
      {{m}, "subcommand"},
      {{m, "launch"}, "provision or history)"},  // every subcommand named
      {{m, "get_config"}, "--sensorID is required"},
      {{m, "edit_config", "--sensorID", "s1", "--interval", "0"}, "--interval"},
      {{m, "edit_config", "--sensorID", "s1", "--interval", "soon"}, "--interval"},
      {{m, "edit_config", "--sensorID", "s1", "--interval", "1s", "--timeout", "x"}, "--timeout"},
      {{m, "edit_measurement", "--sensorID", "s1", "--id", "-3", "--value", "1"}, "--id"},
      {{m, "edit_measurement", "--sensorID", "s1", "--id", "3", "--value", ""}, "--value"},
      {{m, "subscribe", "--sensorID", "s1", "--from", "last:0"}, "--from"},
      {{m, "subscribe", "--sensorID", "s1", "--count", "0"}, "--count"},
      {{m, "history", "--sensorID", "s1", "--since", "soon"}, "--since"},
      {{m, "history", "--sensorID", "s1", "--from", "yesterday"}, "--from"},
      {{m, "history", "--sensorID", "s1", "--from", "2026-01-02T00:00:00Z", "--to",
        "2026-01-01T00:00:00Z"},
       "before --to"},
      {{m, "history", "--sensorID", "s1", "--since", "1h", "--from", "2026-01-01T00:00:00Z"},
       "--since"},
      {{m, "history", "--sensorID", "s1", "--step", "0"}, "--step"},
      {{m, "history", "--sensorID", "s1", "--json", "--csv"}, "--csv"},
      {{v, "--role", "both"}, "--role"},
      {{v, "--db", "mysql://db"}, "--db"},
      {{v, "--retention", "soon"}, "--retention"},
      {{v, "--batch", "0"}, "--batch"},
      {{v, "--linger", "x"}, "--linger"},
      {{v, "--bogus"}, "--bogus"},
  };
  for (const auto& [args, mentions] : cases) {
    std::string line;
    for (const auto& a : args) line += a + ' ';
    INFO(line);
    auto r = run_program(args, dir.path(), {{"NATS_URL", "nats://127.0.0.1:1"}});
    CHECK(r.code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(mentions) != std::string::npos);
    CHECK((r.err.starts_with("iot-sensor: ") || r.err.starts_with("iot-sim: ") ||
           r.err.starts_with("iot-server: ")));
  }
  auto help = run_program({m, "edit_config", "--help"}, dir.path());
  CHECK(help.code == 0);
  CHECK(help.out.find("--interval") != std::string::npos);
}

TEST_CASE("an unreachable server: one clear line and exit code 1 within the connect timeout") {
  temp_dir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {sim_bin(), "get_config", "--sensorID", "s1", "--nats-url", "nats://127.0.0.1:1"},
           {sensor_bin(), "--sensorID", "s1", "--nats-url", "nats://127.0.0.1:1"}}) {
    INFO(args.front());
    const auto began = std::chrono::steady_clock::now();
    auto r = run_program(args, dir.path());
    CHECK(std::chrono::steady_clock::now() - began < 5s);  // connect timeout 2 s, plus start-up
    CHECK(r.code == 1);
    CHECK(r.err.find("cannot connect to nats://127.0.0.1:1") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("a running sensor: get_config, list, subscribe, edit_config, edit_measurement") {
  nats_server server;
  temp_dir dir;
  running_sensor sensor(server, dir, "probe-1");

  auto config = run_sim(server, dir, {"get_config", "--sensorID", "probe-1"});
  CHECK(config.code == 0);
  CHECK(config.out.find("interval 200ms") != std::string::npos);
  auto json = run_sim(server, dir, {"get_config", "--sensorID", "probe-1", "--json"});
  CHECK(json_u64(json.out, "interval_ms") == 200);

  auto listed = run_sim(server, dir, {"list"});
  CHECK(listed.code == 0);
  CHECK(listed.out.find("probe-1") != std::string::npos);

  auto unknown = run_sim(server, dir, {"get_config", "--sensorID", "nobody"});
  CHECK(unknown.code == 3);
  CHECK(unknown.err.find("unknown sensor nobody") != std::string::npos);

  auto three =
      run_sim(server, dir,
              {"subscribe", "--sensorID", "probe-1", "--from", "all", "--count", "3", "--json"});
  REQUIRE(three.code == 0);
  std::vector<std::string> lines;
  std::istringstream in(three.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(json_u64(lines[i], "seq") == i + 1);

  auto applied = run_sim(server, dir, {"edit_config", "--sensorID", "probe-1", "--interval", "1s"});
  CHECK(applied.code == 0);
  CHECK(applied.out.find("applied by probe-1") != std::string::npos);
  CHECK(applied.out.find("interval now 1s") != std::string::npos);
  auto after = run_sim(server, dir, {"get_config", "--sensorID", "probe-1", "--json"});
  CHECK(json_u64(after.out, "interval_ms") == 1000);

  const auto lecture = json_u64(lines[1], "lecture_id");
  auto corrected = run_sim(server, dir,
                           {"edit_measurement", "--sensorID", "probe-1", "--id",
                            std::to_string(lecture), "--value", "99.5"});
  CHECK_MESSAGE(corrected.code == 0, corrected.out << corrected.err);
  auto rejected = run_sim(
      server, dir, {"edit_measurement", "--sensorID", "probe-1", "--id", "12345", "--value", "1"});
  CHECK(rejected.code == 4);
  CHECK(rejected.out.find("unknown or no longer in the history") != std::string::npos);

  auto stored = stored_messages(server, "MEASUREMENTS_STREAM", "sensor.measurements.probe-1");
  int corrections = 0;
  for (const auto& m : stored) {
    auto o = boost::json::parse(m).as_object();
    if (o.contains("revision")) {
      ++corrections;
      CHECK(o.at("lecture_id").to_number<std::uint64_t>() == lecture);
      CHECK(o.at("lecture").as_string() == "99.5");
      CHECK(o.at("revision").to_number<int>() == 2);
    }
  }
  CHECK(corrections == 1);
}

TEST_CASE("subscribe: Ctrl+C exits 0 and leaves no consumer behind") {
  nats_server server;
  temp_dir dir;
  running_sensor sensor(server, dir, "watched", "100ms");
  child_process viewer({sim_bin(), "subscribe", "--sensorID", "watched"}, dir.path(),
                       {{"NATS_URL", server.url()}});
  REQUIRE(viewer.wait_for("watched seq=", 10s));
  viewer.signal(SIGINT);
  CHECK(viewer.wait(10s) == 0);
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto info = co_await js.async_stream_info("MEASUREMENTS_STREAM", use_awaitable);
    CHECK(info.state.consumer_count == 0);
  }());
}

TEST_CASE("an interval change takes effect within one new interval") {
  nats_server server;
  temp_dir dir;
  running_sensor sensor(server, dir, "pace", "10s");
  // The first measurement is taken at start; the next would be 10 s later.
  auto changed = run_sim(server, dir, {"edit_config", "--sensorID", "pace", "--interval", "300ms"});
  REQUIRE(changed.code == 0);
  const auto start = std::chrono::steady_clock::now();
  auto next = run_sim(server, dir, {"subscribe", "--sensorID", "pace", "--count", "3"});
  CHECK(next.code == 0);
  // Three measurements at the new pace take about 0.9 s, far from 10 s.
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a command sent while the sensor is offline is applied when it starts") {
  nats_server server;
  temp_dir dir;
  {
    running_sensor first(server, dir, "sleepy");
    first.process.signal(SIGTERM);
    CHECK(first.process.wait(15s) == 0);
  }
  auto queued =
      run_sim(server, dir,
              {"edit_config", "--sensorID", "sleepy", "--interval", "750ms", "--timeout", "500ms"});
  CHECK(queued.code == 5);
  CHECK(queued.out.find("not confirmed") != std::string::npos);

  child_process again({sensor_bin(), "--sensorID", "sleepy"}, dir.path(),
                      {{"NATS_URL", server.url()}});
  CHECK(again.wait_for("-> 750ms", 15s, true));  // the queued command, applied at start
  auto config = run_sim(server, dir, {"get_config", "--sensorID", "sleepy", "--json"});
  CHECK(json_u64(config.out, "interval_ms") == 750);
}

TEST_CASE("a command in the original format (no command_uuid) is known by seq-<stream sequence>") {
  nats_server server;
  temp_dir dir;
  running_sensor sensor(server, dir, "classic");
  std::uint64_t seq = 0;
  std::string result;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto results = conn.subscribe("sensor.events.classic");
    auto ack = co_await js.async_publish("sensor.commands.classic",
                                         R"({"command_id":1,"new_interval_milliseconds":300})",
                                         use_awaitable);
    seq = ack.sequence;
    asio::steady_timer deadline(co_await asio::this_coro::executor, 15s);
    auto got =
        co_await (results.async_receive(use_awaitable) || deadline.async_wait(use_awaitable));
    REQUIRE(got.index() == 0);
    result = std::get<0>(got).payload;
  }());
  const auto id = "seq-" + std::to_string(seq);
  CHECK(sensor.process.wait_for("interval 200ms -> 300ms (command " + id + ")", 10s, true));
  auto o = boost::json::parse(result).as_object();
  CHECK(o.at("command_uuid").as_string() == id);
  CHECK(o.at("status").as_string() == "applied");
  auto config = run_sim(server, dir, {"get_config", "--sensorID", "classic", "--json"});
  CHECK(boost::json::parse(config.out).at("last_command_id").as_string() == id);
}

TEST_CASE("a stored config that does not decode is kept, unless --replace-config") {
  nats_server server;
  temp_dir dir;
  REQUIRE(run_sim(server, dir, {"provision"}).code == 0);
  const std::string garbage = "{not a config";
  auto stored_value = [&] {
    asio::io_context ioc;
    std::string value;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::jetstream js(conn);
      nats_asio::kv_bucket kv(js, "SENSOR_CONFIG");
      value = (co_await kv.async_get("keeper.config", use_awaitable)).value;
    }());
    return value;
  };
  {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::jetstream js(conn);
      nats_asio::kv_bucket kv(js, "SENSOR_CONFIG");
      co_await kv.async_put("keeper.config", garbage, use_awaitable);
    }());
  }

  auto refused =
      run_program({sensor_bin(), "--sensorID", "keeper"}, dir.path(), {{"NATS_URL", server.url()}});
  CHECK(refused.code == 1);
  INFO(refused.err);
  CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
  CHECK(refused.err.find("ERROR keeper: config keeper.config in bucket SENSOR_CONFIG does not "
                         "decode: ") != std::string::npos);
  CHECK(refused.err.find("--replace-config") != std::string::npos);
  CHECK(stored_value() == garbage);

  child_process replacing({sensor_bin(), "--sensorID", "keeper", "--replace-config"}, dir.path(),
                          {{"NATS_URL", server.url()}});
  REQUIRE_MESSAGE(replacing.wait_for("started:", 15s, true), replacing.err());
  CHECK(replacing.err().find("replacing it (--replace-config)") != std::string::npos);
  auto config = run_sim(server, dir, {"get_config", "--sensorID", "keeper", "--json"});
  CHECK(config.code == 0);
  CHECK(boost::json::parse(stored_value()).at("sensor_id").as_string() == "keeper");
}

TEST_CASE("malformed and unknown commands are dead-lettered while the sensor keeps publishing") {
  nats_server server;
  temp_dir dir;
  running_sensor sensor(server, dir, "robust", "100ms");
  const std::vector<std::string> bad = {
      "not json",
      R"({"command_id":9,"metric_id":0,"new_measurement_value":"","new_interval_milliseconds":5})",
      R"({"command_id":1,"new_interval_milliseconds":"fast"})",
      R"({"command_id":1,"new_interval_milliseconds":0})",
      "",                                                               // empty
      std::string("{\"command_id\":1,\"command_uuid\":\"\xff\xfe\"}"),  // not UTF-8
      std::string(100000, '[') + std::string(100000, ']'),              // nested 100 000 deep
      R"({"command_id":2,"metric_id":1e300,"new_measurement_value":"1"})",
      R"({"command_id":2,"metric_id":-1,"new_measurement_value":"1"})",
      R"({"command_id":1,"new_interval_milliseconds":99999999999999999999999})",
      R"({"command_id":2,"metric_id":1,"new_measurement_value":")" + std::string(900000, 'x') +
          R"("})",  // a huge string, just under the server's 1 MiB limit
  };
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    for (const auto& payload : bad)
      co_await js.async_publish("sensor.commands.robust", payload, use_awaitable);
  }());
  CHECK(sensor.process.wait_for("rejected command", 10s, true));
  std::vector<std::string> letters;
  for (int i = 0; i < 100 && letters.size() < bad.size(); ++i) {
    letters = stored_messages(server, "DEADLETTER", "sensor.deadletter.robust");
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(letters.size() == bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("bad command " << i);
    auto o = boost::json::parse(letters[i]).as_object();  // always valid JSON
    CHECK(o.at("payload_bytes").to_number<std::size_t>() == bad[i].size());
    if (o.contains("payload_base64")) {
      CHECK(i == 5);  // the one that is not UTF-8
    } else if (o.contains("truncated")) {
      CHECK(bad[i].starts_with(std::string(o.at("payload").as_string())));
    } else {
      CHECK(o.at("payload").as_string() == bad[i]);
    }
    CHECK(!o.at("reason").as_string().empty());
  }
  // Still alive and publishing after the bad commands.
  const auto before =
      stored_messages(server, "MEASUREMENTS_STREAM", "sensor.measurements.robust").size();
  std::this_thread::sleep_for(500ms);
  const auto later =
      stored_messages(server, "MEASUREMENTS_STREAM", "sensor.measurements.robust").size();
  CHECK(later > before);
  // Nothing is left in the work queue: every command was terminated. (A
  // second consumer on a work queue is refused, so the stream's size tells.)
  CHECK(stream_size(server, "SENSOR_STREAM") == 0);
}

TEST_CASE("SIGTERM: clean exit, summary, and every acknowledged measurement is in the stream") {
  nats_server server;
  temp_dir dir;
  child_process sensor({sensor_bin(), "--sensorID", "graceful", "--interval", "20ms", "--history",
                        "5", "--dump", "dump.jsonl"},
                       dir.path(), {{"NATS_URL", server.url()}});
  REQUIRE(sensor.wait_for("started:", 15s, true));
  std::this_thread::sleep_for(1s);
  sensor.signal(SIGTERM);
  REQUIRE(sensor.wait(15s) == 0);
  std::smatch m;
  const auto out = sensor.out();
  REQUIRE(std::regex_search(out, m, std::regex(R"(summary: published (\d+), acknowledged (\d+))")));
  const auto published = std::stoull(m[1]);
  const auto acknowledged = std::stoull(m[2]);
  CHECK(published == acknowledged);
  CHECK(acknowledged > 10);
  auto stored = stored_messages(server, "MEASUREMENTS_STREAM", "sensor.measurements.graceful");
  CHECK(stored.size() == acknowledged);
  for (std::size_t i = 0; i < stored.size(); ++i) CHECK(json_u64(stored[i], "seq") == i + 1);
  // --dump wrote the kept history: the last 5 measurements.
  std::ifstream dump(dir.path() / "dump.jsonl");
  std::vector<std::string> dumped;
  for (std::string line; std::getline(dump, line);) dumped.push_back(line);
  REQUIRE(dumped.size() == 5);
  CHECK(json_u64(dumped.back(), "seq") == acknowledged);
}

namespace {

// The streams and the bucket, as `iot-sim provision` makes them.
void provision(const nats_server& server, const temp_dir& dir) {
  auto r = run_sim(server, dir, {"provision"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
}

void put_key(const nats_server& server, const std::string& key, const std::string& value) {
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    nats_asio::kv_bucket kv(js, "SENSOR_CONFIG");
    co_await kv.async_put(key, value, use_awaitable);
  }());
}

std::string valid_config(const std::string& id) {
  iot::sensor_config c;
  c.sensor_id = id;
  c.interval = 2s;
  c.updated_at = iot::clock::now();
  return iot::encode(c);
}

void publish_measurements(const nats_server& server, const std::string& id,
                          const std::vector<std::string>& payloads) {
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    for (const auto& p : payloads)
      co_await js.async_publish("sensor.measurements." + id, p, use_awaitable);
  }());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "list shows a sensor whose config does not decode as invalid, with the reason, in id order") {
  nats_server server;
  temp_dir dir;
  provision(server, dir);
  put_key(server, "good.config", valid_config("good"));
  put_key(server, "broken.config", R"({"schema":1,"sensor_id":"broken"})");
  put_key(server, "garbled.config", "not json");
  put_key(server, "f.10.config", valid_config("f.10"));
  put_key(server, "f.2.config", valid_config("f.2"));
  auto listed = run_sim(server, dir, {"list"});
  CHECK(listed.code == 0);
  const auto lines = lines_of(listed.out);
  REQUIRE_MESSAGE(lines.size() == 5, listed.out);
  CHECK(lines[0].starts_with("broken "));
  CHECK(lines[0].find("invalid config: broken.config: ") != std::string::npos);
  CHECK(lines[0].find("interval_ms") != std::string::npos);  // what is wrong
  // A fleet's members by number: f.2 before f.10.
  CHECK(lines[1].starts_with("f.2 "));
  CHECK(lines[2].starts_with("f.10 "));
  CHECK(lines[3].starts_with("garbled "));
  CHECK(lines[3].find("invalid config: garbled.config: ") != std::string::npos);
  CHECK(lines[4].starts_with("good "));
  CHECK(lines[4].find("interval 2s") != std::string::npos);
}

TEST_CASE("subscribe shows what is not a schema 1 measurement as such, never with made-up values") {
  nats_server server;
  temp_dir dir;
  provision(server, dir);
  iot::measurement complete;
  complete.lecture_id = 2;
  complete.sensor_id = "legacy";
  complete.lecture = "22.0";
  complete.seq = 1;
  complete.timestamp = iot::clock::now();
  complete.value = 22;
  complete.unit = "C";
  const std::string original = R"({"lecture_id":1,"sensor_id":"legacy","lecture":"21.5"})";
  const std::string binary("\xff\xfe\x01", 3);
  publish_measurements(server, "legacy", {original, iot::encode(complete), binary});

  auto human =
      run_sim(server, dir, {"subscribe", "--sensorID", "legacy", "--from", "all", "--count", "3"});
  REQUIRE(human.code == 0);
  auto lines = lines_of(human.out);
  REQUIRE_MESSAGE(lines.size() == 3, human.out);
  CHECK(lines[0].find("not a schema 1 measurement") != std::string::npos);
  CHECK(lines[0].find("missing") != std::string::npos);
  CHECK(lines[0].find("seq=") == std::string::npos);
  CHECK(lines[0].find("1970") == std::string::npos);
  CHECK(lines[1].starts_with("legacy seq=1 lecture_id=2 22.0 C "));
  CHECK(lines[2].find("not a schema 1 measurement") != std::string::npos);
  CHECK(human.err.find("no measurement") == std::string::npos);  // some are stored

  auto json =
      run_sim(server, dir,
              {"subscribe", "--sensorID", "legacy", "--from", "all", "--count", "3", "--json"});
  REQUIRE(json.code == 0);
  lines = lines_of(json.out);
  REQUIRE_MESSAGE(lines.size() == 3, json.out);
  auto first = boost::json::parse(lines[0]).as_object();
  CHECK(first.at("not_schema_1").as_string().find("missing") != std::string::npos);
  CHECK(first.at("subject").as_string() == "sensor.measurements.legacy");
  CHECK(first.at("stream_sequence").to_number<int>() == 1);
  CHECK(first.at("payload") == boost::json::parse(original));
  CHECK(json_u64(lines[1], "seq") == 1);
  auto third = boost::json::parse(lines[2]).as_object();
  CHECK(third.contains("not_schema_1"));
  CHECK(third.at("payload_base64").as_string() == "//4B");
}

TEST_CASE("subscribe to a sensor with nothing stored says so once on stderr, then waits") {
  nats_server server;
  temp_dir dir;
  provision(server, dir);
  child_process viewer({sim_bin(), "subscribe", "--sensorID", "quiet", "--count", "1"}, dir.path(),
                       {{"NATS_URL", server.url()}});
  REQUIRE_MESSAGE(
      viewer.wait_for("no measurement of sensor quiet is stored in MEASUREMENTS_STREAM yet; "
                      "waiting for its first",
                      15s, true),
      viewer.err());
  iot::measurement m;
  m.lecture_id = 1;
  m.sensor_id = "quiet";
  m.lecture = "1";
  m.seq = 1;
  m.timestamp = iot::clock::now();
  m.unit = "C";
  publish_measurements(server, "quiet", {iot::encode(m)});
  CHECK(viewer.wait(15s) == 0);
  CHECK(viewer.out().starts_with("quiet seq=1 "));
  CHECK(occurrences(viewer.err(), "no measurement") == 1);
}

TEST_CASE("a command taken by the sensor without a result: a message of its own and exit code 6") {
  nats_server server;
  temp_dir dir;
  provision(server, dir);
  put_key(server, "mute.config", valid_config("mute"));
  std::optional<child_process> edit;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    // A sensor that takes its commands and never reports on them.
    nats_asio::consumer_config cc;
    cc.durable_name = "cmd-mute";
    cc.filter_subject = "sensor.commands.mute";
    auto taker = co_await js.async_subscribe("SENSOR_STREAM", cc, 16, use_awaitable);
    edit.emplace(std::vector<std::string>{sim_bin(), "edit_config", "--sensorID", "mute",
                                          "--interval", "3s", "--timeout", "1s"},
                 dir.path(), test_support::env_list{{"NATS_URL", server.url()}});
    auto command = co_await taker.async_receive(use_awaitable);
    co_await command.async_ack(use_awaitable);
  }());
  CHECK(edit->wait(30s) == 6);
  CHECK(edit->out().find("no result: sensor mute took command ") != std::string::npos);
  CHECK(edit->out().find("queued") == std::string::npos);
}

TEST_CASE("provision names the consumer whose filter already takes the sensor's commands") {
  nats_server server;
  temp_dir dir;
  provision(server, dir);
  {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::jetstream js(conn);
      nats_asio::consumer_config cc;
      cc.durable_name = "everything";
      cc.filter_subject = "sensor.commands.>";
      co_await js.async_ensure_consumer("SENSOR_STREAM", cc, use_awaitable);
    }());
  }
  auto r = run_sim(server, dir, {"provision", "--sensorID", "s1"});
  CHECK(r.code == 1);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find("consumer cmd-s1 on SENSOR_STREAM") != std::string::npos);
  CHECK(occurrences(r.err, "not unique") == 1);  // the server's reason, once
  CHECK(r.err.find("consumer everything (filter sensor.commands.>)") != std::string::npos);
}
