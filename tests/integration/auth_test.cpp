// Every way of proving who we are, against a server that requires it: the
// right credentials connect; wrong or missing ones fail with a clear reason,
// well within the connect timeout.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "auth_material.hpp"
#include "child_process.hpp"
#include "nats_asio/connection.hpp"
#include "nats_server.hpp"
#include "run_async.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using nats_asio::error_code;
using test_support::nats_server;
using test_support::nats_server_options;
using test_support::run_async;
using test_support::temp_dir;
using test_support::write_private_file;

namespace {

constexpr auto connect_timeout = 2s;

struct attempt {
  error_code ec;
  std::string detail;
  std::chrono::milliseconds took{};
};

awaitable<attempt> try_connect(nats_asio::connect_options o) {
  nats_asio::connection conn(co_await asio::this_coro::executor);
  o.max_reconnect_attempts = 0;
  o.connect_timeout = connect_timeout;
  const auto start = std::chrono::steady_clock::now();
  auto [ec, detail] = co_await conn.async_connect(o, asio::as_tuple(use_awaitable));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  co_return attempt{ec, detail, took};
}

attempt connect(const nats_asio::connect_options& o) {
  asio::io_context ioc;
  return run_async(ioc, try_connect(o));
}

void check_connects(const attempt& a) { CHECK_MESSAGE(!a.ec, a.ec.message() << ": " << a.detail); }

// Refused with `reason` in nats.c's text, and before the connect timeout.
void check_refused(const attempt& a, std::string_view reason) {
  CHECK(a.ec);
  CHECK_MESSAGE(a.detail.find(reason) != std::string::npos, a.detail);
  CHECK_MESSAGE(a.took < connect_timeout, a.took.count() << " ms");
}

nats_asio::connect_options to(const nats_server& server) {
  nats_asio::connect_options o;
  o.servers = {server.url()};
  return o;
}

nats_server_options with_config(std::string config) {
  nats_server_options so;
  so.jetstream = false;
  so.config_text = std::move(config);
  return so;
}

}  // namespace

TEST_CASE("user and password: refused without them or with a wrong password") {
  nats_server_options so;
  so.jetstream = false;
  so.extra_args = {"--user", "admin", "--pass", "s3cret"};
  nats_server server(so);
  auto o = to(server);
  check_refused(connect(o), "Authorization Violation");
  o.user = "admin";
  o.password = "wrong-password";
  const auto wrong = connect(o);
  check_refused(wrong, "Authorization Violation");
  CHECK(wrong.detail.find("wrong-password") == std::string::npos);
  o.password = "s3cret";
  check_connects(connect(o));
}

TEST_CASE("token: refused without it or with a wrong one") {
  nats_server_options so;
  so.jetstream = false;
  so.extra_args = {"--auth", "t0ken"};
  nats_server server(so);
  auto o = to(server);
  check_refused(connect(o), "Authorization Violation");
  o.token = "not-the-token";
  const auto wrong = connect(o);
  check_refused(wrong, "Authorization Violation");
  CHECK(wrong.detail.find("not-the-token") == std::string::npos);
  o.token = "t0ken";
  check_connects(connect(o));
}

TEST_CASE("NKey: the user's seed connects; another seed or none is refused") {
  temp_dir dir;
  test_support::nkey_user user, stranger;
  nats_server server(
      with_config("authorization { users = [ { nkey: " + user.public_key + " } ] }\n"));
  auto o = to(server);
  check_refused(connect(o), "Authorization Violation");
  o.nkey_seed_file = write_private_file(dir.path() / "stranger.nk", stranger.seed + "\n");
  check_refused(connect(o), "Authorization Violation");
  o.nkey_seed_file = write_private_file(dir.path() / "user.nk", user.seed + "\n");
  check_connects(connect(o));

  // A damaged seed never reaches the server; the error names the file, not the seed.
  auto damaged = user.seed;
  damaged[30] = damaged[30] == 'A' ? 'B' : 'A';
  o.nkey_seed_file = write_private_file(dir.path() / "damaged.nk", damaged + "\n");
  const auto bad = connect(o);
  CHECK(bad.ec == nats_asio::errc::invalid_argument);
  CHECK_MESSAGE(bad.detail.find("damaged.nk") != std::string::npos, bad.detail);
  CHECK_MESSAGE(bad.detail.find("checksum mismatch") != std::string::npos, bad.detail);
  CHECK(bad.detail.find(damaged) == std::string::npos);
  CHECK(bad.detail.find(user.seed.substr(2, 20)) == std::string::npos);
}

TEST_CASE("TLS: the server's certificate is verified against the CA") {
  temp_dir dir;
  test_support::test_pki pki(dir.path());
  nats_server server(with_config(pki.server_block(false)));
  auto o = to(server);
  o.tls.ca_file = pki.ca;
  check_connects(connect(o));
  o.servers = {"tls://127.0.0.1:" + std::to_string(server.port())};
  check_connects(connect(o));
  // Signed by another authority: refused by the client.
  o.tls.ca_file = pki.other_ca;
  check_refused(connect(o), "SSL handshake error");
}

TEST_CASE("TLS: a tls:// URL refuses a server without TLS") {
  nats_server_options so;
  so.jetstream = false;
  nats_server server(so);
  auto o = to(server);
  o.servers = {"tls://127.0.0.1:" + std::to_string(server.port())};
  check_refused(connect(o), "Secure Connection not available");
}

TEST_CASE("mutual TLS: the client certificate is required and verified") {
  temp_dir dir;
  test_support::test_pki pki(dir.path());
  nats_server server(with_config(pki.server_block(true)));
  auto o = to(server);
  o.tls.ca_file = pki.ca;
  // TLS 1.3: the server checks the client's certificate after the handshake,
  // so nats.c sees the connection closed instead of its first PONG.
  check_refused(connect(o), "client certificate");
  o.tls.cert_file = pki.other_client_cert;
  o.tls.key_file = pki.other_client_key;
  check_refused(connect(o), "client certificate");
  o.tls.cert_file = pki.client_cert;
  o.tls.key_file = pki.client_key;
  check_connects(connect(o));
}

TEST_CASE("credentials file: operator mode with a user JWT signed by its account") {
  temp_dir dir;
  test_support::operator_mode om;
  nats_server server(with_config(om.server_config()));
  auto o = to(server);
  check_refused(connect(o), "Authorization Violation");
  // A user of an account the server does not know.
  o.credentials_file = write_private_file(dir.path() / "stranger.creds", om.stranger_creds());
  check_refused(connect(o), "Authorization Violation");
  // The user's JWT, but a seed that cannot sign for it.
  o.credentials_file = write_private_file(dir.path() / "forged.creds", om.forged_creds());
  check_refused(connect(o), "Authorization Violation");
  o.credentials_file = write_private_file(dir.path() / "user.creds", om.user_creds());
  check_connects(connect(o));
}

TEST_CASE("connection events name the server without the password of its URL") {
  nats_server_options so;
  so.jetstream = false;
  so.extra_args = {"--user", "admin", "--pass", "s3cret-pa55"};
  nats_server server(so);
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    nats_asio::connection conn(co_await asio::this_coro::executor);
    nats_asio::connect_options o;
    const auto port = std::to_string(server.port());
    o.servers = {"nats://admin:s3cret-pa55@127.0.0.1:" + port};
    o.reconnect_wait = 100ms;
    co_await conn.async_connect(o, use_awaitable);
    server.kill_hard();
    auto ev = co_await conn.async_next_event(use_awaitable);
    CHECK(ev.what == nats_asio::connection_event::kind::disconnected);
    server.start();
    ev = co_await conn.async_next_event(use_awaitable);
    REQUIRE(ev.what == nats_asio::connection_event::kind::reconnected);
    CHECK(ev.url == "nats://admin:***@127.0.0.1:" + port);
    co_await conn.async_close(use_awaitable);
  }());
}
