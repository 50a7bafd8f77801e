#include "auth_material.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "child_process.hpp"
#include "nats_asio/detail/nkey.hpp"
#include "nkey_signing.hpp"

namespace test_support {
namespace fs = std::filesystem;
namespace nk = nats_asio::detail::nkey;

namespace {

std::string find_openssl() {
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const auto dir = rest.substr(0, colon);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      const fs::path candidate = fs::path(dir) / "openssl";
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  if (::access("/usr/bin/openssl", X_OK) == 0) return "/usr/bin/openssl";
  throw std::runtime_error(
      "openssl not found on PATH (install the openssl package: tools/setup.sh)");
}

void openssl(const fs::path& dir, std::vector<std::string> args) {
  static const std::string binary = find_openssl();
  args.insert(args.begin(), binary);
  std::string command;
  for (const auto& a : args) command += (command.empty() ? "" : " ") + a;
  auto r = run_program(std::move(args), dir, {}, std::chrono::seconds(30));
  if (r.code != 0) throw std::runtime_error(command + " failed: " + r.err);
}

// Extensions of each certificate; the requests take their names from -subj.
constexpr std::string_view openssl_config = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

void make_ca(const fs::path& dir, const std::string& name) {
  openssl(dir, {"req", "-x509", "-config", "openssl.cnf", "-extensions", "ca", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
                "-out", name + ".pem", "-days", "2", "-subj", "/CN=iot-nats test " + name});
}

void make_leaf(const fs::path& dir, const std::string& name, const std::string& ca,
               const std::string& extensions, int serial) {
  openssl(dir, {"req", "-new", "-config", "openssl.cnf", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key", "-out",
                name + ".csr", "-subj", "/CN=" + name});
  openssl(dir, {"x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-set_serial", std::to_string(serial), "-days", "2", "-extfile", "openssl.cnf",
                "-extensions", extensions, "-out", name + ".pem"});
}

std::string seed_text(const nk::secret& s) { return std::string(s.view()); }

std::string public_of(const std::string& seed) {
  std::string pub;
  if (auto e = nk::public_key_of(seed, pub); !e.empty()) throw std::runtime_error(e);
  return pub;
}

std::string sha256_base32(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return nk::base32_encode(std::span<const unsigned char>(digest, len));
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Claims in NATS JWT v2 form; `nats` is the type-specific object's body.
std::string claims(const std::string& name, const std::string& issuer_public,
                   const std::string& subject_public, const std::string& nats) {
  const std::string body = "\"iat\":" + std::to_string(now_seconds()) + ",\"iss\":\"" +
                           issuer_public + "\",\"name\":\"" + name + "\",\"sub\":\"" +
                           subject_public + "\",\"nats\":{" + nats + "}";
  return "{\"jti\":\"" + sha256_base32("{" + body + "}") + "\"," + body + "}";
}

constexpr std::string_view account_nats =
    R"("limits":{"subs":-1,"data":-1,"payload":-1,"imports":-1,"exports":-1,)"
    R"("wildcards":true,"conn":-1,"leaf":-1,"mem_storage":-1,"disk_storage":-1,"streams":-1,)"
    R"("consumer":-1},"default_permissions":{"pub":{},"sub":{}},)"
    R"("type":"account","version":2)";
// The system account: no JetStream (the server refuses it there).
constexpr std::string_view system_nats =
    R"("limits":{"subs":-1,"data":-1,"payload":-1,"imports":-1,"exports":-1,)"
    R"("wildcards":true,"conn":-1,"leaf":-1},"default_permissions":{"pub":{},"sub":{}},)"
    R"("type":"account","version":2)";
constexpr std::string_view user_nats =
    R"("pub":{},"sub":{},"subs":-1,"data":-1,"payload":-1,"type":"user","version":2)";

std::string creds(const std::string& jwt, const std::string& seed) {
  return "-----BEGIN NATS USER JWT-----\n" + jwt +
         "\n------END NATS USER JWT------\n\n"
         "************************* IMPORTANT *************************\n"
         "NKEY Seed printed below can be used to sign and prove identity.\n"
         "NKEYs are sensitive and should be treated as secrets.\n\n"
         "-----BEGIN USER NKEY SEED-----\n" +
         seed +
         "\n------END USER NKEY SEED------\n\n"
         "*************************************************************\n";
}

}  // namespace

fs::path write_private_file(const fs::path& path, std::string_view text) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
  }
  ::chmod(path.c_str(), 0600);
  return path;
}

nkey_user::nkey_user() : seed(seed_text(test_support::nkey::random_seed(nk::key_type::user))) {
  public_key = public_of(seed);
}

test_pki::test_pki(const fs::path& dir) {
  write_private_file(dir / "openssl.cnf", openssl_config);
  make_ca(dir, "ca");
  make_leaf(dir, "server", "ca", "server", 1);
  make_leaf(dir, "client", "ca", "client", 2);
  make_ca(dir, "other-ca");
  make_leaf(dir, "other-client", "other-ca", "client", 3);
  ca = dir / "ca.pem";
  server_cert = dir / "server.pem";
  server_key = dir / "server.key";
  client_cert = dir / "client.pem";
  client_key = dir / "client.key";
  other_ca = dir / "other-ca.pem";
  other_client_cert = dir / "other-client.pem";
  other_client_key = dir / "other-client.key";
}

std::string test_pki::server_block(bool verify) const {
  return "tls {\n  cert_file: \"" + server_cert.string() + "\"\n  key_file: \"" +
         server_key.string() + "\"\n  ca_file: \"" + ca.string() +
         "\"\n  verify: " + (verify ? "true" : "false") + "\n  timeout: 5\n}\n";
}

std::string base64url(std::string_view data) {
  static constexpr char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : data) {
    buffer = ((buffer << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      out.push_back(digits[(buffer >> (bits - 6)) & 63]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(digits[(buffer << (6 - bits)) & 63]);
  return out;
}

std::string sign_jwt(std::string_view claims_json, std::string_view issuer_seed) {
  const std::string signing_input =
      base64url(R"({"typ":"JWT","alg":"ed25519-nkey"})") + "." + base64url(claims_json);
  test_support::nkey::signature sig{};
  if (auto e = test_support::nkey::sign(issuer_seed, signing_input, sig); !e.empty())
    throw std::runtime_error("cannot sign a JWT: " + e);
  return signing_input + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()));
}

operator_mode::operator_mode() {
  const auto operator_seed = seed_text(test_support::nkey::random_seed(nk::key_type::operator_key));
  const auto account_seed = seed_text(test_support::nkey::random_seed(nk::key_type::account));
  const auto other_account_seed = seed_text(test_support::nkey::random_seed(nk::key_type::account));
  const auto system_seed = seed_text(test_support::nkey::random_seed(nk::key_type::account));
  user_seed = seed_text(test_support::nkey::random_seed(nk::key_type::user));
  stranger_seed = seed_text(test_support::nkey::random_seed(nk::key_type::user));
  operator_public = public_of(operator_seed);
  account_public = public_of(account_seed);
  const auto other_account_public = public_of(other_account_seed);
  system_public = public_of(system_seed);

  operator_jwt = sign_jwt(
      claims("test-operator", operator_public, operator_public, R"("type":"operator","version":2)"),
      operator_seed);
  account_jwt =
      sign_jwt(claims("test-account", operator_public, account_public, std::string(account_nats)),
               operator_seed);
  system_jwt = sign_jwt(claims("SYS", operator_public, system_public, std::string(system_nats)),
                        operator_seed);
  user_jwt =
      sign_jwt(claims("test-user", account_public, public_of(user_seed), std::string(user_nats)),
               account_seed);
  stranger_jwt = sign_jwt(
      claims("stranger", other_account_public, public_of(stranger_seed), std::string(user_nats)),
      other_account_seed);
}

std::string operator_mode::server_config() const {
  return "operator: \"" + operator_jwt + "\"\nsystem_account: " + system_public +
         "\nresolver: MEMORY\nresolver_preload: {\n  " + account_public + ": \"" + account_jwt +
         "\"\n  " + system_public + ": \"" + system_jwt + "\"\n}\n";
}

std::string operator_mode::user_creds() const { return creds(user_jwt, user_seed); }
std::string operator_mode::stranger_creds() const { return creds(stranger_jwt, stranger_seed); }
std::string operator_mode::forged_creds() const { return creds(user_jwt, stranger_seed); }

}  // namespace test_support
