// iot-sensor and iot-sim against a server that requires an NKey and a client
// certificate (mutual TLS), settings from flags, then from the environment;
// iot-sim against servers requiring user/password, a token, or a credentials
// file (operator mode); wrong credentials fail fast with one line; secrets
// never show in any output.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "auth_material.hpp"
#include "child_process.hpp"
#include "nats_server.hpp"
#include "program_runs.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::child_process;
using test_support::env_list;
using test_support::nats_server;
using test_support::nats_server_options;
using test_support::run_program;
using test_support::run_result;
using test_support::sensor_bin;
using test_support::sim_bin;
using test_support::temp_dir;
using test_support::write_private_file;

namespace {

// The programs' connect timeout (connect_options' default).
constexpr auto connect_timeout = 2s;
// What starting and ending a process may add to it on a busy machine.
constexpr auto start_allowance = 1s;

// A JetStream server requiring a known NKey over mutual TLS, and the files a
// client needs: the right ones and wrong ones.
struct secure_setup {
  secure_setup()
      : pki(dir.path()),
        server(options(pki, user)),
        seed(write_private_file(dir.path() / "user.nk", user.seed + "\n")),
        stranger_seed(write_private_file(dir.path() / "stranger.nk", stranger.seed + "\n")) {}

  static nats_server_options options(const test_support::test_pki& pki,
                                     const test_support::nkey_user& user) {
    nats_server_options so;
    so.config_text = "authorization { users = [ { nkey: " + user.public_key + " } ] }\n" +
                     pki.server_block(true);
    return so;
  }

  // Every setting as flags.
  std::vector<std::string> flags(const fs::path& nkey) const {
    return {"--nats-url", server.url(),           "--nkey",     nkey.string(),
            "--tls-ca",   pki.ca.string(),        "--tls-cert", pki.client_cert.string(),
            "--tls-key",  pki.client_key.string()};
  }
  // Every setting as environment variables, with a tls:// URL.
  env_list environment() const {
    return {{"NATS_URL", "tls://127.0.0.1:" + std::to_string(server.port())},
            {"NATS_NKEY", seed.string()},
            {"NATS_TLS_CA", pki.ca.string()},
            {"NATS_TLS_CERT", pki.client_cert.string()},
            {"NATS_TLS_KEY", pki.client_key.string()}};
  }

  temp_dir dir;
  test_support::nkey_user user, stranger;
  test_support::test_pki pki;
  nats_server server;
  fs::path seed, stranger_seed;
};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A run that must fail: exit code 1 and exactly one line on stderr, soon.
run_result refused(std::vector<std::string> argv, const fs::path& cwd, env_list env = {}) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_program(std::move(argv), cwd, std::move(env), 30s);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_MESSAGE(r.code == 1, r.err);
  CHECK_MESSAGE(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
  CHECK(r.err.find("cannot connect to") != std::string::npos);
  CHECK_MESSAGE(took < connect_timeout + start_allowance,
                std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  return r;
}

// The sensor publishes and answers, and iot-sim reads it back, both with the
// same settings; then the sensor stops cleanly.
void sensor_and_sim_work(const secure_setup& s, const std::vector<std::string>& settings,
                         const env_list& env, const std::string& id) {
  child_process sensor(concat({sensor_bin(), "--sensorID", id, "--interval", "200ms"}, settings),
                       s.dir.path(), env);
  REQUIRE_MESSAGE(sensor.wait_for("started:", 15s, true), sensor.err());
  auto config =
      run_program(concat({sim_bin(), "get_config", "--sensorID", id}, settings), s.dir.path(), env);
  CHECK_MESSAGE(config.code == 0, config.err);
  CHECK(config.out.find("interval 200ms") != std::string::npos);
  auto measured = run_program(
      concat({sim_bin(), "subscribe", "--sensorID", id, "--from", "all", "--count", "2"}, settings),
      s.dir.path(), env);
  CHECK_MESSAGE(measured.code == 0, measured.err);
  CHECK(measured.out.find(id + " seq=2") != std::string::npos);
  auto changed = run_program(
      concat({sim_bin(), "edit_config", "--sensorID", id, "--interval", "1s"}, settings),
      s.dir.path(), env);
  CHECK_MESSAGE(changed.code == 0, changed.out << changed.err);
  sensor.signal(SIGTERM);
  CHECK(sensor.wait(15s) == 0);
}

void check_never_shows(const run_result& r, const std::string& secret) {
  CHECK_MESSAGE(r.out.find(secret) == std::string::npos, r.out);
  CHECK_MESSAGE(r.err.find(secret) == std::string::npos, r.err);
}

}  // namespace

TEST_CASE("NKey and mutual TLS, every setting from flags") {
  secure_setup s;
  sensor_and_sim_work(s, s.flags(s.seed), {}, "secure-flags");
}

TEST_CASE("NKey and mutual TLS, every setting from the environment") {
  secure_setup s;
  sensor_and_sim_work(s, {}, s.environment(), "secure-env");
}

TEST_CASE("user/password, token and a credentials file, from flags and from the environment") {
  temp_dir dir;
  auto works = [&](const nats_server& server, std::vector<std::string> flags, env_list env) {
    flags.insert(flags.begin(), {sim_bin(), "list", "--nats-url", server.url()});
    auto from_flags = run_program(flags, dir.path());
    CHECK_MESSAGE(from_flags.code == 0, from_flags.err);
    CHECK(from_flags.out.find("no sensors") != std::string::npos);
    env.emplace_back("NATS_URL", server.url());
    auto from_env = run_program({sim_bin(), "list"}, dir.path(), env);
    CHECK_MESSAGE(from_env.code == 0, from_env.err);
  };
  {
    nats_server_options so;
    so.extra_args = {"--user", "admin", "--pass", "pa55"};
    nats_server server(so);
    works(server, {"--user", "admin", "--password", "pa55"},
          {{"NATS_USER", "admin"}, {"NATS_PASSWORD", "pa55"}});
  }
  {
    nats_server_options so;
    so.extra_args = {"--auth", "t0ken"};
    nats_server server(so);
    works(server, {"--token", "t0ken"}, {{"NATS_TOKEN", "t0ken"}});
  }
  {
    test_support::operator_mode om;
    nats_server_options so;
    so.config_text = om.server_config();
    nats_server server(so);
    const auto creds = write_private_file(dir.path() / "user.creds", om.user_creds());
    works(server, {"--creds", creds.string()}, {{"NATS_CREDS", creds.string()}});
  }
}

TEST_CASE("wrong credentials: exit code 1 with one line, within the connect timeout") {
  secure_setup s;
  const auto& dir = s.dir.path();
  // Another user's seed: the server does not know its public key.
  auto stranger =
      refused(concat({sensor_bin(), "--sensorID", "intruder"}, s.flags(s.stranger_seed)), dir);
  CHECK(stranger.err.find("Authorization Violation") != std::string::npos);
  stranger = refused(concat({sim_bin(), "list"}, s.flags(s.stranger_seed)), dir);
  CHECK(stranger.err.find("Authorization Violation") != std::string::npos);
  check_never_shows(stranger, s.stranger.seed);

  // No client certificate, then one from another authority.
  auto env = s.environment();
  std::erase_if(env, [](const auto& kv) {
    return kv.first == "NATS_TLS_CERT" || kv.first == "NATS_TLS_KEY";
  });
  auto anonymous = refused({sim_bin(), "list"}, dir, env);
  CHECK(anonymous.err.find("client certificate") != std::string::npos);
  anonymous = refused({sensor_bin(), "--sensorID", "anonymous"}, dir, env);
  CHECK(anonymous.err.find("client certificate") != std::string::npos);
  auto foreign =
      refused({sim_bin(), "list", "--nats-url", s.server.url(), "--nkey", s.seed.string(),
               "--tls-ca", s.pki.ca.string(), "--tls-cert", s.pki.other_client_cert.string(),
               "--tls-key", s.pki.other_client_key.string()},
              dir);
  CHECK(foreign.err.find("client certificate") != std::string::npos);

  // The server's certificate checked against the wrong authority.
  auto untrusted = refused({sim_bin(), "list", "--nats-url", s.server.url(), "--nkey",
                            s.seed.string(), "--tls-ca", s.pki.other_ca.string(), "--tls-cert",
                            s.pki.client_cert.string(), "--tls-key", s.pki.client_key.string()},
                           dir);
  CHECK(untrusted.err.find("SSL handshake error") != std::string::npos);
  check_never_shows(untrusted, s.user.seed);
}

TEST_CASE("secrets never appear in the output of a failure") {
  temp_dir dir;
  nats_server_options so;
  so.jetstream = false;
  so.extra_args = {"--user", "admin", "--pass", "right-pa55"};
  nats_server server(so);
  const std::string port = std::to_string(server.port());
  const std::string password = "Pa55-not-to-print";
  const std::string token = "T0ken-not-to-print";

  // Refused by the server: wrong password from a flag, from the environment, in the URL.
  auto r = refused(
      {sim_bin(), "list", "--nats-url", server.url(), "--user", "admin", "--password", password},
      dir.path());
  CHECK(r.err.find("Authorization Violation") != std::string::npos);
  check_never_shows(r, password);
  r = refused({sensor_bin(), "--sensorID", "s1", "--nats-url", server.url()}, dir.path(),
              {{"NATS_USER", "admin"}, {"NATS_PASSWORD", password}});
  check_never_shows(r, password);
  r = refused({sim_bin(), "list", "--nats-url", "nats://admin:" + password + "@127.0.0.1:" + port},
              dir.path());
  CHECK(r.err.find("nats://admin:***@127.0.0.1:" + port) != std::string::npos);
  check_never_shows(r, password);
  r = refused({sim_bin(), "list", "--nats-url", server.url(), "--token", token}, dir.path());
  check_never_shows(r, token);
  r = refused(
      {sensor_bin(), "--sensorID", "s1", "--nats-url", "nats://" + token + "@127.0.0.1:" + port},
      dir.path());
  check_never_shows(r, token);
  // Unreachable, with the secret in the URL.
  r = refused({sim_bin(), "list", "--nats-url", "nats://admin:" + password + "@127.0.0.1:1"},
              dir.path());
  check_never_shows(r, password);

  // Usage errors: a damaged seed, a second method, a key without its certificate.
  test_support::nkey_user user;
  auto damaged = user.seed;
  damaged[20] = damaged[20] == 'A' ? 'B' : 'A';
  const auto damaged_file = write_private_file(dir.path() / "damaged.nk", damaged + "\n");
  const std::vector<std::string> damaged_runs[] = {
      {sim_bin(), "list", "--nkey", damaged_file.string()},
      {sensor_bin(), "--sensorID", "s1", "--nkey", damaged_file.string()}};
  for (const auto& argv : damaged_runs) {
    const auto usage = run_program(argv, dir.path());
    CHECK(usage.code == 2);
    CHECK(usage.err.find("checksum mismatch") != std::string::npos);
    CHECK(std::count(usage.err.begin(), usage.err.end(), '\n') == 1);
    check_never_shows(usage, damaged);
    check_never_shows(usage, damaged.substr(2, 24));
  }
  auto two = run_program(
      {sim_bin(), "list", "--token", token, "--password", password, "--user", "u"}, dir.path());
  CHECK(two.code == 2);
  CHECK(two.err.find("choose one authentication method") != std::string::npos);
  check_never_shows(two, token);
  check_never_shows(two, password);

  // --help marks the secrets and shows no value taken from the environment.
  auto help = run_program({sim_bin(), "--help"}, dir.path(),
                          {{"NATS_PASSWORD", password}, {"NATS_TOKEN", token}});
  CHECK(help.code == 0);
  check_never_shows(help, password);
  check_never_shows(help, token);
  for (const char* option : {"--password", "--token", "--creds", "--nkey", "--tls-key"}) {
    const auto at = help.out.find(std::string("  ") + option + " ");
    REQUIRE_MESSAGE(at != std::string::npos, option);
    const auto line = help.out.substr(at, help.out.find('\n', at) - at);
    CHECK_MESSAGE(line.find("secret") != std::string::npos, line);
  }
}
