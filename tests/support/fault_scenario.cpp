#include "fault_scenario.hpp"

#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "iot/measurement.hpp"
#include "iot/wire.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_cluster.hpp"
#include "nats_server.hpp"
#include "run_async.hpp"

namespace test_support {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

// The servers a scenario runs against: one, or a cluster of three.
struct servers {
  std::unique_ptr<nats_server> single;
  std::unique_ptr<nats_cluster> cluster;
  std::string urls() const { return single ? single->url() : cluster->urls(); }
};

awaitable<nats_asio::connection> connect_urls(const std::string& urls) {
  nats_asio::connection conn(co_await asio::this_coro::executor);
  nats_asio::connect_options o;
  o.servers.clear();
  for (std::size_t at = 0; at < urls.size();) {
    auto comma = urls.find(',', at);
    if (comma == std::string::npos) comma = urls.size();
    o.servers.push_back(urls.substr(at, comma - at));
    at = comma + 1;
  }
  o.name = "fault-audit";
  o.send_asap = true;
  auto [ec, detail] = co_await conn.async_connect(o, as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("cannot connect to " + urls + ": " + detail);
  co_return conn;
}

// Every revision-1 measurement's seq on `subject`, in stream order.
std::vector<std::uint64_t> stored_seqs(const std::string& urls, const std::string& subject) {
  asio::io_context ioc;
  std::vector<std::uint64_t> seqs;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect_urls(urls);
        nats_asio::jetstream js(conn, 15s);  // patient with a cluster still electing
        nats_asio::consumer_config cc;
        cc.filter_subject = subject;
        cc.ack = nats_asio::ack_policy::none;
        cc.memory_storage = true;
        const iot::wire_names names;
        // A cluster that lost a node may need a while to elect the stream's leader.
        const auto until = std::chrono::steady_clock::now() + 60s;
        auto [ec, sub] = co_await js.async_subscribe(names.measurements_stream, cc, 65536,
                                                     as_tuple(use_awaitable));
        while (ec && std::chrono::steady_clock::now() < until) {
          asio::steady_timer pause(co_await asio::this_coro::executor, 500ms);
          co_await pause.async_wait(use_awaitable);
          std::tie(ec, sub) = co_await js.async_subscribe(names.measurements_stream, cc, 65536,
                                                          as_tuple(use_awaitable));
        }
        if (ec) throw std::runtime_error("cannot read " + subject + ": " + ec.message());
        const auto pending = sub.info().num_pending;
        for (std::uint64_t i = 0; i < pending; ++i) {
          auto msg = co_await sub.async_receive(use_awaitable);
          iot::measurement m;
          if (!iot::decode_measurement(msg.payload(), m).empty())
            throw std::runtime_error("malformed measurement on " + subject);
          if (m.revision <= 1) seqs.push_back(m.seq);
        }
        sub.unsubscribe();
        co_await conn.async_close(use_awaitable);
      }(),
      120s);
  return seqs;
}

// The leader of the measurements stream, as a node index of the cluster.
int measurements_leader(nats_cluster& cluster) {
  asio::io_context ioc;
  std::string leader;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_urls(cluster.urls());
    nats_asio::jetstream js(conn, 15s);  // patient on a loaded machine
    const iot::wire_names names;
    leader =
        (co_await js.async_stream_info(names.measurements_stream, use_awaitable)).cluster.leader;
    co_await conn.async_close(use_awaitable);
  }());
  const int index = cluster.index_of(leader);
  if (index < 0)
    throw std::runtime_error("no leader for the measurements stream (\"" + leader + "\")");
  return index;
}

void tally_stream(sensor_tally& t, const std::vector<std::uint64_t>& seqs) {
  std::map<std::uint64_t, std::uint64_t> copies;
  for (auto s : seqs) ++copies[s];
  t.stored = copies.size();
  for (const auto& [seq, n] : copies) {
    t.duplicated += n - 1;
    if (seq == 0 || seq > t.published) ++t.duplicated;  // not a measurement it took
  }
  for (std::uint64_t s = 1; s <= t.published; ++s)
    if (!copies.count(s)) ++t.lost;
}

}  // namespace

std::string fault_report::line() const {
  return "published " + std::to_string(published) + ", stored " + std::to_string(stored) +
         ", lost " + std::to_string(lost) + ", duplicated " + std::to_string(duplicated);
}

fault_report run_fault_scenario(const fault_options& o) {
  auto say = [&](const std::string& text) {
    if (o.progress) o.progress(text);
  };
  servers srv;
  if (o.kind == fault_kind::leader_kill) {
    say("starting a 3-node cluster");
    srv.cluster = std::make_unique<nats_cluster>(3);
  } else {
    srv.single = std::make_unique<nats_server>();
  }
  const std::string urls = srv.urls();
  temp_dir dir;
  const env_list env{{"NATS_URL", urls},
                     {"NATS_REPLICAS", srv.cluster ? "3" : "1"},
                     {"NATS_DUPLICATE_WINDOW", o.duplicate_window}};

  say("starting " + std::to_string(o.sensors) + " sensors, interval " + o.interval);
  std::vector<std::unique_ptr<child_process>> sensors;
  fault_report report;
  for (int i = 1; i <= o.sensors; ++i) {
    const auto id = "sensor-" + std::to_string(i);
    sensors.push_back(std::make_unique<child_process>(
        std::vector<std::string>{o.sensor_bin, "--sensorID", id, "--interval", o.interval,
                                 "--buffer", std::to_string(o.buffer), "--log-level", "info",
                                 // Ends as soon as all is acknowledged: a long grace only
                                 // gives a slow recovery (a cluster election) time.
                                 "--shutdown-grace", "60s"},
        dir.path(), env));
    if (!sensors.back()->wait_for("started:", 30s, true))
      throw std::runtime_error(id + " did not start: " + sensors.back()->err().substr(0, 2000));
    report.sensors.push_back({id});
  }

  auto sim = [&](std::vector<std::string> args) {
    args.insert(args.begin(), o.sim_bin);
    return run_program(std::move(args), dir.path(), env, 60s);
  };
  auto check_commands = [&](const std::string& when) {
    if (!o.check_commands) return;
    auto edit = sim(
        {"edit_config", "--sensorID", "sensor-1", "--interval", o.interval, "--timeout", "20s"});
    if (edit.code != 0)
      report.problems.push_back("edit_config " + when + " exited " + std::to_string(edit.code) +
                                ": " + edit.err + edit.out);
    auto get = sim({"get_config", "--sensorID", "sensor-1"});
    if (get.code != 0)
      report.problems.push_back("get_config " + when + " exited " + std::to_string(get.code) +
                                ": " + get.err);
  };

  std::this_thread::sleep_for(o.before);
  switch (o.kind) {
    case fault_kind::server_restart: {
      say("kill -9 the server, restart it " + std::to_string(o.down.count()) + " ms later");
      srv.single->kill_hard();
      std::this_thread::sleep_for(o.down);
      srv.single->start();
      check_commands("after the restart");
      break;
    }
    case fault_kind::server_pause: {
      say("SIGSTOP the server for " + std::to_string(o.down.count()) + " ms");
      ::kill(srv.single->pid(), SIGSTOP);
      std::this_thread::sleep_for(o.down);
      ::kill(srv.single->pid(), SIGCONT);
      check_commands("after the pause");
      break;
    }
    case fault_kind::leader_kill: {
      const int leader = measurements_leader(*srv.cluster);
      say("kill -9 " + nats_cluster::name_of(leader) + ", the measurements stream's leader");
      const auto killed_at = std::chrono::steady_clock::now();
      srv.cluster->node(leader).kill_hard();
      check_commands("with the leader down");
      std::this_thread::sleep_until(killed_at + o.down);
      // Not waiting for /healthz: a rejoining node reports its replicas of
      // the busy consumers "not current" for a while, and nothing here needs it.
      srv.cluster->node(leader).launch();
      break;
    }
  }
  std::this_thread::sleep_for(o.after);

  say("stopping the sensors (SIGTERM)");
  for (auto& s : sensors) s->signal(SIGTERM);
  const std::regex summary(R"(summary: published (\d+), acknowledged (\d+), unacknowledged (\d+))");
  for (std::size_t i = 0; i < sensors.size(); ++i) {
    auto& t = report.sensors[i];
    t.exit_code = sensors[i]->wait(60s);
    const auto out = sensors[i]->out();
    std::smatch m;
    if (std::regex_search(out, m, summary)) {
      t.summary_found = true;
      t.published = std::stoull(m[1]);
      t.acknowledged = std::stoull(m[2]);
      t.unacknowledged = std::stoull(m[3]);
    } else {
      report.problems.push_back(t.id + " printed no summary (exit " + std::to_string(t.exit_code) +
                                ")");
    }
    if (t.exit_code != 0)
      report.problems.push_back(t.id + " exited " + std::to_string(t.exit_code) + ": " +
                                sensors[i]->err().substr(0, 2000));
    t.paused = sensors[i]->err().find("measuring paused") != std::string::npos;
  }

  say("auditing the stream");
  const iot::wire_names names;
  for (auto& t : report.sensors) {
    tally_stream(t, stored_seqs(urls, names.measurements_of(t.id)));
    report.published += t.published;
    report.stored += t.stored;
    report.lost += t.lost;
    report.duplicated += t.duplicated;
  }
  return report;
}

}  // namespace test_support
