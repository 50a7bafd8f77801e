#include "server_settings.hpp"

#include <charconv>
#include <filesystem>
#include <system_error>

#include "http/listen_address.hpp"
#include "iot/duration.hpp"

namespace server {

void add_server_flags(CLI::App& app, server_flags& f) {
  app.add_option("--db", f.db,
                 "database: sqlite:PATH or postgresql://USER@HOST:PORT/DB; a password in the URL "
                 "is a secret [env IOT_DB, default sqlite:.data/iot.db]");
  app.add_option("--role", f.role,
                 "ingest (store measurements), http (answer queries) or all [env IOT_ROLE, "
                 "default all]");
  app.add_option("--retention", f.retention,
                 "delete measurements older than this, e.g. 30d (default: keep everything) [env "
                 "IOT_RETENTION]");
  app.add_option("--batch", f.batch,
                 "measurements written per transaction at most [env IOT_INGEST_BATCH, default "
                 "5000]");
  app.add_option("--linger", f.linger,
                 "how long a batch waits for more once the stream runs dry, e.g. 20ms [env "
                 "IOT_INGEST_LINGER, default 20ms]");
  app.add_option("--http-listen", f.http_listen,
                 "HOST:PORT of the REST API, metrics and health checks; anything but loopback "
                 "needs --api-token [env IOT_HTTP_LISTEN, default 127.0.0.1:8080]");
  app.add_option("--api-token", f.api_token,
                 "a secret every /api request must bear (Authorization: Bearer ...) [env "
                 "IOT_API_TOKEN]");
  app.add_option(
      "--http-tls-cert", f.tls_cert,
      "PEM certificate chain: serve HTTPS (with --http-tls-key) [env IOT_HTTP_TLS_CERT]");
  app.add_option("--http-tls-key", f.tls_key, "PEM private key [env IOT_HTTP_TLS_KEY]");
  app.add_option("--cors-origin", f.cors_origin,
                 "an origin (https://host:port) whose pages may call the API, or * [env "
                 "IOT_CORS_ORIGIN, default none]");
}

namespace {

std::string named(const std::string& env, const std::optional<std::string>& flag,
                  const char* flag_name) {
  return flag ? std::string(flag_name) : env;
}

}  // namespace

std::optional<server_settings> resolve_server_settings(const server_flags& f,
                                                       const iot::settings& s, std::string& error) {
  server_settings out;
  const auto db_text = s.get("IOT_DB", f.db, default_database);
  std::string why;
  auto url = storage::parse_database_url(db_text, why);
  if (!url) {
    error = named("IOT_DB", f.db, "--db") + ": " + why;
    return std::nullopt;
  }
  out.db = std::move(*url);

  const auto role_text = s.get("IOT_ROLE", f.role, "all");
  if (role_text == "ingest") {
    out.role = role::ingest;
  } else if (role_text == "http") {
    out.role = role::http;
  } else if (role_text == "all") {
    out.role = role::all;
  } else {
    error = named("IOT_ROLE", f.role, "--role") + " must be ingest, http or all (got \"" +
            role_text + "\")";
    return std::nullopt;
  }

  if (const auto text = s.get("IOT_RETENTION", f.retention, ""); !text.empty()) {
    std::chrono::milliseconds d{};
    if (auto e = iot::parse_duration(text, d); !e.empty()) {
      error = named("IOT_RETENTION", f.retention, "--retention") + ": " + e;
      return std::nullopt;
    }
    if (d.count() <= 0) {
      error = named("IOT_RETENTION", f.retention, "--retention") + " must be positive";
      return std::nullopt;
    }
    out.retention = d;
  }

  const auto batch_text = s.get("IOT_INGEST_BATCH", f.batch, "5000");
  std::size_t batch = 0;
  auto [end, ec] = std::from_chars(batch_text.data(), batch_text.data() + batch_text.size(), batch);
  if (ec != std::errc() || end != batch_text.data() + batch_text.size() || batch == 0 ||
      batch > 100000) {
    error = named("IOT_INGEST_BATCH", f.batch, "--batch") +
            " must be a whole number from 1 to 100000 (got \"" + batch_text + "\")";
    return std::nullopt;
  }
  out.batch = batch;

  const auto linger_text = s.get("IOT_INGEST_LINGER", f.linger, "20ms");
  if (auto e = iot::parse_duration(linger_text, out.linger); !e.empty()) {
    error = named("IOT_INGEST_LINGER", f.linger, "--linger") + ": " + e;
    return std::nullopt;
  }

  const auto listen_name = named("IOT_HTTP_LISTEN", f.http_listen, "--http-listen");
  auto listen =
      http::parse_listen_address(s.get("IOT_HTTP_LISTEN", f.http_listen, "127.0.0.1:8080"), why);
  if (!listen) {
    error = listen_name + ": " + why;
    return std::nullopt;
  }
  out.http_listen = *listen;
  out.api_token = s.get("IOT_API_TOKEN", f.api_token, "");
  if (out.api_token.empty() && !out.http_listen.address().is_loopback()) {
    error = listen_name + " " + http::to_string(out.http_listen) +
            " is reachable from other machines: set a token (--api-token or IOT_API_TOKEN) "
            "first";
    return std::nullopt;
  }
  out.tls_cert = s.get("IOT_HTTP_TLS_CERT", f.tls_cert, "");
  out.tls_key = s.get("IOT_HTTP_TLS_KEY", f.tls_key, "");
  if (out.tls_cert.empty() != out.tls_key.empty()) {
    error = "HTTPS needs both a certificate and a key (--http-tls-cert, --http-tls-key)";
    return std::nullopt;
  }
  out.cors_origin = s.get("IOT_CORS_ORIGIN", f.cors_origin, "");
  return out;
}

std::string make_database_directory(const server_settings& s) {
  if (s.db.type != storage::database_url::kind::sqlite) return "";
  const auto dir = std::filesystem::path(s.db.target).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (!ec) return "";
  return "cannot open database " + s.db.masked + ": cannot create directory " + dir.string() +
         ": " + ec.message();
}

}  // namespace server
