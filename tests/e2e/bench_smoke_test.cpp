// iot-bench --smoke runs every scenario and reports figures for each.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <sstream>

#include "child_process.hpp"

using namespace std::chrono_literals;

namespace {

double number(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  REQUIRE_MESSAGE(v != nullptr, "missing field " << name << " in " << boost::json::serialize(o));
  REQUIRE_MESSAGE(v->is_number(), name << " is not a number in " << boost::json::serialize(o));
  return v->to_number<double>();
}

void require_positive(const boost::json::object& o, std::initializer_list<const char*> names) {
  for (const char* name : names)
    CHECK_MESSAGE(number(o, name) > 0, name << " not positive in " << boost::json::serialize(o));
}

}  // namespace

TEST_CASE("iot-bench --smoke reports every scenario with its figures") {
  test_support::temp_dir dir;
  const auto r = test_support::run_program(
      {std::getenv("IOT_BENCH_BIN"), "--smoke", "--sensor-bin", std::getenv("IOT_SENSOR_BIN"),
       "--server-bin", std::getenv("IOT_SERVER_BIN")},
      dir.path(), {}, 200s);
  REQUIRE_MESSAGE(r.code == 0, "exit code " << r.code << "\nstdout:\n"
                                            << r.out << "\nstderr:\n"
                                            << r.err);

  std::map<std::string, std::vector<boost::json::object>> by_scenario;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    REQUIRE_MESSAGE(!ec, "not JSON: " << line);
    REQUIRE_MESSAGE(v.is_object(), "not an object: " << line);
    const auto& o = v.get_object();
    REQUIRE_MESSAGE(o.contains("scenario"), "no scenario: " << line);
    REQUIRE(o.at("scenario").is_string());
    CHECK_MESSAGE(!o.contains("error"), line);
    by_scenario[std::string(o.at("scenario").get_string())].push_back(o);
  }
  for (const char* s : {"publish", "kv", "command", "fleet", "historian", "http", "cli"})
    REQUIRE_MESSAGE(by_scenario.contains(s), "no " << s << " result in:\n" << r.out);

  CHECK(by_scenario["publish"].size() == 2);  // one subject, many subjects
  for (const auto& o : by_scenario["publish"])
    require_positive(o, {"raw_msgs_per_s", "library_msgs_per_s", "ratio", "batch_msgs_per_s",
                         "batch_ratio", "messages", "window"});

  for (const auto& o : by_scenario["kv"])
    require_positive(o, {"raw_get_p50_us", "library_get_p50_us", "raw_put_p50_us",
                         "library_put_p50_us", "get_p50_ratio", "samples"});

  std::set<std::string> cases;
  for (const auto& o : by_scenario["command"]) {
    cases.insert(std::string(o.at("case").as_string()));
    require_positive(o, {"p50_us", "p99_us", "max_us", "answered"});
    CHECK(number(o, "timeouts") == 0);
  }
  CHECK(cases == std::set<std::string>{"idle", "under_load"});

  CHECK(by_scenario["fleet"].size() == 2);  // --smoke runs 1 and 10 sensors
  for (const auto& o : by_scenario["fleet"]) {
    require_positive(o,
                     {"sensors", "startup_s", "consumers_ready_s", "msgs_per_s", "sensor_rss_bytes",
                      "startup_sensor_hwm_bytes", "bytes_per_sensor", "server_rss_bytes"});
    CHECK(o.at("consumers_all") == true);  // the fleet's command consumer was created
    CHECK(number(o, "sensor_exit_code") == 0);
  }

  // Each part on each database, with its figures; the stored rows are the
  // stream's (5 000), the queries see the whole filled day.
  std::set<std::pair<std::string, std::string>> parts;
  for (const auto& o : by_scenario["historian"]) {
    const std::string part(o.at("part").as_string()), db(o.at("database").as_string());
    parts.emplace(part, db);
    if (part == "catch_up") {
      CHECK(number(o, "rows") == 5000);
      require_positive(o, {"rows_per_s", "raw_drain_rows_per_s", "plain_insert_rows_per_s", "ratio",
                           "bytes_per_row"});
    } else if (part == "live_lag") {
      require_positive(o, {"committed", "lag_p99_at_most_ms"});
      CHECK(number(o, "fleet_exit_code") == 0);
    } else {
      CHECK(number(o, "buckets") == 1000);
      CHECK(number(o, "hour_rows") == 3600);
      CHECK(number(o, "rows") >= 5000 + 86'400);
      require_positive(o, {"day_in_buckets_p50_ms", "hour_raw_p50_ms", "latest_p50_ms",
                           "latest_sensors", "bytes_per_row"});
    }
  }
  std::set<std::pair<std::string, std::string>> expected;
  for (const char* db : {"sqlite", "postgresql"})
    for (const char* part : {"catch_up", "live_lag", "queries"}) expected.emplace(part, db);
  CHECK(parts == expected);

  // The API beside its limit; every command applied; every event delivered.
  std::set<std::string> http_cases;
  for (const auto& o : by_scenario["http"]) {
    const std::string c(o.at("case").as_string());
    http_cases.insert(c);
    if (c == "get_config") {
      require_positive(o, {"requests_per_s", "p99_ms", "limit_requests_per_s", "ratio"});
      CHECK(number(o, "errors") == 0);
    } else if (c == "put_config") {
      require_positive(o, {"p50_ms", "p99_ms"});
      CHECK(number(o, "not_applied") == 0);
    } else {
      require_positive(o, {"events", "p99_ms"});
      CHECK(number(o, "gaps") == 0);
      CHECK(number(o, "failed_clients") == 0);
    }
  }
  CHECK(http_cases == std::set<std::string>{"get_config", "put_config", "events"});

  // Every command timed as a whole process, each beside the floors of the same run.
  std::set<std::string> commands;
  for (const auto& o : by_scenario["cli"]) {
    const std::string c(o.at("command").as_string());
    commands.insert(c);
    CHECK(number(o, "runs") == 5);
    require_positive(o, {"p50_ms", "p90_ms", "min_ms"});
    if (!o.contains("floor")) {
      require_positive(o, {"vs_true", "vs_help", "vs_nats_c_oneshot", "target_ms"});
      CHECK(o.at("meets_target").is_bool());
    }
    if (c == "edit_config") require_positive(o, {"round_trip_p50_ms"});
  }
  CHECK(commands == std::set<std::string>{"true", "help", "nats_c_oneshot", "get_config", "list",
                                          "edit_config", "history"});
}
