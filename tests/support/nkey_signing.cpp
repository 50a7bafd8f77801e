#include "nkey_signing.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace test_support::nkey {
namespace nk = nats_asio::detail::nkey;
namespace {

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using unique_pkey = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using unique_md_ctx = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string sign(std::string_view seed_text, std::string_view data, signature& out) {
  key_type type{};
  secret raw;
  if (auto e = nk::decode_seed(seed_text, type, raw); !e.empty()) return e;
  unique_pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
  if (!key) return "OpenSSL refused the Ed25519 seed";
  unique_md_ctx ctx(EVP_MD_CTX_new());
  std::size_t len = out.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), out.data(), &len, bytes_of(data), data.size()) != 1 ||
      len != out.size())
    return "OpenSSL cannot sign with Ed25519";
  return "";
}

bool verify(std::string_view public_key, std::string_view data, const signature& sig) {
  nk::raw_key raw{};
  bool decoded = false;
  for (auto type : {key_type::account, key_type::cluster, key_type::server, key_type::operator_key,
                    key_type::user})
    if (nk::decode_public(public_key, type, raw).empty()) {
      decoded = true;
      break;
    }
  if (!decoded) return false;
  unique_pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
  unique_md_ctx ctx(EVP_MD_CTX_new());
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), bytes_of(data), data.size()) == 1;
}

secret random_seed(key_type type) {
  nk::raw_key seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
    throw std::runtime_error("OpenSSL's random generator failed");
  auto text = nk::encode_seed(type, seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return text;
}

}  // namespace test_support::nkey
