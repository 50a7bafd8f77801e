#include "http_tools.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>

namespace test_support {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string curl_result::header(const std::string& name) const {
  std::istringstream in(headers);
  const auto wanted = lower(name) + ":";
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!lower(line).starts_with(wanted)) continue;
    auto value = line.substr(wanted.size());
    value.erase(0, value.find_first_not_of(' '));
    return value;
  }
  return "";
}

curl_result curl(const temp_dir& dir, std::vector<std::string> args) {
  const auto body_file = dir.path() / "curl-body";
  args.insert(args.begin(), {"/usr/bin/env", "curl", "-s", "-S", "--path-as-is", "-D", "-", "-o",
                             body_file.string()});
  args.push_back("-w");
  args.push_back("\n%{http_code}");
  const auto r = run_program(args, dir.path(), {}, std::chrono::seconds(30));
  curl_result out;
  out.exit_code = r.code;
  out.err = r.err;
  const auto last = r.out.rfind('\n');
  out.headers = last == std::string::npos ? "" : r.out.substr(0, last);
  try {
    out.status = std::stoi(r.out.substr(last == std::string::npos ? 0 : last + 1));
  } catch (const std::exception&) {
    out.status = 0;
  }
  std::ifstream in(body_file);
  out.body.assign(std::istreambuf_iterator<char>(in), {});
  std::filesystem::remove(body_file);
  return out;
}

tls_files make_loopback_certificate(const temp_dir& dir) {
  const auto r = run_program(
      {"/usr/bin/env", "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days",
       "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
      dir.path(), {}, std::chrono::seconds(30));
  if (r.code != 0) return {"", "", "openssl req: " + r.err};
  return {(dir.path() / "cert.pem").string(), (dir.path() / "key.pem").string(), ""};
}

std::string logged_http_base(const std::string& log) {
  const std::string marker = "HTTP API on ";
  const auto at = log.find(marker);
  if (at == std::string::npos) return "";
  const auto scheme_end = log.find("://", at);
  const auto end = log.find_first_of(" \n", scheme_end);
  if (scheme_end == std::string::npos || end == std::string::npos) return "";
  const auto scheme = log.substr(at + marker.size(), scheme_end - at - marker.size());
  const auto host_port = log.substr(scheme_end + 3, end - scheme_end - 3);
  return scheme + "://127.0.0.1:" + host_port.substr(host_port.rfind(':') + 1);
}

}  // namespace test_support
