// Drives a fuzz target without libFuzzer: runs fuzz_one on every file under
// the directories (or the files) named on the command line, then on inputs
// generated here because they are too large to keep in the corpus. A
// violated invariant aborts; exit status 0 means every input passed.
//   fuzz_replay_<target> tests/fuzz/corpus/<target>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace fs = std::filesystem;

namespace {

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// `head` (an object without its closing brace) with a "pad" string field that
// makes the whole payload exactly `total` bytes.
std::string padded(const std::string& head, std::size_t total) {
  const std::string open = head + R"(,"pad":")";
  return open + std::string(total - open.size() - 2, 'x') + "\"}";
}

// Large and pathological inputs, the same for every target: each target reads
// bytes, and what is JSON for one is a bad duration or .env file for another.
std::vector<std::string> generated_inputs() {
  const std::string command = R"({"command_id":1,"new_interval_milliseconds":5000)";
  const std::string edit = R"({"command_id":2,"metric_id":1)";
  const std::string measurement = R"({"lecture_id":1,"sensor_id":"s","lecture":"1")";
  const std::string config = R"({"sensor_id":"s","interval_ms":1000)";
  std::vector<std::string> in;
  // Payloads at the 64 KiB limit and one byte over.
  for (const auto& head : {command, measurement, config})
    for (std::size_t total : {65535, 65536, 65537}) in.push_back(padded(head, total));
  in.push_back(std::string(1 << 20, ' '));
  in.push_back(std::string(1 << 20, '\0'));
  // Strings at and beyond their own limits.
  for (std::size_t n : {4096, 4097, 60000})
    in.push_back(edit + R"(,"new_measurement_value":")" + std::string(n, 'v') + "\"}");
  in.push_back(measurement + R"(,"unit":")" + repeat("\xe2\x82\xac", 20000) + "\"}");
  in.push_back(measurement + R"(,"unit":")" + repeat("\\u20ac", 10000) + "\"}");
  in.push_back(config + R"(,"last_command_id":")" + repeat("\xf0\x9f\x98\x80", 15000) + "\"}");
  // Invalid UTF-8 deep inside an ignored field of a large payload.
  in.push_back(config + R"(,"x":[")" + std::string(30000, 'a') + "\xc0\xaf\"]}");
  // Deep nesting: at the limit, just beyond, and far beyond.
  for (std::size_t depth : {31, 32, 100000}) {
    in.push_back(command + R"(,"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}");
    in.push_back(config + R"(,"x":)" + repeat(R"({"a":)", depth) + "1" + std::string(depth, '}') +
                 "}");
  }
  in.push_back(std::string(1 << 16, '['));
  in.push_back(repeat(R"({"a":)", 20000));
  // Huge numbers.
  in.push_back(edit + R"(,"new_measurement_value":"v","metric_id":1)" + std::string(400, '0') +
               "}");
  in.push_back(measurement + R"(,"value":1)" + std::string(400, '0') + "}");
  in.push_back(measurement + R"(,"value":0.)" + std::string(60000, '0') + "1}");
  in.push_back(config + R"(,"x":-)" + std::string(60000, '9') + "}");
  // Durations: long digit runs and long fractions.
  in.push_back(std::string(100000, '9') + "ms");
  in.push_back("0." + std::string(100000, '0') + "1s");
  in.push_back("0." + std::string(100000, '9') + "h0." + std::string(100000, '9') + "ms");
  in.push_back(std::string(100000, '0') + "1h");
  in.push_back(repeat("1h", 50000));
  // .env files: one long line, many lines, long quoted values.
  in.push_back("A=" + std::string(1 << 20, 'a'));
  in.push_back(repeat("A=1\n", 100000));
  in.push_back(repeat("export B_1 = \"x\\n\\\"y\" # c\r\n", 20000));
  in.push_back("C=\"" + std::string(1 << 20, '\\') + "\"");
  in.push_back("D='" + std::string(1 << 20, 'd'));
  in.push_back(repeat("=\n", 50000));
  // Every byte value.
  std::string bytes;
  for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
  in.push_back(bytes);
  return in;
}

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return !f.bad();
}

int run(const std::string& input) {
  return fuzz_one(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else if (fs::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...: found no input files\n", argv[0]);
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::string input;
  for (const auto& path : files) {
    if (!read_file(path, input)) {
      std::fprintf(stderr, "%s: cannot read\n", path.c_str());
      return 2;
    }
    std::fprintf(stderr, "%s\n", path.c_str());  // the last name printed is the one that failed
    run(input);
  }
  const auto generated = generated_inputs();
  for (std::size_t i = 0; i < generated.size(); ++i) {
    std::fprintf(stderr, "generated input %zu (%zu bytes)\n", i, generated[i].size());
    run(generated[i]);
  }
  std::printf("%zu corpus files and %zu generated inputs: every invariant holds\n", files.size(),
              generated.size());
  return 0;
}
