// Fuzz target: configuration input. Every input is read as a .env file (by
// parse_dotenv and by settings::load) and as a sensor's stored config JSON.
// What parse_dotenv keeps are valid names whose values, written back quoted,
// parse to the same map; its errors are numbered lines in order. What
// decode_sensor_config accepts is within the documented limits and survives
// encode and decode.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "iot/duration.hpp"
#include "iot/sensor_config.hpp"
#include "iot/sensor_id.hpp"
#include "iot/settings.hpp"

using namespace std::chrono_literals;

namespace {

bool is_name(const std::string& n) {
  const auto start = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  if (n.empty() || !start(n.front())) return false;
  for (const char c : n)
    if (!start(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

// `v` in double quotes, escaped so that parse_dotenv reads it back unchanged.
std::string double_quoted(const std::string& v) {
  std::string out = "\"";
  for (const char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out + '"';
}

std::size_t line_count(std::string_view text) {
  std::size_t n = 1;
  for (const char c : text) n += c == '\n';
  return n;
}

std::map<std::string, std::string> check_dotenv(std::string_view in) {
  std::vector<std::string> errors;
  const auto values = iot::parse_dotenv(in, errors);
  const auto lines = line_count(in);
  std::size_t previous = 0;
  for (const auto& e : errors) {
    FUZZ_CHECK(fuzz::is_reason(e));
    FUZZ_CHECK(e.rfind("line ", 0) == 0);
    const auto colon = e.find(": ");
    FUZZ_CHECK(colon != std::string::npos && colon > 5 && e.size() > colon + 2);
    const auto number = std::strtoull(e.c_str() + 5, nullptr, 10);
    FUZZ_CHECK(number > previous && number <= lines);
    previous = number;
  }
  for (const auto& [name, value] : values) FUZZ_CHECK(is_name(name));

  // Written back (quoted, with and without "export ", LF and CRLF), the map reads back the same.
  std::string plain, exported;
  for (const auto& [name, value] : values) {
    plain += name + '=' + double_quoted(value) + '\n';
    exported += "export " + name + " = " + double_quoted(value) + " # again\r\n";
  }
  for (const auto& text : {plain, exported}) {
    std::vector<std::string> again_errors;
    const auto again = iot::parse_dotenv(text, again_errors);
    FUZZ_CHECK(again_errors.empty());
    FUZZ_CHECK(again == values);
  }
  return values;
}

// settings::load on the input as a file (kept in memory), with the getenv lookup.
void check_load(std::string_view in, const std::map<std::string, std::string>& values) {
  static const int fd = ::memfd_create("fuzz-dotenv", 0);
  if (fd < 0) return;  // no memfd here: parse_dotenv is checked above
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, in.data(), in.size(), 0) != static_cast<ssize_t>(in.size()))
    return;
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  std::string error = "marker";
  const auto s = iot::settings::load(path, error);

  std::vector<std::string> errors;
  iot::parse_dotenv(in, errors);
  if (errors.empty())
    FUZZ_CHECK(error.empty());
  else
    FUZZ_CHECK(error == path + ": " + errors.front());

  const std::optional<std::string> flag = "flag";
  const std::optional<std::string> no_flag;
  for (const auto& [name, value] : values) {
    const char* env = std::getenv(name.c_str());
    FUZZ_CHECK(s.get(name, no_flag, "fallback") == (env ? std::string(env) : value));
    FUZZ_CHECK(s.source(name, no_flag) == (env ? "environment" : ".env"));
    FUZZ_CHECK(s.get(name, flag, "fallback") == "flag");
  }
}

iot::sensor_config marker() {
  iot::sensor_config c;
  c.schema = 7;
  c.sensor_id = "\xff marker";
  c.interval = -7ms;
  return c;
}

void check_sensor_config(std::string_view in) {
  auto c = marker();
  const auto e = iot::decode_sensor_config(in, c);
  if (!e.empty()) {
    FUZZ_CHECK(fuzz::is_reason(e));
    FUZZ_CHECK(c == marker());
    return;
  }
  FUZZ_CHECK(in.size() <= fuzz::max_payload_bytes);
  FUZZ_CHECK(fuzz::valid_utf8(in));
  FUZZ_CHECK(c.schema == 1);
  FUZZ_CHECK(iot::is_valid_sensor_id(c.sensor_id));
  FUZZ_CHECK(iot::interval_error(c.interval).empty());
  FUZZ_CHECK(c.interval >= iot::min_interval && c.interval <= iot::max_interval);
  FUZZ_CHECK(fuzz::valid_utf8(c.last_command_id));

  const auto text = iot::encode(c);
  if (text.size() > fuzz::max_payload_bytes) return;  // the default fields added may not fit
  auto expected = c;
  expected.updated_at = fuzz::to_ms(expected.updated_at);
  iot::sensor_config back;
  FUZZ_CHECK(iot::decode_sensor_config(text, back).empty());
  FUZZ_CHECK(back == expected);
  FUZZ_CHECK(iot::encode(back) == text);
}

}  // namespace

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::text_of(data, size);
  check_load(in, check_dotenv(in));
  check_sensor_config(in);
  return 0;
}
