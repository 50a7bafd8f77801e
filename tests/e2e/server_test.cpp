// iot-server run as a program against a real nats-server and a real SQLite
// file: what it stores, what it rejects, what it answers, how it fails.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <sstream>

#include "child_process.hpp"
#include "history_audit.hpp"
#include "nats_server.hpp"
#include "program_runs.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using test_support::child_process;
using test_support::nats_server;
using test_support::publish_plan;
using test_support::run_program;
using test_support::run_sim;
using test_support::server_bin;
using test_support::temp_dir;

namespace {

std::string sqlite_url(const temp_dir& dir) { return "sqlite:" + (dir.path() / "iot.db").string(); }

struct running_server {
  running_server(const nats_server& nats, const temp_dir& dir, std::vector<std::string> args = {})
      : process(command(std::move(args)), dir.path(), {{"NATS_URL", nats.url()}}) {}

  static std::vector<std::string> command(std::vector<std::string> args) {
    args.insert(args.begin(), server_bin());
    return args;
  }
  // SIGTERM, and the exit code.
  int stop() {
    process.signal(SIGTERM);
    return process.wait(30s);
  }
  child_process process;
};

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A request to the history service, answered or not.
nats_asio::message ask(const nats_server& nats, const std::string& subject,
                       const std::string& body) {
  asio::io_context ioc;
  return test_support::run_async(ioc, [&]() -> awaitable<nats_asio::message> {
    auto conn = co_await test_support::connect_to(nats);
    auto reply = co_await conn.async_request(subject, body, 5s, use_awaitable);
    co_await conn.async_drain(1s, asio::as_tuple(use_awaitable));
    co_return reply;
  }());
}

}  // namespace

TEST_CASE("iot-server stores the stream exactly once, rejects what is not a measurement") {
  nats_server nats;
  temp_dir dir;
  publish_plan plan;
  plan.sensors = 10;
  plan.per_sensor = 200;
  plan.corrections = 3;
  plan.invalid = 4;
  test_support::publish_measurements(nats.url(), plan);
  const std::uint64_t messages = 10 * 203 + 4;

  running_server server(nats, dir, {"--db", sqlite_url(dir), "--batch", "500"});
  REQUIRE_MESSAGE(test_support::wait_until_stored(sqlite_url(dir), messages, 60s),
                  server.process.err());
  auto audit = test_support::audit_history(nats.url(), sqlite_url(dir));
  INFO(audit.line());
  CHECK(audit.problems.empty());
  for (const auto& p : audit.problems) MESSAGE(p);
  CHECK(audit.stream_messages == messages);
  CHECK(audit.rows == 10 * 203);
  CHECK(audit.rejected == 4);
  CHECK(audit.sensors == 10);

  // A redelivery after restart stores nothing twice: the consumer is
  // durable and the rows are keyed.
  CHECK(server.stop() == 0);
  CHECK(server.process.err().find("stored 2030 measurements") != std::string::npos);
  running_server again(nats, dir, {"--db", sqlite_url(dir)});
  REQUIRE(again.process.wait_for("history service", 30s, true));
  CHECK(again.stop() == 0);
  CHECK(test_support::stored_count(sqlite_url(dir)) == messages);
}

TEST_CASE("iot-sim history: rows as text, CSV and JSON, every revision, buckets") {
  nats_server nats;
  temp_dir dir;
  publish_plan plan;
  plan.sensors = 2;
  plan.per_sensor = 120;
  plan.corrections = 2;
  plan.age = 1h;
  test_support::publish_measurements(nats.url(), plan);
  running_server server(nats, dir, {"--db", sqlite_url(dir)});
  REQUIRE(test_support::wait_until_stored(sqlite_url(dir), 2 * 122, 60s));

  auto text = run_sim(nats, dir, {"history", "--sensorID", "s-1", "--since", "2h"});
  REQUIRE_MESSAGE(text.code == 0, text.err);
  CHECK(count_lines(text.out) == 120);
  CHECK(text.out.find("seq=1 ") != std::string::npos);
  CHECK(text.out.find("revision=2 value=100.") != std::string::npos);  // the correction shows

  auto csv = run_sim(nats, dir, {"history", "--sensorID", "s-1", "--since", "2h", "--csv"});
  REQUIRE(csv.code == 0);
  CHECK(csv.out.starts_with("sensor_id,lecture_id,revision,seq,timestamp,value,lecture,unit,"));
  CHECK(count_lines(csv.out) == 121);

  auto all = run_sim(nats, dir,
                     {"history", "--sensorID", "s-1", "--since", "2h", "--json", "--revisions"});
  REQUIRE(all.code == 0);
  auto rows = boost::json::parse(all.out).as_array();
  CHECK(rows.size() == 122);
  CHECK(rows[0].as_object().at("sensor_id").as_string() == "s-1");

  auto buckets = run_sim(
      nats, dir, {"history", "--sensorID", "s-2", "--since", "2h", "--step", "1m", "--csv"});
  REQUIRE_MESSAGE(buckets.code == 0, buckets.err);
  CHECK(buckets.out.starts_with("start,min,max,avg,count,last\n"));
  std::istringstream lines(buckets.out);
  std::string line;
  std::getline(lines, line);
  std::uint64_t counted = 0;
  while (std::getline(lines, line)) {
    auto last_comma = line.rfind(',');
    auto count_comma = line.rfind(',', last_comma - 1);
    counted += std::stoull(line.substr(count_comma + 1, last_comma - count_comma - 1));
  }
  CHECK(counted == 120);  // every measurement of s-2 in exactly one bucket

  auto none = run_sim(nats, dir, {"history", "--sensorID", "nobody", "--since", "1h"});
  CHECK(none.code == 0);
  CHECK(none.out.empty());
  CHECK(server.stop() == 0);
}

TEST_CASE("the history service: discoverable, a wrong request gets 400 and the reason") {
  nats_server nats;
  temp_dir dir;
  running_server server(nats, dir, {"--db", sqlite_url(dir)});
  REQUIRE(server.process.wait_for("history service", 30s, true));

  auto ping = ask(nats, "$SRV.PING.iot-history", "");
  auto pong = boost::json::parse(ping.payload).as_object();
  CHECK(pong.at("name").as_string() == "iot-history");
  CHECK(pong.at("type").as_string() == "io.nats.micro.v1.ping_response");
  auto info = boost::json::parse(ask(nats, "$SRV.INFO.iot-history", "").payload).as_object();
  CHECK(info.at("endpoints").as_array().size() == 4);

  auto bad = ask(nats, "sensor.history.range", R"({"sensor_id":"s-1"})");
  CHECK(bad.header("Nats-Service-Error-Code") == "400");
  CHECK(std::string(bad.header("Nats-Service-Error").value_or("")).find("\"from\"") !=
        std::string::npos);

  auto stats = boost::json::parse(ask(nats, "$SRV.STATS.iot-history", "").payload).as_object();
  std::uint64_t errors = 0;
  for (const auto& e : stats.at("endpoints").as_array())
    errors += e.as_object().at("num_errors").to_number<std::uint64_t>();
  CHECK(errors == 1);

  auto wrong = run_sim(nats, dir, {"history", "--sensorID", "s-1", "--from", "yesterday"});
  CHECK(wrong.code == 2);
  CHECK(wrong.err.find("--from") != std::string::npos);
  CHECK(server.stop() == 0);
}

TEST_CASE("roles run apart: ingest answers no queries, http stores nothing") {
  nats_server nats;
  temp_dir dir;
  publish_plan plan;
  plan.sensors = 1;
  plan.per_sensor = 10;
  test_support::publish_measurements(nats.url(), plan);

  running_server http(nats, dir, {"--db", sqlite_url(dir), "--role", "http"});
  REQUIRE(http.process.wait_for("history service", 30s, true));
  auto empty = run_sim(nats, dir, {"history", "--sensorID", "s-1", "--since", "2d"});
  CHECK(empty.code == 0);
  CHECK(empty.out.empty());  // nothing ingested
  CHECK(http.stop() == 0);

  running_server ingest(nats, dir, {"--db", sqlite_url(dir), "--role", "ingest"});
  REQUIRE(test_support::wait_until_stored(sqlite_url(dir), 10, 30s));
  auto unanswered =
      run_sim(nats, dir, {"history", "--sensorID", "s-1", "--since", "2d", "--timeout", "500ms"});
  CHECK(unanswered.code == 1);
  CHECK(unanswered.err.find("is iot-server running") != std::string::npos);
  CHECK(ingest.stop() == 0);
}

TEST_CASE("retention deletes what is older than the period and keeps the rest") {
  nats_server nats;
  temp_dir dir;
  publish_plan old_round;
  old_round.sensors = 3;
  old_round.per_sensor = 50;
  old_round.age = 48h;
  test_support::publish_measurements(nats.url(), old_round);
  publish_plan new_round = old_round;
  new_round.first_seq = 51;
  new_round.age = 1h;
  test_support::publish_measurements(nats.url(), new_round);

  running_server server(nats, dir, {"--db", sqlite_url(dir)});
  REQUIRE(test_support::wait_until_stored(sqlite_url(dir), 300, 30s));
  CHECK(server.stop() == 0);
  // Retention starts with a check: the older half goes at once.
  running_server again(nats, dir, {"--db", sqlite_url(dir), "--retention", "1d"});
  REQUIRE_MESSAGE(again.process.wait_for("retention: deleted 150 measurements", 30s, true),
                  again.process.err());
  CHECK(test_support::stored_count(sqlite_url(dir)) == 150);
  auto kept = run_sim(nats, dir, {"history", "--sensorID", "s-1", "--since", "3d", "--csv"});
  CHECK(count_lines(kept.out) == 1 + 50);
  CHECK(kept.out.find(",51,") != std::string::npos);
  CHECK(again.stop() == 0);
}

TEST_CASE("a database that cannot be opened: one line naming it, exit 1") {
  nats_server nats;
  temp_dir dir;
  std::filesystem::create_directory(dir.path() / "a-directory");
  const std::vector<std::string> unopenable{"sqlite:" + (dir.path() / "a-directory").string(),
                                            "sqlite:/proc/no-such-dir/iot.db"};
  for (const auto& db : unopenable) {
    auto r = run_program({server_bin(), "--db", db}, dir.path(), {{"NATS_URL", nats.url()}});
    CHECK(r.code == 1);
    CHECK(r.err.find("cannot open database " + db) != std::string::npos);
    CHECK(count_lines(r.err) == 1);
  }
  auto pg = run_program({server_bin(), "--db", "postgresql://u:hunter2@127.0.0.1:1/db"}, dir.path(),
                        {{"NATS_URL", nats.url()}});
  CHECK(pg.code == 1);
  CHECK(pg.err.find("cannot open database postgresql://u:***@127.0.0.1:1/db") != std::string::npos);
  CHECK(pg.err.find("hunter2") == std::string::npos);
  auto usage = run_program({server_bin(), "--db", "mysql://x"}, dir.path());
  CHECK(usage.code == 2);
  CHECK(usage.err ==
        "iot-server: --db: database URL \"mysql://x\" is neither sqlite:PATH nor "
        "postgresql://USER@HOST:PORT/DB\n");
}

TEST_CASE("the default database is .data/iot.db in the working directory, made on first start") {
  nats_server nats;
  temp_dir dir;
  running_server server(nats, dir);
  REQUIRE(server.process.wait_for("history service", 30s, true));
  CHECK(std::filesystem::exists(dir.path() / ".data" / "iot.db"));
  CHECK(server.stop() == 0);
}
