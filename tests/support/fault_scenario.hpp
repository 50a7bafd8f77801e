// A fault scenario against real nats-server processes: sensors publish, a
// fault hits the server side, the sensors are stopped with SIGTERM, and the
// stream is audited against what each sensor says it took. Shared by the
// `faults` test suite and the `iot-faults` tool.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace test_support {

enum class fault_kind {
  server_restart,  // kill -9 the only server, restart it on the same store after `down`
  leader_kill,     // 3-node cluster, replicas 3: kill -9 the measurements stream's leader
  server_pause,    // SIGSTOP the server for `down`, then SIGCONT (a hung, not a dead, server)
};

struct fault_options {
  fault_kind kind = fault_kind::server_restart;
  int sensors = 3;
  std::string interval = "10ms";
  std::chrono::milliseconds before{1000};  // publishing before the fault
  std::chrono::milliseconds down{3000};    // how long the fault lasts
  std::chrono::milliseconds after{1000};   // publishing after recovery
  std::size_t buffer = 10000;              // iot-sensor --buffer
  std::string duplicate_window = "2m";     // NATS_DUPLICATE_WINDOW
  // After the fault (during it, for leader_kill): an edit_config through
  // iot-sim must be applied, and get_config must answer.
  bool check_commands = true;
  std::string sensor_bin;
  std::string sim_bin;
  std::function<void(const std::string&)> progress;  // narration, may be empty
};

struct sensor_tally {
  std::string id;
  int exit_code = -1;
  bool summary_found = false;
  std::uint64_t published = 0;  // measurements taken (from the sensor's summary)
  std::uint64_t acknowledged = 0;
  std::uint64_t unacknowledged = 0;
  std::uint64_t stored = 0;      // distinct seq values in the stream
  std::uint64_t lost = 0;        // seq 1..published missing from the stream
  std::uint64_t duplicated = 0;  // extra copies of a seq
  bool paused = false;           // the sensor logged "measuring paused" (buffer full)
};

struct fault_report {
  std::vector<sensor_tally> sensors;
  std::uint64_t published = 0, stored = 0, lost = 0, duplicated = 0;
  std::vector<std::string> problems;  // anything else that went wrong, one line each

  // "published N, stored N, lost 0, duplicated 0"
  std::string line() const;
};

// Runs the scenario; throws std::runtime_error when it cannot be set up.
fault_report run_fault_scenario(const fault_options& options);

}  // namespace test_support
