// iot-faults: runs one fault scenario against real nats-server processes and
// prints "published N, stored N, lost 0, duplicated 0". Exit code 0 when
// nothing was lost or duplicated and nothing else went wrong, 1 otherwise,
// 2 for bad arguments.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "fault_scenario.hpp"

int main(int argc, char** argv) {
  using test_support::fault_kind;
  CLI::App app{"iot-faults: kill, pause or lose a leader under load, then audit the stream"};
  test_support::fault_options o;
  std::string scenario = "restart";
  int before_ms = 1000, down_ms = 3000, after_ms = 1000;
  // The programs built beside this tool (the tests run in another directory).
  const auto here = std::filesystem::absolute(argv[0]).parent_path().parent_path();
  o.sensor_bin = (here / "apps" / "iot-sensor").string();
  o.sim_bin = (here / "apps" / "iot-sim").string();
  app.add_option("scenario", scenario,
                 "restart (kill -9 + restart), pause (SIGSTOP), leader "
                 "(kill the stream leader of a 3-node cluster)")
      ->check(CLI::IsMember({"restart", "pause", "leader"}))
      ->capture_default_str();
  app.add_option("--sensors", o.sensors, "sensors publishing")->capture_default_str();
  app.add_option("--interval", o.interval, "their interval")->capture_default_str();
  app.add_option("--before", before_ms, "ms of publishing before the fault")->capture_default_str();
  app.add_option("--down", down_ms, "ms the fault lasts")->capture_default_str();
  app.add_option("--after", after_ms, "ms of publishing after recovery")->capture_default_str();
  app.add_option("--buffer", o.buffer, "iot-sensor --buffer")->capture_default_str();
  app.add_option("--duplicate-window", o.duplicate_window, "the stream's duplicate window")
      ->capture_default_str();
  app.add_option("--sensor-bin", o.sensor_bin, "iot-sensor to run")->capture_default_str();
  app.add_option("--sim-bin", o.sim_bin, "iot-sim to run")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (o.sensors < 1) {
    std::cerr << "iot-faults: --sensors must be at least 1\n";
    return 2;
  }
  o.kind = scenario == "pause"    ? fault_kind::server_pause
           : scenario == "leader" ? fault_kind::leader_kill
                                  : fault_kind::server_restart;
  o.before = std::chrono::milliseconds(before_ms);
  o.down = std::chrono::milliseconds(down_ms);
  o.after = std::chrono::milliseconds(after_ms);
  o.progress = [](const std::string& text) { std::cerr << "iot-faults: " << text << '\n'; };
  try {
    const auto report = test_support::run_fault_scenario(o);
    for (const auto& t : report.sensors)
      std::cerr << "  " << t.id << ": published " << t.published << ", stored " << t.stored
                << ", lost " << t.lost << ", duplicated " << t.duplicated
                << (t.paused ? " (buffer filled: measuring paused)" : "") << '\n';
    for (const auto& p : report.problems) std::cerr << "iot-faults: " << p << '\n';
    std::cout << report.line() << std::endl;
    return report.lost == 0 && report.duplicated == 0 && report.problems.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "iot-faults: " << e.what() << '\n';
    return 1;
  }
}
