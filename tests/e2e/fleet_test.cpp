// iot-sensor --count N: a fleet of sensors in one process, against a real
// nats-server, driven with iot-sim as for single sensors.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "child_process.hpp"
#include "http_tools.hpp"
#include "iot/command.hpp"
#include "iot/sensor_config.hpp"
#include "iot/timestamp.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "nats_server.hpp"
#include "program_runs.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::as_tuple;
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

std::string member(int k) { return "plant." + std::to_string(k); }

// `iot-sensor --sensorID plant --count N ...`, running until the fleet has started.
struct running_fleet {
  running_fleet(const nats_server& server, const temp_dir& dir, int count,
                std::vector<std::string> extra = {"--interval", "200ms"})
      : process(command(count, std::move(extra)), dir.path(), {{"NATS_URL", server.url()}}) {
    REQUIRE_MESSAGE(
        process.wait_for("fleet started: " + std::to_string(count) + " sensors", 60s, true),
        process.err());
  }
  static std::vector<std::string> command(int count, std::vector<std::string> extra) {
    std::vector<std::string> argv{sensor_bin(), "--sensorID",          "plant",
                                  "--count",    std::to_string(count), "--jitter"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  // SIGTERM; requires exit code 0.
  void stop() {
    process.signal(SIGTERM);
    REQUIRE_MESSAGE(process.wait(30s) == 0, process.err());
  }
  child_process process;
};

struct counts {
  std::uint64_t published = 0, acknowledged = 0, unacknowledged = 0, corrected = 0, applied = 0;
};

// "summary <id>: published N, ..." per member, and the "summary: sensors N, ..." total.
std::map<std::string, counts> parse_summaries(const std::string& out, counts& total, int& sensors) {
  const std::string numbers =
      R"(published (\d+), acknowledged (\d+), unacknowledged (\d+), corrected (\d+), commands applied (\d+), rejected \d+)";
  auto read = [](const std::smatch& m, std::size_t first) {
    return counts{std::stoull(m[first]), std::stoull(m[first + 1]), std::stoull(m[first + 2]),
                  std::stoull(m[first + 3]), std::stoull(m[first + 4])};
  };
  std::map<std::string, counts> per_member;
  const std::regex member_line("^summary ([A-Za-z0-9_.-]+): " + numbers);
  const std::regex total_line("^summary: sensors (\\d+), " + numbers);
  std::istringstream in(out);
  sensors = -1;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, member_line))
      per_member[m[1]] = read(m, 2);
    else if (std::regex_search(line, m, total_line)) {
      sensors = std::stoi(m[1]);
      total = read(m, 2);
    }
  }
  return per_member;
}

// Every stored measurement of the fleet, as parsed JSON, by sensor id.
std::map<std::string, std::vector<boost::json::object>> stored_by_sensor(
    const nats_server& server) {
  asio::io_context ioc;
  std::map<std::string, std::vector<boost::json::object>> out;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    for (const auto& payload : co_await test_support::stored_payloads(js, "MEASUREMENTS_STREAM",
                                                                      "sensor.measurements.>")) {
      auto o = boost::json::parse(payload).as_object();
      out[std::string(o.at("sensor_id").as_string())].push_back(std::move(o));
    }
  }());
  return out;
}

// The interval stored in each member's config key (0 if it has none).
std::map<std::string, std::int64_t> stored_intervals(const nats_server& server, int count) {
  asio::io_context ioc;
  std::map<std::string, std::int64_t> out;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::kv_bucket kv(nats_asio::jetstream(conn), "SENSOR_CONFIG");
    for (int k = 1; k <= count; ++k) {
      const std::string key = member(k) + ".config";
      auto [ec, entry] = co_await kv.async_get(key, as_tuple(use_awaitable));
      iot::sensor_config config;
      if (!ec && iot::decode_sensor_config(entry.value, config).empty())
        out[member(k)] = config.interval.count();
      else
        out[member(k)] = 0;
    }
  }());
  return out;
}

}  // namespace

TEST_CASE(
    "a fleet of 120 sensors: each publishes gap-free, keeps its own config, takes only its "
    "own commands") {
  constexpr int count = 120;
  nats_server server;
  temp_dir dir;
  running_fleet fleet(server, dir, count, {"--interval", "200ms", "--history", "100"});

  // One consumer for the whole fleet, filtered on its members' subjects.
  {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::jetstream js(conn);
      auto info = co_await js.async_stream_info("SENSOR_STREAM", use_awaitable);
      CHECK(info.state.consumer_count == 1);
      auto c = co_await js.async_consumer_info("SENSOR_STREAM", "fleet-plant", use_awaitable);
      CHECK(c.config.filter_subject == "sensor.commands.plant.*");
      CHECK(c.config.deliver_subject == "_INBOX.plant.commands");
    }());
  }
  for (const auto& [id, interval] : stored_intervals(server, count)) {
    INFO(id);
    CHECK(interval == 200);
  }

  auto applied =
      run_sim(server, dir, {"edit_config", "--sensorID", "plant.37", "--interval", "1s"});
  CHECK_MESSAGE(applied.code == 0, applied.out << applied.err);
  CHECK(applied.out.find("applied by plant.37") != std::string::npos);

  // plant.37 now measures once a second (checked in the stream below), and
  // still in sequence.
  auto slow =
      run_sim(server, dir, {"subscribe", "--sensorID", "plant.37", "--count", "3", "--json"});
  REQUIRE(slow.code == 0);
  std::vector<std::string> lines;
  std::istringstream in(slow.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 3);
  CHECK(json_u64(lines[1], "seq") == json_u64(lines[0], "seq") + 1);
  CHECK(json_u64(lines[2], "seq") == json_u64(lines[1], "seq") + 1);

  // A fresh measurement of plant.5, well inside its history (100 here).
  auto pick =
      run_sim(server, dir, {"subscribe", "--sensorID", "plant.5", "--count", "1", "--json"});
  REQUIRE(pick.code == 0);
  const auto lecture = json_u64(pick.out, "lecture_id");
  auto corrected = run_sim(server, dir,
                           {"edit_measurement", "--sensorID", "plant.5", "--id",
                            std::to_string(lecture), "--value", "42.5"});
  CHECK_MESSAGE(corrected.code == 0, corrected.out << corrected.err);
  // Another member does not know plant.5's measurement.
  auto foreign = run_sim(server, dir,
                         {"edit_measurement", "--sensorID", "plant.6", "--id",
                          std::to_string(lecture), "--value", "1"});
  CHECK(foreign.code == 4);

  fleet.stop();
  counts total;
  int sensors = 0;
  const auto summaries = parse_summaries(fleet.process.out(), total, sensors);
  CHECK(sensors == count);
  REQUIRE(summaries.size() == static_cast<std::size_t>(count));
  counts sum;
  for (const auto& [id, c] : summaries) {
    sum.published += c.published;
    sum.acknowledged += c.acknowledged;
    sum.applied += c.applied;
  }
  CHECK(sum.published == total.published);
  CHECK(total.acknowledged == total.published);
  CHECK(total.unacknowledged == 0);
  CHECK(sum.applied == 2);
  CHECK(summaries.at("plant.37").applied == 1);
  CHECK(summaries.at("plant.5").applied == 1);
  CHECK(summaries.at("plant.5").corrected == 1);

  const auto intervals = stored_intervals(server, count);
  CHECK(intervals.at("plant.37") == 1000);
  CHECK(intervals.at("plant.36") == 200);
  CHECK(intervals.at("plant.38") == 200);

  // Each member's measurements: seq 1..published, each once, on its own
  // subject; plant.37's last two a second apart; one correction, plant.5's.
  const auto stored = stored_by_sensor(server);
  CHECK(stored.size() == static_cast<std::size_t>(count));
  int corrections = 0;
  for (const auto& [id, c] : summaries) {
    INFO(id);
    REQUIRE(stored.count(id) == 1);
    std::vector<std::uint64_t> seqs;
    for (const auto& o : stored.at(id)) {
      if (o.contains("revision") && o.at("revision").to_number<int>() > 1) {
        ++corrections;
        CHECK(id == "plant.5");
        CHECK(o.at("lecture_id").to_number<std::uint64_t>() == lecture);
        continue;
      }
      seqs.push_back(o.at("seq").to_number<std::uint64_t>());
    }
    CHECK(seqs.size() == c.published - c.corrected);
    std::set<std::uint64_t> unique(seqs.begin(), seqs.end());
    CHECK(unique.size() == seqs.size());
    CHECK(*unique.begin() == 1);
    CHECK(*unique.rbegin() == seqs.size());
  }
  CHECK(corrections == 1);
  const auto& slow_series = stored.at("plant.37");
  REQUIRE(slow_series.size() >= 3);
  const auto last = iot::parse_rfc3339(slow_series.back().at("timestamp").as_string());
  const auto before =
      iot::parse_rfc3339(slow_series[slow_series.size() - 2].at("timestamp").as_string());
  REQUIRE(last);
  REQUIRE(before);
  CHECK(*last - *before >= 900ms);
}

TEST_CASE(
    "a restarted fleet: members keep their stored intervals and get commands sent while "
    "it was down") {
  constexpr int count = 100;
  nats_server server;
  temp_dir dir;
  {
    running_fleet fleet(server, dir, count);
    auto applied =
        run_sim(server, dir, {"edit_config", "--sensorID", "plant.7", "--interval", "1s"});
    REQUIRE_MESSAGE(applied.code == 0, applied.out << applied.err);
    fleet.stop();
  }
  // Stored in plant.8's work queue, not confirmed: nobody runs it now.
  auto queued = run_sim(
      server, dir, {"edit_config", "--sensorID", "plant.8", "--interval", "2s", "--timeout", "1s"});
  CHECK(queued.code == 5);

  // No --interval: each member starts from its stored config.
  running_fleet again(server, dir, count, {"--log-level", "debug"});
  CHECK(again.process.wait_for("plant.7: started: interval 1s", 5s, true));
  CHECK(again.process.wait_for("plant.9: started: interval 200ms", 5s, true));
  CHECK_MESSAGE(again.process.wait_for("plant.8: interval 200ms -> 2s", 15s, true),
                again.process.err());
  again.stop();
  counts total;
  int sensors = 0;
  const auto summaries = parse_summaries(again.process.out(), total, sensors);
  CHECK(sensors == count);
  CHECK(total.applied == 1);
  CHECK(summaries.at("plant.8").applied == 1);
  const auto intervals = stored_intervals(server, count);
  CHECK(intervals.at("plant.7") == 1000);
  CHECK(intervals.at("plant.8") == 2000);
  CHECK(intervals.at("plant.9") == 200);
}

namespace {

// A pull consumer where the fleet's push consumer belongs: it cannot be
// changed into the one the fleet needs, so the fleet cannot take commands.
void occupy_fleet_consumer(const nats_server& server) {
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    nats_asio::consumer_config cc;
    cc.durable_name = "fleet-plant";
    cc.filter_subject = "sensor.commands.plant.*";
    co_await js.async_ensure_consumer("SENSOR_STREAM", cc, use_awaitable);
  }());
}

}  // namespace

TEST_CASE("a fleet whose member cannot start stops, names the member and exits 1") {
  nats_server server;
  temp_dir dir;
  REQUIRE(run_sim(server, dir, {"provision"}).code == 0);
  {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::kv_bucket kv(nats_asio::jetstream(conn), "SENSOR_CONFIG");
      co_await kv.async_put("plant.3.config", "not a config", use_awaitable);
    }());
  }
  child_process fleet(running_fleet::command(5, {"--interval", "200ms"}), dir.path(),
                      {{"NATS_URL", server.url()}});
  CHECK(fleet.wait(30s) == 1);
  const auto err = fleet.err();
  CHECK_MESSAGE(
      err.find("plant.3: config plant.3.config in bucket SENSOR_CONFIG does not decode") !=
          std::string::npos,
      err);
  CHECK(err.find("could not start") != std::string::npos);
  CHECK(fleet.out().find("summary") == std::string::npos);
}

TEST_CASE(
    "a fleet publishes from every member before its command consumer exists; one that cannot "
    "be created still stops it with exit code 1") {
  nats_server server;
  temp_dir dir;
  REQUIRE(run_sim(server, dir, {"provision"}).code == 0);
  occupy_fleet_consumer(server);
  // --no-jitter: each member measures as soon as it is launched.
  child_process fleet(
      {sensor_bin(), "--sensorID", "plant", "--count", "5", "--no-jitter", "--interval", "200ms"},
      dir.path(), {{"NATS_URL", server.url()}});
  CHECK(fleet.wait(30s) == 1);
  const auto err = fleet.err();
  const auto publishing = err.find("fleet publishing: 5 sensors after");
  const auto refused = err.find("plant: cannot consume commands from SENSOR_STREAM");
  REQUIRE_MESSAGE(publishing != std::string::npos, err);
  REQUIRE_MESSAGE(refused != std::string::npos, err);
  CHECK(publishing < refused);
  CHECK(err.find("fleet started") == std::string::npos);
  // Each member measured before the consumer was created, and what it
  // measured was stored before the fleet stopped.
  const auto stored = stored_by_sensor(server);
  for (int k = 1; k <= 5; ++k) {
    INFO(member(k));
    CHECK(stored.contains(member(k)));
  }
}

TEST_CASE(
    "a command sent while the fleet's command consumer does not exist is applied once the fleet "
    "creates it") {
  constexpr int count = 5;
  nats_server server;
  temp_dir dir;
  {
    running_fleet fleet(server, dir, count);
    fleet.stop();
  }
  // The fleet keeps its configs but loses its consumer: the command waits in
  // the work queue with no consumer at all.
  {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::jetstream js(conn);
      co_await js.async_delete_consumer("SENSOR_STREAM", "fleet-plant", use_awaitable);
      auto info = co_await js.async_stream_info("SENSOR_STREAM", use_awaitable);
      CHECK(info.state.consumer_count == 0);
    }());
  }
  auto queued = run_sim(
      server, dir, {"edit_config", "--sensorID", "plant.4", "--interval", "2s", "--timeout", "1s"});
  CHECK(queued.code == 5);

  running_fleet again(server, dir, count, {"--log-level", "debug"});
  CHECK_MESSAGE(again.process.wait_for("plant.4: interval 200ms -> 2s", 15s, true),
                again.process.err());
  again.stop();
  counts total;
  int sensors = 0;
  const auto summaries = parse_summaries(again.process.out(), total, sensors);
  CHECK(total.applied == 1);
  CHECK(summaries.at("plant.4").applied == 1);
  CHECK(stored_intervals(server, count).at("plant.4") == 2000);
}

TEST_CASE(
    "a command for a member the fleet does not have is kept as a dead letter and leaves the "
    "work queue") {
  nats_server server;
  temp_dir dir;
  running_fleet fleet(server, dir, 5);
  // (iot-sim refuses a sensor without a stored config; this comes from elsewhere.)
  {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::jetstream js(conn);
      co_await js.async_publish("sensor.commands.plant.9",
                                R"({"command_id":1,"new_interval_milliseconds":1000})",
                                use_awaitable);
    }());
  }
  CHECK_MESSAGE(fleet.process.wait_for(
                    "rejected the command on sensor.commands.plant.9 (stream sequence", 10s, true),
                fleet.process.err());
  // The member that exists still takes its commands.
  auto applied = run_sim(server, dir, {"edit_config", "--sensorID", "plant.5", "--interval", "1s"});
  CHECK_MESSAGE(applied.code == 0, applied.out << applied.err);
  fleet.stop();

  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    const auto letters =
        co_await test_support::stored_payloads(js, "DEADLETTER", "sensor.deadletter.plant.9");
    REQUIRE(letters.size() == 1);
    const auto letter = boost::json::parse(letters[0]).as_object();
    CHECK(letter.at("sensor_id") == "plant.9");
    CHECK(letter.at("subject") == "sensor.commands.plant.9");
    CHECK(std::string(letter.at("reason").as_string()).find("no member of fleet plant") == 0);
    auto info = co_await js.async_stream_info("SENSOR_STREAM", use_awaitable);
    CHECK(info.state.messages == 0);
  }());
}

TEST_CASE("a member applies its commands in the order sent, through the fleet's one consumer") {
  nats_server server;
  temp_dir dir;
  running_fleet fleet(server, dir, 5, {"--interval", "200ms", "--log-level", "debug"});
  // Sent back to back, without waiting for results: four to plant.2, one to
  // plant.3 between them.
  {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_to(server);
      nats_asio::jetstream js(conn);
      auto send = [&](const std::string& member, int ms, std::string uuid) {
        iot::command c;
        c.new_interval = std::chrono::milliseconds(ms);
        c.command_uuid = std::move(uuid);
        return js.async_publish("sensor.commands." + member, iot::encode(c), use_awaitable);
      };
      co_await send("plant.2", 300, "order-1");
      co_await send("plant.2", 400, "order-2");
      co_await send("plant.3", 700, "other-1");
      co_await send("plant.2", 500, "order-3");
      co_await send("plant.2", 600, "order-4");
    }());
  }
  REQUIRE_MESSAGE(
      fleet.process.wait_for("plant.2: interval 500ms -> 600ms (command order-4)", 15s, true),
      fleet.process.err());
  REQUIRE_MESSAGE(fleet.process.wait_for("plant.3: interval 200ms -> 700ms", 15s, true),
                  fleet.process.err());
  const auto log = fleet.process.err();
  std::size_t at = 0;
  for (const char* step : {"plant.2: interval 200ms -> 300ms (command order-1)",
                           "plant.2: interval 300ms -> 400ms (command order-2)",
                           "plant.2: interval 400ms -> 500ms (command order-3)",
                           "plant.2: interval 500ms -> 600ms (command order-4)"}) {
    const auto found = log.find(step, at);
    CHECK_MESSAGE(found != std::string::npos, step);
    if (found != std::string::npos) at = found;
  }
  fleet.stop();
  counts total;
  int sensors = 0;
  const auto summaries = parse_summaries(fleet.process.out(), total, sensors);
  CHECK(summaries.at("plant.2").applied == 4);
  CHECK(summaries.at("plant.3").applied == 1);
  CHECK(total.applied == 5);
  CHECK(stored_intervals(server, 5).at("plant.2") == 600);
}

TEST_CASE("a fleet sharing one small buffer through a hung server loses no measurement") {
  constexpr int count = 100;
  nats_server server;
  temp_dir dir;
  running_fleet fleet(server, dir, count, {"--interval", "100ms", "--buffer", "150"});
  // A hung server: publishes pile up until the shared budget is spent and
  // every member's measuring pauses.
  REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
  const bool paused = fleet.process.wait_for("measuring paused", 20s, true);
  REQUIRE(::kill(server.pid(), SIGCONT) == 0);
  REQUIRE_MESSAGE(paused, fleet.process.err());
  CHECK_MESSAGE(fleet.process.wait_for("measuring resumed", 30s, true), fleet.process.err());
  fleet.stop();

  counts total;
  int sensors = 0;
  const auto summaries = parse_summaries(fleet.process.out(), total, sensors);
  REQUIRE(summaries.size() == static_cast<std::size_t>(count));
  CHECK(total.unacknowledged == 0);
  CHECK(total.acknowledged == total.published);
  const auto stored = stored_by_sensor(server);
  for (const auto& [id, c] : summaries) {
    INFO(id);
    REQUIRE(stored.count(id) == 1);
    std::set<std::uint64_t> seqs;
    for (const auto& o : stored.at(id)) seqs.insert(o.at("seq").to_number<std::uint64_t>());
    CHECK(stored.at(id).size() == c.published);  // each stored once
    CHECK(seqs.size() == c.published);           // gap-free 1..published
    CHECK(*seqs.rbegin() == c.published);
  }
}

TEST_CASE("iot-sensor --metrics-listen: Prometheus metrics per member of a small fleet") {
  nats_server server;
  temp_dir dir;
  auto bad = run_program({sensor_bin(), "--sensorID", "m", "--metrics-listen", "9464"}, dir.path(),
                         {{"NATS_URL", server.url()}}, 30s);
  CHECK(bad.code == 2);
  CHECK(bad.err.starts_with("iot-sensor: --metrics-listen: \"9464\": expected HOST:PORT"));

  child_process fleet({sensor_bin(), "--sensorID", "m", "--count", "3", "--interval", "100ms",
                       "--metrics-listen", "127.0.0.1:0"},
                      dir.path(), {{"NATS_URL", server.url()}});
  REQUIRE_MESSAGE(fleet.wait_for("/metrics\n", 30s, true), fleet.err());
  const auto log = fleet.err();
  const auto at = log.find("metrics on ") + 11;
  const auto url = log.substr(at, log.find('\n', at) - at);
  // Acknowledged measurements of every member show, as they come.
  std::string text;
  for (const auto until = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < until;) {
    auto r = test_support::curl(dir, {url});
    REQUIRE(r.status == 200);
    text = r.body;
    if (text.find("iot_sensor_measurements_acknowledged_total{sensor=\"m.3\"} ") !=
            std::string::npos &&
        text.find("iot_sensor_measurements_acknowledged_total{sensor=\"m.3\"} 0\n") ==
            std::string::npos)
      break;
    std::this_thread::sleep_for(100ms);  // the next measurement is on its way
  }
  for (const auto* line : {"iot_sensor_measurements_published_total{sensor=\"m.1\"} ",
                           "iot_sensor_commands_total{sensor=\"m.2\",outcome=\"applied\"} 0",
                           "iot_sensor_sensors 3", "iot_sensor_buffer_capacity_measurements 10000",
                           "# TYPE iot_sensor_buffer_measurements gauge", "iot_nats_connected 1",
                           "iot_nats_reconnects_total 0"})
    CHECK_MESSAGE(text.find(line) != std::string::npos, line);
  CHECK(text.find("iot_sensor_measurements_acknowledged_total{sensor=\"m.3\"} 0\n") ==
        std::string::npos);

  fleet.signal(SIGTERM);
  CHECK(fleet.wait(30s) == 0);  // the metrics server ends with the fleet
}
