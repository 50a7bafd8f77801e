// iot-server: keeps every measurement of the stream in a database, answers
// history queries, and serves the REST API, health checks and metrics.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "../common/app_settings.hpp"
#include "../common/cli_parse.hpp"
#include "../common/logger.hpp"
#include "../common/run_program.hpp"
#include "http/tls.hpp"
#include "iot/wire.hpp"
#include "server.hpp"
#include "server_settings.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "iot-server: keeps every measurement in a database, answers history queries, and serves "
      "the REST API"};
  std::string log_level = "info";
  bool quiet = false;
  server::server_flags own_flags;
  apps::common_flags flags;
  server::add_server_flags(app, own_flags);
  app.add_option("--log-level", log_level, "error, warn, info or debug")->capture_default_str();
  app.add_flag("--quiet", quiet, "log errors only");
  apps::add_common_flags(app, flags);
  app.footer(std::string(apps::secrets_note) + " A password in --db/IOT_DB is never printed.");
  if (auto rc = apps::parse_command_line(app, argc, argv, "iot-server")) return *rc;

  auto usage = [](const std::string& text) {
    std::cerr << "iot-server: " << text << '\n';
    return 2;
  };
  auto level = apps::parse_log_level(log_level);
  if (!level) return usage("--log-level must be error, warn, info or debug");
  if (quiet) level = apps::log_level::error;

  std::string error;
  auto nats = apps::resolve_settings(flags, "iot-server", error);
  if (!nats) return usage(error);
  // Replies to its own requests arrive under _INBOX.historian, so that the
  // historian's identity (tools/gen-perms.sh) need not read other inboxes.
  nats->connect.inbox_prefix = iot::wire_names::inbox_prefix("historian");
  auto env = iot::settings::load(flags.env_file, error);
  if (!error.empty()) return usage(error);
  auto own = server::resolve_server_settings(own_flags, env, error);
  if (!own) return usage(error);

  apps::logger log("iot-server", *level);
  if (auto e = server::make_database_directory(*own); !e.empty()) {
    log.error(e);
    return 1;
  }
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (!own->tls_cert.empty()) {
    tls = http::load_tls(own->tls_cert, own->tls_key, error);  // file I/O: before the loop
    if (!tls) return usage(error);
  }
  boost::asio::io_context ioc;
  server::server_runtime runtime(ioc.get_executor(), std::move(*nats), std::move(*own),
                                 std::move(tls), log);
  return apps::run_until_done(
      ioc, runtime.run(), [&] { runtime.stop(); }, log);
}
