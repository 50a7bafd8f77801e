// The programs' security settings: up-front checks and what gets printed.
#include "../../apps/common/app_settings.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "nats_asio/error.hpp"
#include "nkey_signing.hpp"

namespace fs = std::filesystem;
namespace nk = test_support::nkey;

namespace {

// A temporary directory with an empty .env, removed with the object.
struct scratch {
  scratch() {
    std::string pattern = (fs::temp_directory_path() / "app-settings-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    flags.env_file = write("empty.env", "");
  }
  ~scratch() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  std::string resolve() {
    std::string error;
    auto s = apps::resolve_settings(flags, "test", error);
    CHECK((s.has_value() == error.empty()));
    if (s) settings = *s;
    return error;
  }
  fs::path dir;
  apps::common_flags flags;
  apps::app_settings settings;
};

}  // namespace

TEST_CASE("URLs are printed with their password or token masked") {
  CHECK(nats_asio::redact_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222");
  CHECK(nats_asio::redact_url("nats://bob:hunter2@127.0.0.1:4222") ==
        "nats://bob:***@127.0.0.1:4222");
  CHECK(nats_asio::redact_url("tls://s3cr3t-token@host:4222/") == "tls://***@host:4222/");
  CHECK(nats_asio::redact_url("bob:pw@host:4222") == "bob:***@host:4222");
  CHECK(nats_asio::redact_url("nats://bob:p@ss@host") == "nats://bob:***@host");
  CHECK(nats_asio::redact_url("nats://host/path@x") == "nats://host/path@x");
}

TEST_CASE("a connect failure never repeats a secret") {
  apps::app_settings s;
  s.connect.servers = {"nats://bob:hunter2@127.0.0.1:1", "nats://t0ken@127.0.0.1:2"};
  s.connect.password = "pa55word";
  s.connect.token = "t0ken";
  const boost::system::error_code ec = nats_asio::errc::timeout;
  const auto text = apps::connect_failure(s, ec, "server said pa55word and hunter2");
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("pa55word") == std::string::npos);
  CHECK(text.find("t0ken") == std::string::npos);
  CHECK(text.find("nats://bob:***@127.0.0.1:1,nats://***@127.0.0.1:2") != std::string::npos);
  CHECK(text.find('\n') == std::string::npos);
}

TEST_CASE("security settings: flags and variables, checked up front") {
  scratch t;
  const auto seed = nk::random_seed(nk::key_type::user);
  const auto seed_file = t.write("user.nk", std::string(seed.view()) + "\n");
  const auto cert = t.write("client.pem", "certificate");
  const auto key = t.write("client.key", "key");

  t.flags.nkey = seed_file;
  t.flags.tls_ca = cert;
  REQUIRE(t.resolve() == "");
  CHECK(t.settings.connect.nkey_seed_file == seed_file);
  CHECK(t.settings.connect.tls.enabled);
  CHECK(t.settings.connect.tls.ca_file == cert);

  t.flags.tls_cert = cert;
  CHECK(t.resolve() ==
        "--tls-cert needs the certificate's private key (--tls-key or NATS_TLS_KEY)");
  t.flags.tls_key = key;
  REQUIRE(t.resolve() == "");
  CHECK(t.settings.connect.tls.cert_file == cert);
  CHECK(t.settings.connect.tls.key_file == key);
  t.flags.tls_cert.reset();
  CHECK(t.resolve() == "--tls-key needs the client certificate (--tls-cert or NATS_TLS_CERT)");
  t.flags.tls_cert = cert;

  t.flags.token = "t";
  CHECK(t.resolve() == "choose one authentication method, not --token and --nkey");
  t.flags.user = "u";
  t.flags.password = "p";
  CHECK(t.resolve() ==
        "choose one authentication method, not --user/--password, --token and --nkey");
  t.flags.user.reset();
  t.flags.token.reset();
  t.flags.nkey.reset();
  CHECK(t.resolve() == "--password needs a user name (--user or NATS_USER)");
  t.flags.password.reset();
  t.flags.nats_url = "nats://a:b@127.0.0.1:4222";
  t.flags.creds = cert;
  CHECK(t.resolve() ==
        "choose one authentication method, not credentials in the server URL and --creds");
  t.flags.nats_url.reset();
  t.flags.creds.reset();

  t.flags.nkey = (t.dir / "missing.nk").string();
  CHECK(t.resolve() == "--nkey: cannot read " + *t.flags.nkey + " (No such file or directory)");
  t.flags.nkey = t.dir.string();
  CHECK(t.resolve() == "--nkey: cannot read " + *t.flags.nkey + " (not a regular file)");
  std::string broken(seed.view());
  broken[40] = broken[40] == 'A' ? 'B' : 'A';
  t.flags.nkey = t.write("broken.nk", broken + "\n");
  const auto error = t.resolve();
  CHECK(error == "--nkey: NKey seed file " + *t.flags.nkey +
                     ": the user seed is malformed: checksum mismatch");
  CHECK(error.find(broken) == std::string::npos);
}

TEST_CASE("security settings from the environment are named as variables") {
  scratch t;
  ::setenv("NATS_TLS_KEY", t.write("k.pem", "key").c_str(), 1);
  CHECK(t.resolve() == "NATS_TLS_KEY needs the client certificate (--tls-cert or NATS_TLS_CERT)");
  ::setenv("NATS_TLS_CERT", (t.dir / "absent.pem").c_str(), 1);
  CHECK(t.resolve().starts_with("NATS_TLS_CERT: cannot read "));
  ::setenv("NATS_TLS_CERT", t.write("c.pem", "cert").c_str(), 1);
  CHECK(t.resolve() == "");
  CHECK(t.settings.connect.tls.enabled);
  ::unsetenv("NATS_TLS_KEY");
  ::unsetenv("NATS_TLS_CERT");
}

TEST_CASE("the start-up timeout: flag > environment > .env > 60 s, positive") {
  using namespace std::chrono_literals;
  scratch t;
  REQUIRE(t.resolve() == "");
  CHECK(t.settings.start_timeout == 60s);
  t.flags.env_file = t.write("timeout.env", "NATS_START_TIMEOUT=2m\n");
  REQUIRE(t.resolve() == "");
  CHECK(t.settings.start_timeout == 2min);
  ::setenv("NATS_START_TIMEOUT", "90s", 1);
  REQUIRE(t.resolve() == "");
  CHECK(t.settings.start_timeout == 90s);
  t.flags.start_timeout = "500ms";
  REQUIRE(t.resolve() == "");
  CHECK(t.settings.start_timeout == 500ms);
  t.flags.start_timeout = "0s";
  CHECK(t.resolve() == "--start-timeout must be longer than 0 (got \"0s\")");
  t.flags.start_timeout.reset();
  ::setenv("NATS_START_TIMEOUT", "soon", 1);
  CHECK(t.resolve().starts_with("NATS_START_TIMEOUT: "));
  ::unsetenv("NATS_START_TIMEOUT");
}
