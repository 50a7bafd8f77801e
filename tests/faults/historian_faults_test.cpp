// iot-server under faults, against real processes: the server killed mid-
// ingest, nats-server killed and restarted, PostgreSQL stopped for 10 s,
// two ingesters on one database, a catch-up of a million measurements. In
// every case each sensor's rows are seq 1..N, each once, and equal what the
// stream holds.
#include <doctest/doctest.h>
#include <signal.h>

#include <cstdlib>
#include <regex>
#include <thread>

#include "child_process.hpp"
#include "history_audit.hpp"
#include "nats_server.hpp"
#include "postgres_server.hpp"

using namespace std::chrono_literals;
using test_support::child_process;
using test_support::nats_server;
using test_support::postgres_server;
using test_support::publish_plan;
using test_support::temp_dir;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int scale = 5;  // sanitized programs run several times slower
#else
constexpr int scale = 1;
#endif

std::string server_bin() { return std::getenv("IOT_SERVER_BIN"); }

child_process start_server(const nats_server& nats, const temp_dir& dir, const std::string& db,
                           std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{server_bin(), "--db", db, "--role", "ingest", "--batch", "1000"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return child_process(argv, dir.path(), {{"NATS_URL", nats.url()}});
}

void check_audit(const std::string& nats_url, const std::string& db, std::uint64_t messages) {
  auto audit = test_support::audit_history(nats_url, db);
  INFO(audit.line());
  for (const auto& p : audit.problems) CHECK_MESSAGE(false, p);
  CHECK(audit.stream_messages == messages);
  CHECK(audit.rows + audit.rejected == messages);
}

// Waits until at least `rows` are stored: a point in the middle of ingest.
void wait_for_progress(const std::string& db, std::uint64_t rows, const child_process& server) {
  const auto until = std::chrono::steady_clock::now() + 120s;
  while (test_support::stored_count(db) < rows) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, server.err());
    std::this_thread::sleep_for(20ms);
  }
}

std::uint64_t stored_by(const std::string& log) {
  std::smatch m;
  const std::regex re(R"(stored (\d+) measurements)");
  REQUIRE_MESSAGE(std::regex_search(log, m, re), log);
  return std::stoull(m[1]);
}

}  // namespace

TEST_CASE("kill -9 of iot-server mid-ingest, then a restart: every measurement stored once") {
  nats_server nats;
  temp_dir dir;
  const auto db = "sqlite:" + (dir.path() / "iot.db").string();
  publish_plan plan;
  plan.sensors = 100;
  plan.per_sensor = 2000 / scale;
  plan.invalid = 10;
  test_support::publish_measurements(nats.url(), plan);
  const std::uint64_t messages = 100ull * plan.per_sensor + 10;

  {
    auto server = start_server(nats, dir, db);
    wait_for_progress(db, messages / 5, server);
    server.signal(SIGKILL);
    server.wait(10s);
  }
  const auto before = test_support::stored_count(db);
  CHECK(before < messages);  // really killed mid-ingest
  auto server = start_server(nats, dir, db);
  REQUIRE_MESSAGE(test_support::wait_until_stored(db, messages, 180s), server.err());
  server.signal(SIGTERM);
  CHECK(server.wait(30s) == 0);
  check_audit(nats.url(), db, messages);
}

TEST_CASE("nats-server killed and restarted mid-ingest: ingest resumes by itself, nothing lost") {
  nats_server nats;
  temp_dir dir;
  const auto db = "sqlite:" + (dir.path() / "iot.db").string();
  publish_plan plan;
  plan.sensors = 100;
  plan.per_sensor = 2000 / scale;
  test_support::publish_measurements(nats.url(), plan);
  const std::uint64_t messages = 100ull * plan.per_sensor;

  auto server = start_server(nats, dir, db);
  wait_for_progress(db, messages / 5, server);
  nats.kill_hard();
  std::this_thread::sleep_for(1s);  // the outage the test is about
  nats.start();
  REQUIRE_MESSAGE(test_support::wait_until_stored(db, messages, 180s), server.err());
  server.signal(SIGTERM);
  CHECK(server.wait(30s) == 0);
  check_audit(nats.url(), db, messages);
}

TEST_CASE(
    "PostgreSQL stopped for 10 s mid-ingest: ingest pauses, resumes by itself, loses nothing") {
  nats_server nats;
  postgres_server pg;
  temp_dir dir;
  publish_plan plan;
  plan.sensors = 100;
  plan.per_sensor = 2000 / scale;
  test_support::publish_measurements(nats.url(), plan);
  const std::uint64_t messages = 100ull * plan.per_sensor;

  auto server = start_server(nats, dir, pg.url());
  wait_for_progress(pg.url(), messages / 10, server);
  pg.stop();
  REQUIRE(server.wait_for("ingest paused", 30s, true));
  std::this_thread::sleep_for(10s);  // the outage the test is about
  pg.start();
  REQUIRE_MESSAGE(test_support::wait_until_stored(pg.url(), messages, 180s), server.err());
  CHECK(server.err().find("ingest resumes") != std::string::npos);
  server.signal(SIGTERM);
  CHECK(server.wait(30s) == 0);
  check_audit(nats.url(), pg.url(), messages);
}

TEST_CASE("two ingesting processes on one PostgreSQL: both do work, nothing stored twice") {
  nats_server nats;
  postgres_server pg;
  temp_dir dir;
  // Both bind the consumer before the measurements arrive, so both get a
  // share. One after the other: what is tested is sharing the work, not
  // two processes provisioning at the same instant.
  auto first = start_server(nats, dir, pg.url());
  REQUIRE_MESSAGE(first.wait_for("storing measurements", 60s, true), first.err());
  auto second = start_server(nats, dir, pg.url());
  REQUIRE_MESSAGE(second.wait_for("storing measurements", 60s, true), second.err());
  publish_plan plan;
  plan.sensors = 100;
  plan.per_sensor = 1000 / scale;
  plan.corrections = 5;
  test_support::publish_measurements(nats.url(), plan);
  const std::uint64_t messages = 100ull * (plan.per_sensor + 5);
  REQUIRE(test_support::wait_until_stored(pg.url(), messages, 180s));
  first.signal(SIGTERM);
  second.signal(SIGTERM);
  CHECK(first.wait(30s) == 0);
  CHECK(second.wait(30s) == 0);
  const auto by_first = stored_by(first.err()), by_second = stored_by(second.err());
  CHECK(by_first > 0);
  CHECK(by_second > 0);
  CHECK(by_first + by_second == messages);
  check_audit(nats.url(), pg.url(), messages);
}

TEST_CASE("a historian started after a million measurements catches up with all of them") {
  nats_server nats;
  temp_dir dir;
  const auto db = "sqlite:" + (dir.path() / "iot.db").string();
  publish_plan plan;
  plan.sensors = 1000;
  plan.per_sensor = 1000 / scale;
  plan.window = 4096;
  test_support::publish_measurements(nats.url(), plan);
  const std::uint64_t messages = 1000ull * plan.per_sensor;
  auto server = child_process({server_bin(), "--db", db, "--role", "ingest"}, dir.path(),
                              {{"NATS_URL", nats.url()}});
  REQUIRE_MESSAGE(test_support::wait_until_stored(db, messages, 600s), server.err());
  server.signal(SIGTERM);
  CHECK(server.wait(30s) == 0);
  check_audit(nats.url(), db, messages);
}
