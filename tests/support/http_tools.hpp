// What the HTTP tests share: curl (an HTTP client independent of ours) run
// as a program, a loopback certificate, and where iot-server serves.
#pragma once

#include <string>
#include <vector>

#include "child_process.hpp"

namespace test_support {

struct curl_result {
  int exit_code = 0;  // curl's: 0, or why the transfer failed
  int status = 0;     // the HTTP status; 0 when there was no response
  std::string headers, body, err;
  // The value of the first header `name` (case-insensitive); "" when absent.
  std::string header(const std::string& name) const;
};

// `curl -s -S --path-as-is args...` in `dir` (its body lands in a file there),
// at most 30 s.
curl_result curl(const temp_dir& dir, std::vector<std::string> args);

// A self-signed certificate for 127.0.0.1 and its key, made by openssl in
// `dir`: {cert.pem, key.pem} as paths; empty paths and `error` when openssl
// failed.
struct tls_files {
  std::string cert, key, error;
};
tls_files make_loopback_certificate(const temp_dir& dir);

// Where iot-server says it serves HTTP ("HTTP API on http://0.0.0.0:PORT"
// in its log), as a loopback base URL: "http://127.0.0.1:PORT"; "" when
// the log does not say.
std::string logged_http_base(const std::string& log);

}  // namespace test_support
