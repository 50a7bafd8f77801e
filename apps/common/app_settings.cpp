#include "app_settings.hpp"

#include <sstream>

#include "iot/duration.hpp"

namespace apps {

void add_common_flags(CLI::App& app, common_flags& f) {
  app.add_option("--nats-url", f.nats_url, "NATS server URL(s), comma-separated [env NATS_URL]");
  app.add_option("--env-file", f.env_file, "read settings from this file instead of ./.env");
  app.add_option("--user", f.user, "user name [env NATS_USER]");
  app.add_option("--password", f.password, "password [env NATS_PASSWORD, secret]");
  app.add_option("--token", f.token, "authentication token [env NATS_TOKEN, secret]");
  app.add_option("--creds", f.creds, "credentials file [env NATS_CREDS]");
  app.add_option("--replicas", f.replicas, "replicas of streams and bucket [env NATS_REPLICAS]");
}

namespace {
std::vector<std::string> split_urls(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string url;
  while (std::getline(in, url, ','))
    if (!url.empty()) out.push_back(url);
  return out;
}
// A positive duration setting ("2m", "500ms"); false and `error` set if not.
bool read_duration(const iot::settings& s, const char* name, const char* fallback,
                   std::chrono::milliseconds& out, std::string& error) {
  const std::optional<std::string> none;
  const auto text = s.get(name, none, fallback);
  if (auto e = iot::parse_duration(text, out); !e.empty()) {
    error = std::string(name) + ": " + e;
    return false;
  }
  if (out.count() <= 0) {
    error = std::string(name) + " must be longer than 0 (got \"" + text + "\")";
    return false;
  }
  return true;
}

}  // namespace

std::string connect_failure(const app_settings& s, const boost::system::error_code& ec,
                            const std::string& detail) {
  std::string urls;
  for (const auto& u : s.connect.servers) urls += (urls.empty() ? "" : ",") + u;
  return "cannot connect to " + urls + ": " + ec.message() +
         (detail.empty() ? "" : " (" + detail + ")");
}

std::optional<app_settings> resolve_settings(const common_flags& f, const std::string& name,
                                             std::string& error) {
  auto s = iot::settings::load(f.env_file, error);
  if (!error.empty()) return std::nullopt;
  app_settings out;
  const std::optional<std::string> none;
  auto& c = out.connect;
  c.servers = split_urls(s.get("NATS_URL", f.nats_url, "nats://localhost:4222"));
  if (c.servers.empty()) {
    error = "NATS_URL is empty";
    return std::nullopt;
  }
  c.name = name;
  c.user = s.get("NATS_USER", f.user, "");
  c.password = s.get("NATS_PASSWORD", f.password, "");
  c.token = s.get("NATS_TOKEN", f.token, "");
  c.credentials_file = s.get("NATS_CREDS", f.creds, "");

  auto& n = out.names;
  n.measurements_stream = s.get("NATS_MEASUREMENTS_STREAM", none, n.measurements_stream);
  n.measurements_subject = s.get("NATS_MEASUREMENTS_SUBJECT", none, n.measurements_subject);
  n.commands_stream = s.get("NATS_SENSOR_STREAM", none, n.commands_stream);
  n.commands_subject = s.get("NATS_SENSOR_SUBJECT", none, n.commands_subject);
  n.config_bucket = s.get("NATS_CONFIG_BUCKET", none, n.config_bucket);
  n.deadletter_stream = s.get("NATS_DEADLETTER_STREAM", none, n.deadletter_stream);
  n.deadletter_subject = s.get("NATS_DEADLETTER_SUBJECT", none, n.deadletter_subject);
  n.events_subject = s.get("NATS_EVENTS_SUBJECT", none, n.events_subject);

  const auto replicas = s.get("NATS_REPLICAS", f.replicas, "1");
  if (replicas != "1" && replicas != "3" && replicas != "5") {
    error = "NATS_REPLICAS must be 1, 3 or 5 (got \"" + replicas + "\")";
    return std::nullopt;
  }
  out.replicas = std::stoi(replicas);

  std::chrono::milliseconds age{};
  const auto age_text = s.get("NATS_MEASUREMENTS_MAX_AGE", none, "168h");
  if (auto e = iot::parse_duration(age_text, age); !e.empty()) {
    error = "NATS_MEASUREMENTS_MAX_AGE: " + e;
    return std::nullopt;
  }
  out.measurements_max_age = age;
  if (!read_duration(s, "NATS_DUPLICATE_WINDOW", "2m", out.duplicate_window, error) ||
      !read_duration(s, "NATS_COMMAND_ACK_WAIT", "30s", out.command_ack_wait, error))
    return std::nullopt;
  const auto bytes = s.get("NATS_MEASUREMENTS_MAX_BYTES", none, "1073741824");
  try {
    std::size_t used = 0;
    out.measurements_max_bytes = std::stoll(bytes, &used);
    if (used != bytes.size() || out.measurements_max_bytes == 0 || out.measurements_max_bytes < -1)
      throw std::invalid_argument(bytes);
  } catch (const std::exception&) {
    error =
        "NATS_MEASUREMENTS_MAX_BYTES must be a positive byte count or -1 (got \"" + bytes + "\")";
    return std::nullopt;
  }
  return out;
}

}  // namespace apps
