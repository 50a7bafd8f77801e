#include "app_settings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <system_error>
#include <vector>

#include "iot/duration.hpp"

namespace apps {

void add_common_flags(CLI::App& app, common_flags& f) {
  app.add_option("--nats-url", f.nats_url,
                 "NATS server URL(s), comma-separated; tls://host:port requires TLS; a password "
                 "in user:password@ is a secret [env NATS_URL]");
  app.add_option("--env-file", f.env_file, "read settings from this file instead of ./.env");
  app.add_option("--user", f.user, "user name [env NATS_USER]");
  app.add_option("--password", f.password, "password [env NATS_PASSWORD, secret]");
  app.add_option("--token", f.token, "authentication token [env NATS_TOKEN, secret]");
  app.add_option("--creds", f.creds,
                 "credentials file: user JWT + NKey seed [env NATS_CREDS, secret]")
      ->type_name("FILE");
  app.add_option("--nkey", f.nkey, "NKey user seed file (SU...) [env NATS_NKEY, secret]")
      ->type_name("FILE");
  app.add_option("--tls-ca", f.tls_ca,
                 "CA certificates (PEM) to verify the server; enables TLS [env NATS_TLS_CA]")
      ->type_name("FILE");
  app.add_option("--tls-cert", f.tls_cert,
                 "client certificate (PEM) for mutual TLS; enables TLS [env NATS_TLS_CERT]")
      ->type_name("FILE");
  app.add_option("--tls-key", f.tls_key,
                 "private key (PEM) of the client certificate [env NATS_TLS_KEY, secret]")
      ->type_name("FILE");
  app.add_option("--replicas", f.replicas, "replicas of streams and bucket [env NATS_REPLICAS]");
  app.add_option("--start-timeout", f.start_timeout,
                 "how long each start-up step retries while the servers are not ready (a "
                 "cluster forming, a leader election), e.g. 60s [env NATS_START_TIMEOUT]");
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
// A positive duration setting ("2m", "500ms"), named `flag_name` when the
// flag gave it; false and `error` set if not.
bool read_duration(const iot::settings& s, const char* name, const char* fallback,
                   std::chrono::milliseconds& out, std::string& error,
                   const std::optional<std::string>& flag = std::nullopt,
                   const char* flag_name = nullptr) {
  const auto text = s.get(name, flag, fallback);
  const std::string named = flag ? flag_name : name;
  if (auto e = iot::parse_duration(text, out); !e.empty()) {
    error = named + ": " + e;
    return false;
  }
  if (out.count() <= 0) {
    error = named + " must be longer than 0 (got \"" + text + "\")";
    return false;
  }
  return true;
}

// The secret part of a URL's user info: the password, or a lone token.
std::string url_secret(std::string_view url) {
  const auto [begin, length] = nats_asio::url_user_info(url);
  if (begin == std::string_view::npos) return {};
  const auto info = url.substr(begin, length);
  const auto colon = info.find(':');
  return std::string(colon == std::string_view::npos ? info : info.substr(colon + 1));
}

void replace_all(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
    text.replace(at, secret.size(), "***");
}

// "" if `path` can be opened for reading as a regular file, else why not.
std::string unreadable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::system_category().message(errno);
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  return regular ? "" : "not a regular file";
}

// The security settings, checked before anything connects.
std::string check_security(const common_flags& f, const nats_asio::connect_options& c) {
  // Each setting is named as the user gave it: the flag, else the variable.
  auto name = [&](const std::optional<std::string>& flag, const char* flag_name,
                  const char* variable) { return std::string(flag ? flag_name : variable); };
  const std::string user = name(f.user, "--user", "NATS_USER");
  const std::string password = name(f.password, "--password", "NATS_PASSWORD");
  const std::string token = name(f.token, "--token", "NATS_TOKEN");
  const std::string creds = name(f.creds, "--creds", "NATS_CREDS");
  const std::string nkey = name(f.nkey, "--nkey", "NATS_NKEY");
  const std::string tls_ca = name(f.tls_ca, "--tls-ca", "NATS_TLS_CA");
  const std::string tls_cert = name(f.tls_cert, "--tls-cert", "NATS_TLS_CERT");
  const std::string tls_key = name(f.tls_key, "--tls-key", "NATS_TLS_KEY");

  struct file_setting {
    const std::string& path;
    const std::string& name;
  };
  const file_setting files[] = {{c.credentials_file, creds},
                                {c.nkey_seed_file, nkey},
                                {c.tls.ca_file, tls_ca},
                                {c.tls.cert_file, tls_cert},
                                {c.tls.key_file, tls_key}};
  for (const auto& file : files)
    if (!file.path.empty())
      if (auto e = unreadable(file.path); !e.empty())
        return file.name + ": cannot read " + file.path + " (" + e + ")";
  if (!c.tls.cert_file.empty() && c.tls.key_file.empty())
    return tls_cert + " needs the certificate's private key (--tls-key or NATS_TLS_KEY)";
  if (c.tls.cert_file.empty() && !c.tls.key_file.empty())
    return tls_key + " needs the client certificate (--tls-cert or NATS_TLS_CERT)";
  if (!c.password.empty() && c.user.empty())
    return password + " needs a user name (--user or NATS_USER)";

  std::vector<std::string> methods;
  bool url_credentials = false;
  for (const auto& url : c.servers)
    url_credentials |= nats_asio::url_user_info(url).first != std::string::npos;
  if (url_credentials) methods.push_back("credentials in the server URL");
  if (!c.user.empty()) methods.push_back(user + (c.password.empty() ? "" : "/" + password));
  if (!c.token.empty()) methods.push_back(token);
  if (!c.credentials_file.empty()) methods.push_back(creds);
  if (!c.nkey_seed_file.empty()) methods.push_back(nkey);
  if (methods.size() > 1) {
    std::string list;
    for (std::size_t i = 0; i < methods.size(); ++i)
      list += (i == 0 ? "" : i + 1 == methods.size() ? " and " : ", ") + methods[i];
    return "choose one authentication method, not " + list;
  }

  if (!c.nkey_seed_file.empty()) {
    std::string error;
    if (!nats_asio::nkey_public_key(c.nkey_seed_file, error)) return nkey + ": " + error;
  }
  return "";
}

}  // namespace

std::string connect_failure(const app_settings& s, const boost::system::error_code& ec,
                            const std::string& detail) {
  std::string urls;
  for (const auto& u : s.connect.servers)
    urls += (urls.empty() ? "" : ",") + nats_asio::redact_url(u);
  std::string text = "cannot connect to " + urls + ": " + ec.message() +
                     (detail.empty() ? "" : " (" + detail + ")");
  // In case nats.c's text ever repeats one of them.
  replace_all(text, s.connect.password);
  replace_all(text, s.connect.token);
  for (const auto& u : s.connect.servers) replace_all(text, url_secret(u));
  return text;
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
  c.nkey_seed_file = s.get("NATS_NKEY", f.nkey, "");
  c.tls.ca_file = s.get("NATS_TLS_CA", f.tls_ca, "");
  c.tls.cert_file = s.get("NATS_TLS_CERT", f.tls_cert, "");
  c.tls.key_file = s.get("NATS_TLS_KEY", f.tls_key, "");
  c.tls.enabled = !c.tls.ca_file.empty() || !c.tls.cert_file.empty() || !c.tls.key_file.empty();
  error = check_security(f, c);
  if (!error.empty()) return std::nullopt;

  auto& n = out.names;
  n.measurements_stream = s.get("NATS_MEASUREMENTS_STREAM", none, n.measurements_stream);
  n.measurements_subject = s.get("NATS_MEASUREMENTS_SUBJECT", none, n.measurements_subject);
  n.commands_stream = s.get("NATS_SENSOR_STREAM", none, n.commands_stream);
  n.commands_subject = s.get("NATS_SENSOR_SUBJECT", none, n.commands_subject);
  n.config_bucket = s.get("NATS_CONFIG_BUCKET", none, n.config_bucket);
  n.deadletter_stream = s.get("NATS_DEADLETTER_STREAM", none, n.deadletter_stream);
  n.deadletter_subject = s.get("NATS_DEADLETTER_SUBJECT", none, n.deadletter_subject);
  n.events_subject = s.get("NATS_EVENTS_SUBJECT", none, n.events_subject);
  n.history_subject = s.get("NATS_HISTORY_SUBJECT", none, n.history_subject);

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
      !read_duration(s, "NATS_COMMAND_ACK_WAIT", "30s", out.command_ack_wait, error) ||
      !read_duration(s, "NATS_START_TIMEOUT", "60s", out.start_timeout, error, f.start_timeout,
                     "--start-timeout"))
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
