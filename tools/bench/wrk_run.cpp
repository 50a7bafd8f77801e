#include "wrk_run.hpp"

#include <regex>
#include <stdexcept>

#include "program_process.hpp"

namespace bench {

double wrk_duration_ms(const std::string& text) {
  std::size_t used = 0;
  const double value = std::stod(text, &used);
  const auto unit = text.substr(used);
  if (unit == "us") return value / 1000;
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  throw std::runtime_error("wrk: unknown duration \"" + text + "\"");
}

wrk_result run_wrk(const std::string& url, int threads, int connections, int seconds,
                   const std::filesystem::path& dir) {
  program_process wrk(
      {"/usr/bin/wrk", "-t", std::to_string(threads), "-c", std::to_string(connections), "-d",
       std::to_string(seconds) + "s", "--latency", url},
      dir);
  if (const int code = wrk.wait(std::chrono::seconds(seconds + 30)); code != 0)
    throw std::runtime_error("wrk exited with " + std::to_string(code) + ": " + wrk.stderr_tail());
  const auto out = wrk.stdout_text();
  wrk_result r;
  std::smatch m;
  auto find = [&](const char* pattern) {
    if (!std::regex_search(out, m, std::regex(pattern)))
      throw std::runtime_error(std::string("wrk's report has no ") + pattern + ":\n" + out);
    return m[1].str();
  };
  r.requests_per_second = std::stod(find(R"(Requests/sec:\s+([0-9.]+))"));
  r.requests = std::stoull(find(R"((\d+) requests in)"));
  r.p50_ms = wrk_duration_ms(find(R"(\n\s+50%\s+([0-9.]+[a-z]+))"));
  r.p99_ms = wrk_duration_ms(find(R"(\n\s+99%\s+([0-9.]+[a-z]+))"));
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))")))
    r.errors += std::stoull(m[1].str());
  if (std::regex_search(
          out, m,
          std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))")))
    for (int i = 1; i <= 4; ++i) r.errors += std::stoull(m[i].str());
  return r;
}

}  // namespace bench
