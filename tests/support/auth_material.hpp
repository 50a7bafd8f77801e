// Credentials made at test time, so that no key is ever committed: NKey pairs,
// a small PKI (made with the openssl command line) and an operator, account
// and user signed with the library's own NKey codec.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace test_support {

// Writes `text` to `path` with mode 0600 and returns the path.
std::filesystem::path write_private_file(const std::filesystem::path& path, std::string_view text);

// A user NKey pair from random bytes.
struct nkey_user {
  nkey_user();
  std::string seed;        // "SU..."
  std::string public_key;  // "U..."
};

// In `dir`: a CA; a server certificate for 127.0.0.1 and localhost; a client
// certificate, both signed by the CA; and a second, unrelated CA with a
// client certificate of its own (for "wrong authority" checks).
struct test_pki {
  explicit test_pki(const std::filesystem::path& dir);
  std::filesystem::path ca, server_cert, server_key, client_cert, client_key;
  std::filesystem::path other_ca, other_client_cert, other_client_key;
  // nats-server's `tls { ... }` block; `verify` requires client certificates.
  std::string server_block(bool verify) const;
};

// Operator mode: an operator, its system account and one account (JetStream
// enabled, no limits) preloaded in a memory resolver, and a user of that
// account.
struct operator_mode {
  operator_mode();
  // nats-server configuration: operator, system_account, resolver: MEMORY,
  // resolver_preload.
  std::string server_config() const;
  // A .creds file (user JWT + seed) for the user.
  std::string user_creds() const;
  // A .creds file for a user of another account, unknown to the server.
  std::string stranger_creds() const;
  // A .creds file with the user's JWT and somebody else's seed.
  std::string forged_creds() const;

  std::string operator_public, operator_jwt;
  std::string account_public, account_jwt;
  std::string system_public, system_jwt;
  std::string user_seed, user_jwt;
  std::string stranger_seed, stranger_jwt;
};

// JWT helpers (NATS JWT v2, alg ed25519-nkey), exposed for tests of their own.
std::string base64url(std::string_view data);
std::string sign_jwt(std::string_view claims_json, std::string_view issuer_seed);

}  // namespace test_support
