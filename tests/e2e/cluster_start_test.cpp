// Sensors started together with a fresh 3-node cluster, as people start a
// cluster and its clients: while the cluster forms, JetStream requests time
// out or find no leader, and each start-up step must wait rather than exit.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include "child_process.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_cluster.hpp"
#include "nats_server.hpp"
#include "program_runs.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test_support::child_process;
using test_support::nats_cluster;
using test_support::sensor_bin;
using test_support::temp_dir;

namespace {

// The sequence numbers stored in MEASUREMENTS_STREAM, by sensor id.
std::map<std::string, std::vector<std::uint64_t>> stored_seqs(nats_cluster& cluster) {
  asio::io_context ioc;
  std::map<std::string, std::vector<std::uint64_t>> out;
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::string> urls;
    for (int i = 0; i < cluster.size(); ++i) urls.push_back(cluster.node(i).url());
    auto conn = co_await test_support::connect_to(urls);
    nats_asio::jetstream js(conn);
    for (const auto& payload : co_await test_support::stored_payloads(js, "MEASUREMENTS_STREAM",
                                                                      "sensor.measurements.>")) {
      const auto o = boost::json::parse(payload).as_object();
      out[std::string(o.at("sensor_id").as_string())].push_back(
          o.at("seq").to_number<std::uint64_t>());
    }
  }());
  return out;
}

// "published N, acknowledged N, unacknowledged N" from the summary line.
struct summary_counts {
  std::uint64_t published = 0, acknowledged = 0, unacknowledged = 0;
};
summary_counts parse_summary(const std::string& out) {
  std::smatch m;
  const std::regex line(R"(summary: published (\d+), acknowledged (\d+), unacknowledged (\d+))");
  REQUIRE_MESSAGE(std::regex_search(out, m, line), out);
  return {std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3])};
}

}  // namespace

TEST_CASE("sensors started together with a fresh 3-node cluster all run and store seq 1..N") {
  // The nodes accept clients, but have not elected a JetStream meta leader yet.
  nats_cluster cluster(3, nats_cluster::wait_until::listening);
  temp_dir dir;
  const std::vector<std::string> ids{"early-1", "early-2", "early-3"};
  std::vector<std::unique_ptr<child_process>> sensors;
  for (const auto& id : ids)
    sensors.push_back(std::make_unique<child_process>(
        std::vector<std::string>{sensor_bin(), "--sensorID", id, "--interval", "100ms"}, dir.path(),
        test_support::env_list{{"NATS_URL", cluster.urls()}, {"NATS_REPLICAS", "3"}}));

  // Each logs a measurement once the stream has stored it: the third one
  // shows that the sensor got through every start-up step and runs.
  for (std::size_t k = 0; k < ids.size(); ++k) {
    INFO(ids[k]);
    REQUIRE_MESSAGE(sensors[k]->wait_for(ids[k] + ": published seq=3 ", 50s, true),
                    sensors[k]->err());
  }
  // All still running: SIGTERM ends each with exit code 0 (one that had
  // given up at start-up would have exited with 1 already).
  std::map<std::string, summary_counts> summaries;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    INFO(ids[k]);
    sensors[k]->signal(SIGTERM);
    REQUIRE_MESSAGE(sensors[k]->wait(30s) == 0, sensors[k]->err());
    summaries[ids[k]] = parse_summary(sensors[k]->out());
  }

  cluster.await_ready();
  const auto stored = stored_seqs(cluster);
  CHECK(stored.size() == ids.size());
  for (const auto& id : ids) {
    INFO(id);
    const auto& counts = summaries.at(id);
    CHECK(counts.published >= 3);
    CHECK(counts.acknowledged == counts.published);
    CHECK(counts.unacknowledged == 0);
    REQUIRE(stored.count(id) == 1);
    const auto& seqs = stored.at(id);
    // seq 1..N, each once, N = what the sensor published.
    const std::set<std::uint64_t> unique(seqs.begin(), seqs.end());
    CHECK(unique.size() == seqs.size());
    CHECK(seqs.size() == counts.published);
    CHECK(*unique.begin() == 1);
    CHECK(*unique.rbegin() == seqs.size());
  }
}

TEST_CASE("a sensor whose cluster never forms gives up after --start-timeout, saying so") {
  // One node of a three-node cluster whose peers never come: it accepts
  // clients, but JetStream requests go unanswered for want of a quorum.
  std::vector<int> peer_ports{test_support::reserve_port(), test_support::reserve_port()};
  const int route_port = test_support::reserve_port();
  test_support::nats_server_options o;
  o.start = false;
  o.config_text =
      "server_name: n1\ncluster {\n  name: iot\n  listen: 127.0.0.1:" + std::to_string(route_port) +
      "\n  routes: [nats-route://127.0.0.1:" + std::to_string(peer_ports[0]) +
      ", nats-route://127.0.0.1:" + std::to_string(peer_ports[1]) + "]\n}\n";
  test_support::nats_server lone(std::move(o));
  lone.launch();
  lone.await_listening();
  temp_dir dir;
  auto run = test_support::run_program(
      {sensor_bin(), "--sensorID", "lonely", "--start-timeout", "1s"}, dir.path(),
      {{"NATS_URL", lone.url()}, {"NATS_REPLICAS", "3"}}, 60s);
  CHECK(run.code == 1);
  CHECK_MESSAGE(run.err.find("ERROR lonely: stream MEASUREMENTS_STREAM") != std::string::npos,
                run.err);
  CHECK_MESSAGE(
      run.err.find("(gave up after 1s of retries; --start-timeout)\n") != std::string::npos,
      run.err);
  for (int p : peer_ports) test_support::release_port(p);
  test_support::release_port(route_port);
}
