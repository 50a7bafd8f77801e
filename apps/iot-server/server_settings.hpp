// iot-server's own settings, beside the NATS ones every program shares
// (app_settings.hpp), with the same precedence: flag > environment > .env >
// default.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "iot/settings.hpp"
#include "storage/database_url.hpp"

namespace server {

enum class role { ingest, http, all };

struct server_flags {
  std::optional<std::string> db;
  std::optional<std::string> role;
  std::optional<std::string> retention;
  std::optional<std::string> batch;
  std::optional<std::string> linger;
  std::optional<std::string> http_listen;
  std::optional<std::string> api_token;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> cors_origin;
};

void add_server_flags(CLI::App& app, server_flags& flags);

inline constexpr const char* default_database = "sqlite:.data/iot.db";

struct server_settings {
  storage::database_url db;
  server::role role = role::all;
  // Rows older than this are deleted in the background; nullopt: keep all.
  std::optional<std::chrono::milliseconds> retention;
  std::size_t batch = 5000;
  std::chrono::milliseconds linger{20};

  // The HTTP API, metrics and health checks.
  boost::asio::ip::tcp::endpoint http_listen{boost::asio::ip::make_address_v4("127.0.0.1"), 8080};
  std::string api_token;          // a secret: never logged; empty: no token asked
  std::string tls_cert, tls_key;  // both or neither: HTTPS
  std::string cors_origin;        // empty: no cross-origin access

  bool ingests() const { return role != role::http; }
  bool serves() const { return role != role::ingest; }
};

// nullopt and a one-line `error` naming the setting when a value is wrong.
std::optional<server_settings> resolve_server_settings(const server_flags& flags,
                                                       const iot::settings& s, std::string& error);

// A SQLite database's directory, made when missing: the embedded default
// needs nothing installed or created beforehand. Called before the event
// loop runs (it is file I/O). Returns "" or a one-line reason.
std::string make_database_directory(const server_settings& s);

}  // namespace server
