// iot-server's HTTP side run as a program, against a real nats-server,
// real sensors and a real SQLite file, asked with curl: the sensors routes,
// health and metrics, the token, HTTPS, and what it refuses. Every response
// is checked against the API's OpenAPI document (openapi_check.py).
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <thread>

#include "child_process.hpp"
#include "http/client.hpp"
#include "http_tools.hpp"
#include "nats_server.hpp"
#include "program_runs.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test_support::child_process;
using test_support::curl;
using test_support::curl_result;
using test_support::nats_server;
using test_support::run_program;
using test_support::temp_dir;

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The method curl sends for `args`: the one after -X, else GET.
std::string method_of(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "-X") return args[i + 1];
  return "GET";
}

// iot-server on a free loopback port (IOT_HTTP_LISTEN from the test
// environment), its database in `dir`. Every exchange through get() is
// recorded, and checked against the OpenAPI document when this ends.
struct api_server {
  api_server(const nats_server& nats, const temp_dir& dir, std::vector<std::string> args = {})
      : dir_(dir), process(command(dir, std::move(args)), dir.path(), {{"NATS_URL", nats.url()}}) {
    REQUIRE_MESSAGE(process.wait_for("HTTP API on http", 30s, true), process.err());
    base = test_support::logged_http_base(process.err());
    REQUIRE_MESSAGE(!base.empty(), process.err());
  }
  ~api_server() {
    // Not while a failed REQUIRE unwinds: that failure says enough.
    if (std::uncaught_exceptions() == 0) check_exchanges();
  }
  static std::vector<std::string> command(const temp_dir& dir, std::vector<std::string> args) {
    args.insert(args.begin(),
                {test_support::server_bin(), "--db", "sqlite:" + (dir.path() / "iot.db").string()});
    return args;
  }
  std::string url(const std::string& path) const { return base + path; }
  // The port of `base` ("http://127.0.0.1:PORT").
  unsigned short port() const {
    return static_cast<unsigned short>(std::stoul(base.substr(base.rfind(':') + 1)));
  }
  curl_result get(const std::string& path, std::vector<std::string> args = {}) const {
    const auto method = method_of(args);
    args.push_back(url(path));
    auto r = curl(dir_, std::move(args));
    // The API's exchanges, checked against its OpenAPI document; not the dashboard's files.
    const bool documented = path.starts_with("/api/") || path.starts_with("/healthz") ||
                            path.starts_with("/readyz") || path.starts_with("/metrics");
    if (r.status != 0 && documented) record(method, path.substr(0, path.find('?')), r);
    return r;
  }
  std::filesystem::path exchanges() const { return dir_.path() / "exchanges.jsonl"; }
  void record(const std::string& method, const std::string& path, const curl_result& r) const {
    const boost::json::object line{{"method", method},
                                   {"path", path},
                                   {"status", r.status},
                                   {"content_type", r.header("Content-Type")},
                                   {"body", r.body}};
    std::ofstream(exchanges(), std::ios::app) << boost::json::serialize(line) << '\n';
  }
  // Every recorded response is documented, its body as its schema says.
  void check_exchanges() const {
    if (!std::filesystem::exists(exchanges())) return;
    const auto checked = run_program({"/usr/bin/env", "python3", env_or_empty("OPENAPI_CHECK"),
                                      env_or_empty("OPENAPI_DOC"), exchanges().string()},
                                     dir_.path(), {}, 60s);
    CHECK_MESSAGE(checked.code == 0, (checked.out + checked.err));
  }
  int stop() {
    process.signal(SIGTERM);
    return process.wait(30s);
  }

  const temp_dir& dir_;
  child_process process;
  std::string base;  // "http://127.0.0.1:PORT"
};

// Polls `done` every 100 ms until it holds or `limit` passes: the programs
// under test change state on their own schedule, with nothing to wait on.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

boost::json::object json_of(const curl_result& r);

// Until /readyz says ready: NATS reached, configs loaded, events following
// the stream (an event stream asked for before that is refused with 503).
bool ready(const api_server& api) {
  return eventually([&] { return api.get("/readyz").status == 200; }, 30s);
}

boost::json::object json_of(const curl_result& r) { return boost::json::parse(r.body).as_object(); }

std::vector<std::string> ids_of(const curl_result& r) {
  std::vector<std::string> ids;
  const auto body = json_of(r);
  for (const auto& s : body.at("sensors").as_array()) ids.emplace_back(s.at("id").as_string());
  return ids;
}

}  // namespace

TEST_CASE("REST API: sensors with config, last measurement and status; health; metrics") {
  nats_server nats;
  temp_dir dir;
  api_server api(nats, dir);
  const test_support::env_list env{{"NATS_URL", nats.url()}};
  child_process fleet(
      {test_support::sensor_bin(), "--sensorID", "s", "--count", "2", "--interval", "200ms"},
      dir.path(), env);
  child_process single({test_support::sensor_bin(), "--sensorID", "t-1", "--interval", "200ms"},
                       dir.path(), env);

  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto r = api.get("/api/v1/sensors?status=online");
                        return r.status == 200 && ids_of(r).size() == 3;
                      },
                      30s),
                  api.get("/api/v1/sensors").body);

  auto all = api.get("/api/v1/sensors");
  CHECK(all.status == 200);
  CHECK(all.header("Content-Type") == "application/json");
  CHECK(ids_of(all) == std::vector<std::string>{"s.1", "s.2", "t-1"});
  CHECK(json_of(all).at("next_cursor").is_null());

  auto one = api.get("/api/v1/sensors/s.1");
  REQUIRE(one.status == 200);
  auto s1 = json_of(one);
  CHECK(s1.at("status") == "online");
  CHECK(s1.at("config").at("interval") == "200ms");
  CHECK(s1.at("config").at("interval_ms") == 200);
  CHECK(s1.at("last_measurement").at("lecture_id").to_number<std::uint64_t>() >= 1);
  CHECK(s1.at("last_measurement").at("stream_seq").to_number<std::uint64_t>() >= 1);
  CHECK(s1.at("last_seen") == s1.at("last_measurement").at("timestamp"));

  auto config = api.get("/api/v1/sensors/t-1/config");
  CHECK(config.status == 200);
  CHECK(json_of(config).at("sensor_id") == "t-1");
  CHECK(json_of(config).at("interval_ms") == 200);

  // Pages, by id, and a prefix.
  auto first = api.get("/api/v1/sensors?limit=2");
  CHECK(ids_of(first) == std::vector<std::string>{"s.1", "s.2"});
  CHECK(json_of(first).at("next_cursor") == "s.2");
  auto second = api.get("/api/v1/sensors?limit=2&cursor=s.2");
  CHECK(ids_of(second) == std::vector<std::string>{"t-1"});
  CHECK(json_of(second).at("next_cursor").is_null());
  CHECK(ids_of(api.get("/api/v1/sensors?prefix=s.")) == std::vector<std::string>{"s.1", "s.2"});

  // A sensor that stops goes offline after three intervals.
  single.signal(SIGTERM);
  CHECK(single.wait(30s) == 0);
  CHECK(eventually(
      [&] {
        return ids_of(api.get("/api/v1/sensors?status=offline")) == std::vector<std::string>{"t-1"};
      },
      10s));
  CHECK(ids_of(api.get("/api/v1/sensors?status=online")).size() == 2);

  // What is wrong is said, as problem details.
  auto unknown = api.get("/api/v1/sensors/nope");
  CHECK(unknown.status == 404);
  CHECK(unknown.header("Content-Type") == "application/problem+json");
  CHECK(json_of(unknown).at("detail") == "no sensor \"nope\" in the config bucket");
  CHECK(api.get("/api/v1/sensors?limit=0").status == 400);
  CHECK(api.get("/api/v1/sensors?limit=1001").status == 400);
  CHECK(api.get("/api/v1/sensors?status=asleep").status == 400);
  CHECK(json_of(api.get("/api/v1/sensors?colour=red")).at("detail") ==
        "unknown query parameter \"colour\"");
  CHECK(api.get("/api/v1/sensors?limit=1&limit=2").status == 400);
  auto wrong = api.get("/api/v1/sensors", {"-X", "DELETE"});
  CHECK(wrong.status == 405);
  CHECK(wrong.header("Allow") == "GET");
  CHECK(api.get("/api/v2/sensors").status == 404);
  auto huge = api.get("/api/v1/sensors", {"-X", "POST", "--data-binary", std::string(70'000, 'x')});
  CHECK(huge.status == 413);

  // The dashboard, built in: its page, its plotting library, its headers.
  auto page = api.get("/");
  CHECK(page.status == 200);
  CHECK(page.header("Content-Type") == "text/html; charset=utf-8");
  CHECK(page.body.find("<!doctype html>") == 0);
  CHECK(page.header("Content-Security-Policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.header("X-Content-Type-Options") == "nosniff");
  CHECK(api.get("/", {"-H", "If-None-Match: " + page.header("ETag")}).status == 304);
  auto plot = api.get("/vendor/uPlot.iife.min.js", {"--compressed"});
  CHECK(plot.status == 200);
  CHECK(plot.header("Content-Encoding") == "gzip");
  CHECK(plot.body.find("uPlot") != std::string::npos);

  // Health and metrics.
  auto alive = api.get("/healthz");
  CHECK(alive.status == 200);
  CHECK(json_of(alive).at("status") == "alive");
  auto ready = api.get("/readyz");
  CHECK(ready.status == 200);
  CHECK(json_of(ready).at("ready") == true);
  auto metrics = api.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("Content-Type").starts_with("text/plain; version=0.0.4"));

  // The OpenAPI document, as built in: the file's.
  auto openapi = api.get("/api/v1/openapi.json");
  CHECK(openapi.status == 200);
  CHECK(openapi.header("Content-Type") == "application/json");
  std::ifstream doc_file(env_or_empty("OPENAPI_DOC"));
  REQUIRE(doc_file);
  const std::string doc{std::istreambuf_iterator<char>(doc_file), {}};
  CHECK(boost::json::parse(openapi.body) == boost::json::parse(doc));
  for (const auto* line :
       {"iot_sensors{status=\"online\"} 2", "iot_sensors{status=\"offline\"} 1",
        "iot_nats_connected 1",
        "iot_http_requests_total{method=\"GET\",route=\"/api/v1/sensors/{id}\",status=\"404\"} 1",
        "# TYPE iot_ingest_lag_seconds histogram", "# TYPE iot_db_write_duration_seconds histogram",
        "iot_ingest_rows_total{outcome=\"stored\"} ",
        "iot_nats_pending_messages{subscription=\"ingest\"} "})
    CHECK_MESSAGE(metrics.body.find(line) != std::string::npos, line);

  CHECK(api.stop() == 0);
  fleet.signal(SIGTERM);
  CHECK(fleet.wait(30s) == 0);
}

TEST_CASE("REST API: beyond loopback only with a token; the token guards /api, not health") {
  nats_server nats;
  temp_dir dir;
  auto refused = run_program({test_support::server_bin(), "--http-listen", "0.0.0.0:0"}, dir.path(),
                             {{"NATS_URL", nats.url()}}, 30s);
  CHECK(refused.code == 2);
  CHECK(refused.err ==
        "iot-server: --http-listen 0.0.0.0:0 is reachable from other machines: set a token "
        "(--api-token or IOT_API_TOKEN) first\n");

  api_server api(nats, dir, {"--http-listen", "0.0.0.0:0", "--api-token", "s3cret-t0ken"});
  auto none = api.get("/api/v1/sensors");
  CHECK(none.status == 401);
  CHECK(none.header("WWW-Authenticate") == "Bearer");
  auto wrong = api.get("/api/v1/sensors", {"-H", "Authorization: Bearer guess"});
  CHECK(wrong.status == 401);
  CHECK(wrong.header("WWW-Authenticate") == "Bearer error=\"invalid_token\"");
  auto right = api.get("/api/v1/sensors", {"-H", "Authorization: Bearer s3cret-t0ken"});
  CHECK(right.status == 200);
  CHECK(api.get("/healthz").status == 200);
  CHECK(api.get("/metrics").status == 200);
  CHECK(api.stop() == 0);
  CHECK(api.process.err().find("s3cret-t0ken") == std::string::npos);
}

TEST_CASE("REST API over HTTPS; a certificate that cannot be read is refused at start") {
  nats_server nats;
  temp_dir dir;
  const auto tls = test_support::make_loopback_certificate(dir);
  REQUIRE_MESSAGE(tls.error.empty(), tls.error);
  const auto& cert = tls.cert;
  const auto& key = tls.key;

  auto missing = run_program({test_support::server_bin(), "--http-tls-cert", cert, "--http-tls-key",
                              (dir.path() / "nokey.pem").string()},
                             dir.path(), {{"NATS_URL", nats.url()}}, 30s);
  CHECK(missing.code == 2);
  CHECK(missing.err.find("nokey.pem") != std::string::npos);

  api_server api(nats, dir, {"--http-tls-cert", cert, "--http-tls-key", key});
  CHECK(api.base.starts_with("https://"));
  auto alive = api.get("/healthz", {"--cacert", cert});
  CHECK(alive.status == 200);
  CHECK(api.get("/api/v1/sensors", {"--cacert", cert}).status == 200);
  CHECK(api.stop() == 0);
}

TEST_CASE("REST API: commands: applied, rejected, queued for a stopped sensor, looked up later") {
  nats_server nats;
  temp_dir dir;
  api_server api(nats, dir);
  child_process sensor({test_support::sensor_bin(), "--sensorID", "c-1", "--interval", "200ms"},
                       dir.path(), {{"NATS_URL", nats.url()}});
  REQUIRE(eventually([&] { return api.get("/api/v1/sensors/c-1").status == 200; }, 30s));
  const std::vector<std::string> json{"-X", "PUT", "-H", "Content-Type: application/json", "-d"};
  auto put = [&](const std::string& path, const std::string& body) {
    auto args = json;
    args.push_back(body);
    return api.get(path, args);
  };

  auto applied = put("/api/v1/sensors/c-1/config", R"({"interval":"250ms"})");
  REQUIRE_MESSAGE(applied.status == 200, applied.body);
  auto a = json_of(applied);
  CHECK(a.at("status") == "applied");
  CHECK(a.at("config").at("interval") == "250ms");
  const std::string uuid(a.at("command_uuid").as_string());
  auto looked_up = api.get("/api/v1/commands/" + uuid);
  CHECK(looked_up.status == 200);
  CHECK(json_of(looked_up).at("status") == "applied");
  CHECK(json_of(looked_up).at("kind") == "update_config");
  // The registry follows the bucket.
  CHECK(eventually(
      [&] { return json_of(api.get("/api/v1/sensors/c-1/config")).at("interval_ms") == 250; },
      10s));
  CHECK(json_of(put("/api/v1/sensors/c-1/config", R"({"interval_ms":200})")).at("status") ==
        "applied");

  // A correction of the latest measurement, and of one the sensor never took.
  const auto lecture =
      json_of(api.get("/api/v1/sensors/c-1")).at("last_measurement").at("lecture_id");
  auto corrected =
      put("/api/v1/sensors/c-1/measurements/" + std::to_string(lecture.to_number<std::uint64_t>()),
          R"({"value":"99.5"})");
  CHECK(corrected.status == 200);
  auto rejected = put("/api/v1/sensors/c-1/measurements/1", R"({"value":"1"})");
  CHECK(rejected.status == 422);
  CHECK(rejected.header("Content-Type") == "application/problem+json");
  auto r = json_of(rejected);
  CHECK(r.at("title") == "Command rejected");
  CHECK(r.at("detail").as_string().find("lecture_id 1") != boost::json::string::npos);
  CHECK(rejected.header("Location") ==
        "/api/v1/commands/" + std::string(r.at("command_uuid").as_string()));

  // A sensor that does not run: queued, then applied once it runs again.
  sensor.signal(SIGSTOP);
  auto queued = put("/api/v1/sensors/c-1/config?timeout=300ms", R"({"interval":"1s"})");
  sensor.signal(SIGCONT);
  REQUIRE(queued.status == 202);
  CHECK(json_of(queued).at("status") == "queued");
  const auto later = queued.header("Location");
  CHECK(later.starts_with("/api/v1/commands/"));
  CHECK(eventually([&] { return json_of(api.get(later)).at("status") == "applied"; }, 10s));

  // What is wrong is refused before anything is sent.
  CHECK(put("/api/v1/sensors/nope/config", R"({"interval":"1s"})").status == 404);
  CHECK(api.get("/api/v1/sensors/c-1/config", {"-X", "PUT", "-d", R"({"interval":"1s"})"}).status ==
        415);
  CHECK(put("/api/v1/sensors/c-1/config", R"({"interval":)").status == 400);
  CHECK(put("/api/v1/sensors/c-1/config", R"(["1s"])").status == 400);
  CHECK(put("/api/v1/sensors/c-1/config", R"({"interval":"fast"})").status == 400);
  CHECK(put("/api/v1/sensors/c-1/config", R"({"interval":"0ms"})").status == 400);
  CHECK(put("/api/v1/sensors/c-1/config", R"({"interval":"1s","interval_ms":5})").status == 400);
  CHECK(put("/api/v1/sensors/c-1/config", R"({"interval":"1s","colour":"red"})").status == 400);
  CHECK(put("/api/v1/sensors/c-1/config?timeout=1h", R"({"interval":"1s"})").status == 400);
  CHECK(put("/api/v1/sensors/c-1/measurements/abc", R"({"value":"1"})").status == 400);
  CHECK(put("/api/v1/sensors/c-1/measurements/5", R"({"value":5})").status == 400);
  CHECK(api.get("/api/v1/commands/not-a-command").status == 404);

  auto metrics = api.get("/metrics").body;
  CHECK(metrics.find("iot_commands_total{outcome=\"rejected\"} 1") != std::string::npos);
  CHECK(metrics.find("iot_commands_total{outcome=\"queued\"} 1") != std::string::npos);

  // NATS gone: 503 at once, nothing half sent.
  nats.stop();
  CHECK(eventually([&] { return json_of(api.get("/readyz")).at("ready") == false; }, 10s));
  auto unreachable = put("/api/v1/sensors/c-1/config", R"({"interval":"1s"})");
  CHECK(unreachable.status == 503);
  CHECK(json_of(unreachable).at("detail").as_string().find("NATS") != boost::json::string::npos);

  CHECK(api.stop() == 0);
  sensor.signal(SIGKILL);
  sensor.wait(10s);
}

TEST_CASE("REST API: history as rows, pages and buckets, JSON or CSV; dead letters, newest first") {
  nats_server nats;
  temp_dir dir;
  api_server api(nats, dir);
  child_process sensor({test_support::sensor_bin(), "--sensorID", "h-1", "--interval", "100ms"},
                       dir.path(), {{"NATS_URL", nats.url()}});
  const std::string path = "/api/v1/sensors/h-1/measurements";
  REQUIRE(eventually(
      [&] {
        auto r = api.get(path);
        return r.status == 200 && json_of(r).at("rows").as_array().size() >= 5;
      },
      30s));

  auto rows = json_of(api.get(path));
  CHECK(rows.at("sensor_id") == "h-1");
  CHECK(rows.at("rows").as_array()[0].at("sensor_id") == "h-1");
  CHECK(rows.at("next_cursor").is_null());

  // Pages: a cursor, and the Link to the next page.
  auto first = api.get(path + "?limit=2");
  REQUIRE(first.status == 200);
  CHECK(json_of(first).at("rows").as_array().size() == 2);
  const std::string cursor(json_of(first).at("next_cursor").as_string());
  const auto link = first.header("Link");
  CHECK(link.starts_with("</api/v1/sensors/h-1/measurements?cursor="));
  CHECK(link.ends_with(">; rel=\"next\""));
  auto second = api.get(link.substr(1, link.find('>') - 1));
  REQUIRE(second.status == 200);
  auto first_rows = json_of(first).at("rows").as_array();
  auto second_rows = json_of(second).at("rows").as_array();
  REQUIRE(second_rows.size() == 2);
  CHECK(second_rows[0].at("lecture_id").to_number<std::uint64_t>() >
        first_rows[1].at("lecture_id").to_number<std::uint64_t>());

  // Buckets, and CSV.
  auto buckets = json_of(api.get(path + "?step=1m"));
  CHECK(buckets.at("step_ms") == 60000);
  CHECK(buckets.at("buckets").as_array().size() >= 1);
  auto csv = api.get(path, {"-H", "Accept: text/csv"});
  CHECK(csv.header("Content-Type") == "text/csv");
  CHECK(csv.body.starts_with("sensor_id,lecture_id,revision,seq,timestamp,value,lecture,unit,"));
  auto bucket_csv = api.get(path + "?step=1m", {"-H", "Accept: text/csv"});
  CHECK(bucket_csv.body.starts_with("start,min,max,avg,count,last\n"));

  // Wrong parameters are named.
  CHECK(json_of(api.get(path + "?from=yesterday")).at("detail").as_string().find("from") !=
        boost::json::string::npos);
  CHECK(api.get(path + "?step=1m&limit=5").status == 400);
  CHECK(api.get(path + "?revisions=maybe").status == 400);
  CHECK(api.get(path + "?limit=many").status == 400);
  CHECK(api.get(path + "?cursor=garbage").status == 400);
  CHECK(api.get(path + "?depth=3").status == 400);

  // A command the sensor cannot read becomes a dead letter.
  CHECK(json_of(api.get("/api/v1/deadletters")).at("deadletters").as_array().empty());
  asio::io_context ioc;
  test_support::run_async(ioc, [&]() -> asio::awaitable<int> {
    auto conn = co_await test_support::connect_to(nats);
    nats_asio::jetstream js(conn);
    for (const auto* body : {"not json", "{\"command_id\": 99}"})
      co_await js.async_publish("sensor.commands.h-1", body, asio::use_awaitable);
    co_await conn.async_drain(1s, asio::as_tuple(asio::use_awaitable));
    co_return 0;
  }());
  REQUIRE(eventually(
      [&] {
        return json_of(api.get("/api/v1/deadletters")).at("deadletters").as_array().size() == 2;
      },
      10s));
  auto letters = json_of(api.get("/api/v1/deadletters?sensor=h-1")).at("deadletters").as_array();
  REQUIRE(letters.size() == 2);
  CHECK(letters[0].at("payload") == "{\"command_id\": 99}");  // newest first
  CHECK(letters[1].at("payload") == "not json");
  CHECK(letters[0].at("deadletter_sequence").to_number<std::uint64_t>() >
        letters[1].at("deadletter_sequence").to_number<std::uint64_t>());
  auto one = json_of(api.get("/api/v1/deadletters?limit=1"));
  CHECK(one.at("deadletters").as_array().size() == 1);
  CHECK(one.at("more") == true);
  CHECK(json_of(api.get("/api/v1/deadletters?sensor=other")).at("deadletters").as_array().empty());
  CHECK(api.get("/api/v1/deadletters?limit=0").status == 400);

  CHECK(api.stop() == 0);
  sensor.signal(SIGTERM);
  CHECK(sensor.wait(30s) == 0);
}

namespace {

// The ids of the events a curl -N has printed so far, in order.
std::vector<std::uint64_t> event_ids(const std::string& out) {
  std::vector<std::uint64_t> ids;
  std::size_t at = 0;
  while ((at = out.find("\nid: ", at)) != std::string::npos) {
    at += 5;
    ids.push_back(std::stoull(out.substr(at, out.find('\n', at) - at)));
  }
  return ids;
}

child_process follow_events(const temp_dir& dir, const std::string& url,
                            std::vector<std::string> args = {}) {
  args.insert(args.begin(), {"/usr/bin/env", "curl", "-s", "-S", "-N"});
  args.push_back(url);
  return child_process(std::move(args), dir.path());
}

}  // namespace

TEST_CASE("REST API: events live and resumed with Last-Event-ID across a restart of iot-server") {
  nats_server nats;
  temp_dir dir;
  auto api = std::make_unique<api_server>(nats, dir);
  child_process fleet(
      {test_support::sensor_bin(), "--sensorID", "v", "--count", "2", "--interval", "100ms"},
      dir.path(), {{"NATS_URL", nats.url()}});

  // Live: measurements with the stream sequence as id; a command's result;
  // a sensor going offline.
  REQUIRE(ready(*api));
  auto all = follow_events(dir, api->url("/api/v1/events"));
  auto one = follow_events(dir, api->url("/api/v1/events?sensor=v.1"));
  REQUIRE(all.wait_for("event: measurement\nid: ", 30s));
  REQUIRE(one.wait_for("event: measurement\nid: ", 30s));
  auto applied = api->get(
      "/api/v1/sensors/v.2/config",
      {"-X", "PUT", "-H", "Content-Type: application/json", "-d", R"({"interval":"100ms"})"});
  CHECK(applied.status == 200);
  CHECK(all.wait_for("event: command_result\ndata: {\"command_uuid\":\"" +
                         std::string(json_of(applied).at("command_uuid").as_string()),
                     10s));
  CHECK(one.out().find("command_result") == std::string::npos);  // v.2's, not v.1's
  CHECK(one.out().find("\"sensor_id\":\"v.2\"") == std::string::npos);

  // Two measurements at least (the members' first ones are spread over the
  // interval, so they need not have come yet), to check their ids follow.
  REQUIRE(eventually([&] { return event_ids(all.out()).size() >= 2; }, 10s));

  // SIGTERM ends the streams cleanly (curl exits 0), with what they held.
  CHECK(api->stop() == 0);
  CHECK(all.wait(10s) == 0);
  CHECK(one.wait(10s) == 0);
  const auto seen = event_ids(all.out());
  REQUIRE(seen.size() >= 2);
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i] == seen[i - 1] + 1);
  const auto last = seen.back();

  // Measurements go on while iot-server is down; a new one resumes after
  // the last id seen: every later sequence, once, in order.
  api.reset();
  api = std::make_unique<api_server>(nats, dir);
  REQUIRE(ready(*api));
  auto resumed = follow_events(dir, api->url("/api/v1/events"),
                               {"-H", "Last-Event-ID: " + std::to_string(last)});
  REQUIRE(eventually([&] { return event_ids(resumed.out()).size() >= 30; }, 30s));
  const auto again = event_ids(resumed.out());
  CHECK(again.front() == last + 1);
  for (std::size_t i = 1; i < again.size(); ++i) CHECK(again[i] == again[i - 1] + 1);

  // A stopped sensor goes offline, as an event.
  auto status = follow_events(dir, api->url("/api/v1/events?sensor=v.1"));
  // 15 of its measurements (1.5 s) first: the server looks at statuses every
  // second, so it has seen v.1 online before it stops, whenever it started.
  REQUIRE(eventually(
      [&] {
        const auto out = status.out();
        std::size_t n = 0;
        for (auto at = out.find("event: measurement"); at != std::string::npos;
             at = out.find("event: measurement", at + 1))
          ++n;
        return n >= 15;
      },
      10s));
  fleet.signal(SIGSTOP);
  CHECK_MESSAGE(status.wait_for("event: sensor_status\ndata: {\"sensor_id\":\"v.1\","
                                "\"status\":\"offline\",\"previous\":\"online\"}",
                                10s),
                status.out());
  fleet.signal(SIGCONT);

  // Bad requests are refused before the stream opens.
  CHECK(api->get("/api/v1/events?sensor=not%20an%20id").status == 400);
  CHECK(api->get("/api/v1/events", {"-H", "Last-Event-ID: x"}).status == 400);
  CHECK(api->get("/api/v1/events?topic=x").status == 400);

  CHECK(api->stop() == 0);
  CHECK(resumed.wait(10s) == 0);
  CHECK(status.wait(10s) == 0);
  fleet.signal(SIGTERM);
  CHECK(fleet.wait(30s) == 0);
}

TEST_CASE("REST API through the project's own client (lib/http): a command and its event") {
  nats_server nats;
  temp_dir dir;
  api_server api(nats, dir);
  child_process sensor({test_support::sensor_bin(), "--sensorID", "o-1", "--interval", "200ms"},
                       dir.path(), {{"NATS_URL", nats.url()}});
  const auto port = api.port();
  const asio::ip::tcp::endpoint at{asio::ip::make_address("127.0.0.1"), port};
  asio::io_context ioc;
  std::vector<http::event> seen;
  std::optional<http::client_reply> put_reply;
  test_support::run_async(
      ioc,
      [&]() -> asio::awaitable<int> {
        auto c = co_await http::client::open(at);
        asio::steady_timer pause(co_await asio::this_coro::executor);
        for (int i = 0; (co_await c.request(http::verb::get, "/api/v1/sensors/o-1")).status != 200;
             ++i) {
          REQUIRE(i < 300);  // 30 s
          pause.expires_after(100ms);
          co_await pause.async_wait(asio::use_awaitable);
        }
        auto events = co_await http::client::open(at);
        asio::steady_timer put_done(ioc, std::chrono::steady_clock::time_point::max());
        bool sent = false;
        co_await events.follow_events("/api/v1/events?sensor=o-1", "", [&](const http::event& e) {
          seen.push_back(e);
          if (e.type == "measurement" && !sent) {
            sent = true;  // the command once the stream is open: its result is an event
            asio::co_spawn(
                ioc,
                [&]() -> asio::awaitable<void> {
                  put_reply = co_await c.request(http::verb::put, "/api/v1/sensors/o-1/config",
                                                 R"({"interval":"300ms"})", "application/json");
                  put_done.cancel();
                },
                asio::detached);
          }
          if (e.type == "command_result") events.close();
        });
        // The result's event may come before the PUT's answer; `c` must outlive it.
        if (!put_reply) co_await put_done.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return 0;
      }(),
      60s);
  REQUIRE(put_reply);
  CHECK(put_reply->status == 200);
  CHECK(boost::json::parse(put_reply->body).at("status") == "applied");
  REQUIRE(!seen.empty());
  CHECK(seen.front().type == "measurement");
  CHECK(std::stoull(seen.front().id) >= 1);
  CHECK(seen.back().type == "command_result");
  CHECK(boost::json::parse(seen.back().data).at("config").at("interval") == "300ms");
  CHECK(api.stop() == 0);
  sensor.signal(SIGTERM);
  CHECK(sensor.wait(30s) == 0);
}

TEST_CASE("REST API: a client sending a byte a second is cut off; the others are served") {
  nats_server nats;
  temp_dir dir;
  api_server api(nats, dir);
  const auto port = api.port();
  asio::io_context ioc;
  asio::ip::tcp::socket slow(ioc);
  slow.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string request =
      "GET /api/v1/sensors HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(64, 'p') + "\r\n\r\n";
  const auto began = std::chrono::steady_clock::now();
  std::atomic<bool> cut{false};
  std::thread writer([&] {
    for (char byte : request) {
      boost::system::error_code ec;
      asio::write(slow, asio::buffer(&byte, 1), ec);
      if (ec || cut) return;
      std::this_thread::sleep_for(1s);  // the behaviour under test: one byte a second
    }
  });
  char byte;
  boost::system::error_code ec;
  asio::read(slow, asio::buffer(&byte, 1), ec);  // until the server closes
  cut = true;
  const auto took = std::chrono::steady_clock::now() - began;
  writer.join();
  CHECK(ec);                                 // closed without an answer
  CHECK(took >= 9s);                         // the whole-request limit is 10 s ...
  CHECK(took < 30s);                         // ... and it is enforced, although bytes kept coming
  CHECK(api.get("/healthz").status == 200);  // others were served meanwhile
  CHECK(api.stop() == 0);
}
