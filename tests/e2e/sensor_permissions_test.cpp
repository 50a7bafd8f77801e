// Per-sensor permissions (tools/gen-perms.sh): a sensor under its own
// identity works end to end, and is refused everything of another sensor's,
// at once and with a clear error; iot-server works under the historian's.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "child_process.hpp"
#include "http_tools.hpp"
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
using nats_asio::errc;
using nats_asio::error_code;
using test_support::child_process;
using test_support::env_list;
using test_support::json_u64;
using test_support::nats_server;
using test_support::nats_server_options;
using test_support::run_async;
using test_support::run_program;
using test_support::sensor_bin;
using test_support::sim_bin;
using test_support::temp_dir;

namespace {

std::string gen_perms() { return std::getenv("GEN_PERMS"); }
std::string ready_config() { return std::getenv("PERMS_CONF"); }

// Operations wait 10 s for an answer: a refusal reported by a timeout could
// not pass the "prompt" checks.
constexpr auto patient = 10s;
constexpr auto prompt = 2s;
using clock = std::chrono::steady_clock;

// The generator's configuration for sensor-1 and sensor-2, with the address
// and the store left to the fixture's flags.
nats_server_options secured(const temp_dir& dir) {
  auto r = run_program({"/bin/bash", gen_perms(), "--demo-passwords", "--listen", "", "--store-dir",
                        "", "sensor-1", "sensor-2"},
                       dir.path());
  REQUIRE_MESSAGE(r.code == 0, r.err);
  nats_server_options o;
  o.config_text = r.out;
  return o;
}

env_list identity(const nats_server& server, const std::string& user) {
  return {{"NATS_URL", server.url()}, {"NATS_USER", user}, {"NATS_PASSWORD", user + "-password"}};
}

test_support::run_result sim_as(const nats_server& server, const temp_dir& dir,
                                const std::string& user, std::vector<std::string> args) {
  args.insert(args.begin(), sim_bin());
  return run_program(std::move(args), dir.path(), identity(server, user), 30s);
}

void provision(const nats_server& server, const temp_dir& dir) {
  auto r = sim_as(server, dir, "admin",
                  {"provision", "--sensorID", "sensor-1", "--sensorID", "sensor-2"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out.find("delivers to _INBOX.sensor-1.commands") != std::string::npos);
}

// A sensor process under its own identity.
struct running_sensor {
  running_sensor(const nats_server& server, const temp_dir& dir, std::string id)
      : process({sensor_bin(), "--sensorID", id, "--interval", "200ms"}, dir.path(),
                identity(server, id)) {
    REQUIRE_MESSAGE(process.wait_for("started:", 15s, true), process.err());
  }
  child_process process;
};

awaitable<nats_asio::connection> connect_as(const nats_server& server, const std::string& user,
                                            std::string inbox_prefix) {
  nats_asio::connection conn(co_await asio::this_coro::executor);
  nats_asio::connect_options o;
  o.servers = {server.url()};
  o.user = user;
  o.password = user + "-password";
  o.inbox_prefix = std::move(inbox_prefix);
  o.send_asap = true;
  o.max_reconnect_attempts = 0;
  auto [ec, detail] = co_await conn.async_connect(o, as_tuple(use_awaitable));
  REQUIRE_MESSAGE(!ec, ec.message() << ": " << detail);
  co_return conn;
}

// Stream messages on `subject`, read by the admin with an ordered consumer.
std::vector<std::string> stored_messages(const nats_server& server, const std::string& stream,
                                         const std::string& subject) {
  asio::io_context ioc;
  std::vector<std::string> out;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_as(server, "admin", "");
    nats_asio::jetstream js(conn);
    out = co_await test_support::stored_payloads(js, stream, subject);
  }());
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("the ready configuration in tools/ is what the generator makes") {
  temp_dir dir;
  auto r = run_program({"/bin/bash", gen_perms(), "--demo-passwords", "sensor-1", "sensor-2"},
                       dir.path());
  REQUIRE_MESSAGE(r.code == 0, r.err);
  std::ifstream in(ready_config());
  std::ostringstream ready;
  ready << in.rdbuf();
  CHECK_MESSAGE(r.out == ready.str(),
                "regenerate it: tools/gen-perms.sh --demo-passwords sensor-1 sensor-2 -o "
                "tools/nats-perms.conf");

  auto bad = run_program({"/bin/bash", gen_perms(), "sensor 1"}, dir.path());
  CHECK(bad.code == 2);
  auto twice = run_program({"/bin/bash", gen_perms(), "admin"}, dir.path());
  CHECK(twice.code == 2);
  auto historian = run_program({"/bin/bash", gen_perms(), "historian"}, dir.path());
  CHECK(historian.code == 2);
}

TEST_CASE("sensor-1 under its own identity: measurements, the admin's commands, config") {
  temp_dir dir;
  nats_server server(secured(dir));
  provision(server, dir);
  running_sensor sensor(server, dir, "sensor-1");

  auto applied = sim_as(server, dir, "admin",
                        {"edit_config", "--sensorID", "sensor-1", "--interval", "300ms"});
  CHECK_MESSAGE(applied.code == 0, applied.out << applied.err);
  CHECK(applied.out.find("applied by sensor-1") != std::string::npos);
  CHECK(applied.out.find("interval now 300ms") != std::string::npos);
  auto config = sim_as(server, dir, "admin", {"get_config", "--sensorID", "sensor-1", "--json"});
  REQUIRE_MESSAGE(config.code == 0, config.err);
  CHECK(json_u64(config.out, "interval_ms") == 300);
  auto listed = sim_as(server, dir, "admin", {"list"});
  CHECK(listed.out.find("sensor-1") != std::string::npos);
  auto seen =
      sim_as(server, dir, "admin",
             {"subscribe", "--sensorID", "sensor-1", "--from", "all", "--count", "2", "--json"});
  REQUIRE_MESSAGE(seen.code == 0, seen.err);
  CHECK(lines_of(seen.out).size() == 2);

  // A malformed command is dead-lettered: the third subject the sensor may publish on.
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto admin = co_await connect_as(server, "admin", "");
    nats_asio::jetstream js(admin);
    co_await js.async_publish("sensor.commands.sensor-1", "not json", use_awaitable);
  }());
  CHECK(sensor.process.wait_for("rejected command", 10s, true));

  sensor.process.signal(SIGTERM);
  CHECK(sensor.process.wait(15s) == 0);
  CHECK(stored_messages(server, "DEADLETTER", "sensor.deadletter.sensor-1").size() == 1);
  auto measurements =
      stored_messages(server, "MEASUREMENTS_STREAM", "sensor.measurements.sensor-1");
  CHECK(measurements.size() >= 2);
  for (const auto& m : measurements)
    CHECK(boost::json::parse(m).at("sensor_id").as_string() == "sensor-1");
  // Nothing it did was refused: no warnings, no errors.
  const auto log = sensor.process.err();
  CHECK_MESSAGE(log.find("permission denied") == std::string::npos, log);
  CHECK_MESSAGE(log.find(" ERROR ") == std::string::npos, log);
}

TEST_CASE("a fleet under its own identity: its members' subjects, its one consumer, no more") {
  temp_dir dir;
  auto generated = run_program({"/bin/bash", gen_perms(), "--demo-passwords", "--listen", "",
                                "--store-dir", "", "sensor-1", "--fleet", "plant"},
                               dir.path());
  REQUIRE_MESSAGE(generated.code == 0, generated.err);
  nats_server_options o;
  o.config_text = generated.out;
  nats_server server(o);
  auto provisioned = sim_as(server, dir, "admin", {"provision", "--sensorID", "plant.1"});
  REQUIRE_MESSAGE(provisioned.code == 0, provisioned.err);
  CHECK(provisioned.out.find("consumer fleet-plant delivers to _INBOX.plant.commands") !=
        std::string::npos);

  // --no-jitter: every member measures as soon as it starts.
  child_process fleet(
      {sensor_bin(), "--sensorID", "plant", "--count", "3", "--interval", "200ms", "--no-jitter"},
      dir.path(), identity(server, "plant"));
  REQUIRE_MESSAGE(fleet.wait_for("fleet started: 3 sensors", 15s, true), fleet.err());
  auto applied =
      sim_as(server, dir, "admin", {"edit_config", "--sensorID", "plant.2", "--interval", "1s"});
  CHECK_MESSAGE(applied.code == 0, applied.out << applied.err);
  CHECK(applied.out.find("applied by plant.2") != std::string::npos);

  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_as(server, "plant", "_INBOX.plant");
    nats_asio::jetstream js(conn, patient);
    nats_asio::publish_options po;
    po.timeout = patient;
    const auto start = clock::now();
    for (const char* subject : {"sensor.measurements.sensor-1", "sensor.measurements.plant",
                                "sensor.measurements.plant.1.x", "sensor.commands.plant.1"}) {
      auto [ec, ack] = co_await js.async_publish(subject, "{}", po, as_tuple(use_awaitable));
      CHECK_MESSAGE(ec == errc::permission_denied, subject << ": " << ec.message());
    }
    nats_asio::kv_bucket kv(js, "SENSOR_CONFIG");
    auto [pec, rev] = co_await kv.async_put("sensor-1.config", "{}", as_tuple(use_awaitable));
    CHECK_MESSAGE(pec == errc::permission_denied, pec.message());
    CHECK(clock::now() - start < prompt * 5);
  }());

  fleet.signal(SIGTERM);
  CHECK(fleet.wait(15s) == 0);
  for (const std::string member : {"plant.1", "plant.2", "plant.3"}) {
    INFO(member);
    CHECK_MESSAGE(
        !stored_messages(server, "MEASUREMENTS_STREAM", "sensor.measurements." + member).empty(),
        fleet.out());
  }
  const auto log = fleet.err();
  CHECK_MESSAGE(log.find("permission denied") == std::string::npos, log);
  CHECK_MESSAGE(log.find(" ERROR ") == std::string::npos, log);
}

TEST_CASE("sensor-1's identity is refused sensor-2's subjects, at once and clearly") {
  temp_dir dir;
  nats_server server(secured(dir));
  provision(server, dir);
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_as(server, "sensor-1", "_INBOX.sensor-1");
    nats_asio::jetstream js(conn, patient);
    nats_asio::publish_options po;
    po.timeout = patient;
    const auto start = clock::now();
    auto refused = [&](error_code ec, const char* what) {
      CHECK_MESSAGE(ec == errc::permission_denied, what << ": " << ec.message());
    };

    // Publishing for sensor-2, and sending commands at all.
    for (const char* subject : {"sensor.measurements.sensor-2", "sensor.deadletter.sensor-2",
                                "sensor.commands.sensor-2", "sensor.commands.sensor-1"}) {
      auto [ec, ack] = co_await js.async_publish(subject, "{}", po, as_tuple(use_awaitable));
      refused(ec, subject);
    }

    // Sensor-2's commands: its consumer, its deliver subject, its replies, the stream itself.
    auto [iec, info] =
        co_await js.async_consumer_info("SENSOR_STREAM", "cmd-sensor-2", as_tuple(use_awaitable));
    refused(iec, "consumer info cmd-sensor-2");
    nats_asio::consumer_config theirs;
    theirs.durable_name = "cmd-sensor-2";
    theirs.filter_subject = "sensor.commands.sensor-2";
    theirs.deliver_subject = "_INBOX.sensor-2.commands";
    auto [bec, bound] =
        co_await js.async_subscribe("SENSOR_STREAM", theirs, 16, as_tuple(use_awaitable));
    refused(bec, "bind cmd-sensor-2");
    nats_asio::consumer_config mine_on_theirs;
    mine_on_theirs.filter_subject = "sensor.commands.sensor-2";
    mine_on_theirs.deliver_subject = "_INBOX.sensor-1.stolen";
    auto [cec, created] =
        co_await js.async_ensure_consumer("SENSOR_STREAM", mine_on_theirs, as_tuple(use_awaitable));
    refused(cec, "create a consumer on sensor-2's commands");
    for (const char* subject : {"_INBOX.sensor-2.commands", "_INBOX.sensor-2.>"}) {
      auto sub = conn.subscribe(subject);
      auto [rec, msg] = co_await sub.async_receive(as_tuple(use_awaitable));
      refused(rec, subject);
    }
    for (const char* api :
         {"$JS.API.DIRECT.GET.SENSOR_STREAM", "$JS.API.STREAM.MSG.GET.SENSOR_STREAM"}) {
      auto [rec, reply] =
          co_await conn.async_request(api, R"({"seq":1})", patient, as_tuple(use_awaitable));
      refused(rec, api);
    }

    // Sensor-2's config: neither written, read nor watched.
    nats_asio::kv_bucket kv(js, "SENSOR_CONFIG");
    auto [pec, rev] = co_await kv.async_put("sensor-2.config", "{}", as_tuple(use_awaitable));
    refused(pec, "put sensor-2.config");
    auto [gec, entry] = co_await kv.async_get("sensor-2.config", as_tuple(use_awaitable));
    refused(gec, "get sensor-2.config");
    auto [mec, reply] =
        co_await conn.async_request("$JS.API.STREAM.MSG.GET.KV_SENSOR_CONFIG",
                                    R"({"last_by_subj":"$KV.SENSOR_CONFIG.sensor-2.config"})",
                                    patient, as_tuple(use_awaitable));
    refused(mec, "message get of sensor-2.config");
    auto watcher = co_await kv.async_watch("sensor-2.config", use_awaitable);
    auto [wec, watched] = co_await watcher.async_next(as_tuple(use_awaitable));
    refused(wec, "watch sensor-2.config");

    CHECK(clock::now() - start < 2 * prompt);
  }());

  // The programs under the wrong identity stop at once and say why.
  const auto start = clock::now();
  child_process impostor({sensor_bin(), "--sensorID", "sensor-2"}, dir.path(),
                         identity(server, "sensor-1"));
  CHECK(impostor.wait(15s) == 1);
  CHECK_MESSAGE(impostor.err().find("permission denied") != std::string::npos, impostor.err());
  auto command = sim_as(server, dir, "sensor-1",
                        {"edit_config", "--sensorID", "sensor-2", "--interval", "1s"});
  CHECK(command.code == 1);
  CHECK_MESSAGE(command.err.find("permission denied") != std::string::npos, command.err);
  CHECK(clock::now() - start < 5 * prompt);
}

TEST_CASE("a reply subject cannot smuggle measurements or commands into sensor-2") {
  temp_dir dir;
  nats_server server(secured(dir));
  provision(server, dir);
  // Sensor-1 may write anything into its own config and read it back with a
  // reply subject of its choosing: the server then delivers it there.
  auto read_back_to = [&](const std::string& value, std::vector<std::string> replies) {
    asio::io_context ioc;
    run_async(ioc, [&]() -> awaitable<void> {
      auto conn = co_await connect_as(server, "sensor-1", "_INBOX.sensor-1");
      nats_asio::jetstream js(conn, patient);
      nats_asio::kv_bucket kv(js, "SENSOR_CONFIG");
      co_await kv.async_put("sensor-1.config", value, use_awaitable);
      for (const auto& reply : replies)
        REQUIRE(!conn.publish_request(
            "$JS.API.DIRECT.GET.KV_SENSOR_CONFIG.$KV.SENSOR_CONFIG.sensor-1.config", reply, ""));
      co_await conn.async_drain(2s, use_awaitable);
    }());
  };
  read_back_to(R"({"schema":1,"lecture_id":7,"sensor_id":"sensor-2","lecture":"99.99","seq":1,)"
               R"("timestamp":"2026-01-01T00:00:00.000Z","value":99.99,"unit":"celsius"})",
               {"sensor.measurements.sensor-2"});

  running_sensor sensor(server, dir, "sensor-2");
  read_back_to(R"({"command_id":1,"metric_id":0,"new_measurement_value":"",)"
               R"("new_interval_milliseconds":1234,"schema":1,)"
               R"("command_uuid":"00000000-0000-4000-8000-000000000001",)"
               R"("issued_at":"2026-01-01T00:00:00.000Z"})",
               {"_INBOX.sensor-2.commands", "sensor.commands.sensor-2"});
  CHECK(sensor.process.wait_for("ignored a message on _INBOX.sensor-2.commands", 10s, true));
  CHECK(sensor.process.wait_for("read back from stream KV_SENSOR_CONFIG", 10s, true));
  auto config = sim_as(server, dir, "admin", {"get_config", "--sensorID", "sensor-2", "--json"});
  REQUIRE_MESSAGE(config.code == 0, config.err);
  CHECK(json_u64(config.out, "interval_ms") == 200);

  // The smuggled measurement is stored, but readers can tell and skip it.
  auto seen =
      sim_as(server, dir, "admin",
             {"subscribe", "--sensorID", "sensor-2", "--from", "all", "--count", "2", "--json"});
  REQUIRE_MESSAGE(seen.code == 0, seen.err);
  CHECK(seen.err.find("ignored a message on sensor.measurements.sensor-2") != std::string::npos);
  for (const auto& line : lines_of(seen.out))
    CHECK(boost::json::parse(line).at("lecture").as_string() != "99.99");
}

TEST_CASE("iot-server under the historian identity stores and answers; a sensor may not ask") {
  temp_dir dir;
  nats_server server(secured(dir));
  provision(server, dir);
  running_sensor sensor(server, dir, "sensor-1");
  child_process historian(
      {test_support::server_bin(), "--db", "sqlite:" + (dir.path() / "history.db").string()},
      dir.path(), identity(server, "historian"));
  REQUIRE_MESSAGE(historian.wait_for("history service", 30s, true), historian.err());

  // The admin reads sensor-1's history as it is being stored.
  std::size_t rows = 0;
  const auto deadline = clock::now() + 30s;
  while (rows < 3 && clock::now() < deadline) {
    auto r = sim_as(server, dir, "admin",
                    {"history", "--sensorID", "sensor-1", "--since", "1h", "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    rows = boost::json::parse(r.out).as_array().size();
  }
  CHECK(rows >= 3);

  // The REST API works under the same identity: the sensors from the
  // bucket and the stream, a command and its result, the dead letters.
  const auto api = test_support::logged_http_base(historian.err());
  REQUIRE_MESSAGE(!api.empty(), historian.err());
  test_support::curl_result listed;
  for (const auto until = clock::now() + 30s; clock::now() < until;) {
    listed = test_support::curl(dir, {api + "/api/v1/sensors?status=online"});
    if (listed.body.find("\"sensor-1\"") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);  // its first measurement is on its way
  }
  CHECK_MESSAGE(listed.body.find("\"sensor-1\"") != std::string::npos, listed.body);
  auto applied =
      test_support::curl(dir, {"-X", "PUT", "-H", "Content-Type: application/json", "-d",
                               R"({"interval":"300ms"})", api + "/api/v1/sensors/sensor-1/config"});
  CHECK_MESSAGE(applied.status == 200, applied.body);
  CHECK(test_support::curl(dir, {api + "/api/v1/deadletters"}).status == 200);

  // sensor-1 may publish measurements but not ask for history, not even its own.
  auto asked =
      sim_as(server, dir, "sensor-1", {"history", "--sensorID", "sensor-1", "--since", "1h"});
  CHECK(asked.code != 0);
  CHECK_MESSAGE(asked.err.find("permission") != std::string::npos, asked.err);

  sensor.process.signal(SIGTERM);
  CHECK(sensor.process.wait(15s) == 0);
  historian.signal(SIGTERM);
  CHECK(historian.wait(15s) == 0);
  // Nothing the historian did was refused.
  const auto log = historian.err();
  CHECK_MESSAGE(log.find("permission denied") == std::string::npos, log);
  CHECK_MESSAGE(log.find(" ERROR ") == std::string::npos, log);
}
