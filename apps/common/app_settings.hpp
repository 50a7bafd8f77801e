// Settings shared by iot-sensor and iot-sim, resolved with the precedence
// flag > environment > .env > default, plus the connection they make.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "iot/settings.hpp"
#include "iot/wire.hpp"
#include "nats_asio/connect_options.hpp"

namespace apps {

// Flags every program accepts; unset optionals fall back to the environment.
struct common_flags {
  std::optional<std::string> nats_url;
  std::optional<std::string> env_file;
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::optional<std::string> token;
  std::optional<std::string> creds;
  std::optional<std::string> nkey;
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> replicas;
  std::optional<std::string> start_timeout;
};

// For --help: which settings are secrets (also marked "secret" on each option).
inline constexpr const char* secrets_note =
    "Secrets (never printed): --password/NATS_PASSWORD, --token/NATS_TOKEN, and the files "
    "named by --creds/NATS_CREDS, --nkey/NATS_NKEY and --tls-key/NATS_TLS_KEY.";

void add_common_flags(CLI::App& app, common_flags& flags);

struct app_settings {
  nats_asio::connect_options connect;
  iot::wire_names names;
  int replicas = 1;
  std::chrono::nanoseconds measurements_max_age{std::chrono::hours(24 * 7)};
  std::int64_t measurements_max_bytes = 1024LL * 1024 * 1024;
  // Retries of a measurement within this window are dropped as duplicates.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  // An unacknowledged command is redelivered after this long.
  std::chrono::milliseconds command_ack_wait{std::chrono::seconds(30)};
  // How long each start-up step retries while servers are not ready yet
  // (start_retry.hpp).
  std::chrono::milliseconds start_timeout{std::chrono::seconds(60)};
};

// "cannot connect to <urls>: <reason> (<nats.c's text>)", one line. URLs are
// redacted, and the password and token never appear, wherever they came from.
std::string connect_failure(const app_settings& s, const boost::system::error_code& ec,
                            const std::string& detail);

// Resolves every setting; on failure returns nullopt and sets `error` to one
// line. Checks up front that files named by settings are readable, that a
// client certificate comes with its key, that the NKey seed file holds a user
// seed, and that at most one authentication method is chosen.
std::optional<app_settings> resolve_settings(const common_flags& flags, const std::string& name,
                                             std::string& error);

}  // namespace apps
