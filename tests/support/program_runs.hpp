// What the end-to-end tests share to run the built programs: where they are
// (set by meson in the test environment), iot-sim against a test server, and
// reading a number from the JSON they print.
#pragma once

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "nats_server.hpp"

namespace test_support {

inline std::string sensor_bin() { return std::getenv("IOT_SENSOR_BIN"); }
inline std::string sim_bin() { return std::getenv("IOT_SIM_BIN"); }
inline std::string server_bin() { return std::getenv("IOT_SERVER_BIN"); }

// `iot-sim args...` against `server`, run in `dir` (at most 30 s).
inline run_result run_sim(const nats_server& server, const temp_dir& dir,
                          std::vector<std::string> args) {
  args.insert(args.begin(), sim_bin());
  return run_program(std::move(args), dir.path(), {{"NATS_URL", server.url()}},
                     std::chrono::seconds(30));
}

// The unsigned number `name` of the JSON object `json`.
inline std::uint64_t json_u64(const std::string& json, const char* name) {
  return boost::json::parse(json).at(name).to_number<std::uint64_t>();
}

}  // namespace test_support
