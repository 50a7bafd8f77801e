// Everything that shapes one connection to a NATS server or cluster.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nats_asio {

struct tls_options {
  bool enabled = false;           // require TLS even when the URL says nats://
  std::string ca_file;            // PEM bundle the server's certificate must chain to
  std::string cert_file;          // client certificate (PEM), for mutual TLS
  std::string key_file;           // client private key (PEM)
  std::string expected_hostname;  // overrides the host name checked in the certificate
  bool skip_verify = false;       // for tests only: accept any server certificate
};

struct connect_options {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string name;  // shown by the server's monitoring endpoints

  // Authentication: at most one of these is normally set.
  std::string user;
  std::string password;
  std::string token;
  std::string credentials_file;  // JWT + NKey seed (.creds)
  // File holding a user NKey seed ("SU...", alone or in a .creds file); the
  // public key is derived from it, and nats.c signs the server's nonce with it.
  std::string nkey_seed_file;
  // TLS is used when tls.enabled, a CA or a client certificate is set, a
  // server URL starts with tls://, or the server requires it.
  tls_options tls;

  std::chrono::milliseconds connect_timeout{2000};
  int max_reconnect_attempts = -1;  // -1: keep trying forever
  std::chrono::milliseconds reconnect_wait{250};
  std::size_t reconnect_buffer_bytes = 8 * 1024 * 1024;  // publishes kept while reconnecting
  std::chrono::milliseconds ping_interval{20000};
  int max_pings_out = 2;
  // Send each protocol line at once instead of batching ~1 ms: lower latency
  // for request/reply, lower throughput for bulk publishing.
  bool send_asap = false;
  bool no_echo = false;
  // Replies, and the deliver subjects the library picks, live under
  // "<inbox_prefix>.". Empty: "_INBOX". A prefix per identity lets server
  // permissions keep one user from subscribing to another's replies.
  std::string inbox_prefix;
  // Deliver messages of all subscriptions on nats.c's shared thread pool
  // instead of a thread per subscription: needed for thousands of them.
  bool shared_delivery_threads = true;
  std::size_t event_queue_capacity = 1024;
  // In-flight JetStream publishes on this connection; a full window makes the
  // next publish wait for an acknowledgment.
  std::size_t max_pending_publishes = 4096;
};

// The public key ("U...") of the user seed in `seed_file`; on failure returns
// nullopt and sets `error` to one line naming the file and the problem (never
// the seed itself).
std::optional<std::string> nkey_public_key(const std::string& seed_file, std::string& error);

// The URL with the secret part of its user info masked, for printing:
// nats://user:***@host:4222 for a password, nats://***@host:4222 for a token.
std::string redact_url(std::string_view url);
// Where the user info of a URL is (offset, length): "user:pass" in
// nats://user:pass@host. Offset npos when there is none.
std::pair<std::size_t, std::size_t> url_user_info(std::string_view url);

}  // namespace nats_asio
