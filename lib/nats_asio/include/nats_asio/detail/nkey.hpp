// NATS NKeys: the text form of Ed25519 public keys and seeds, and the public
// key of a seed. Signing the server's nonce is nats.c's work; making seeds and
// signatures is the tests' (tests/support/nkey_signing.hpp).
//
// A public key is base32 (RFC 4648, no padding) of one prefix byte naming its
// type, the 32-byte Ed25519 public key and a CRC16-XMODEM of both, little
// endian: "U..." for a user. A seed is the same with two prefix bytes that
// spell "S" and the type's letter ("SU..." for a user) around the 32-byte
// Ed25519 seed. Key material lives in `secret` buffers, wiped when destroyed;
// error texts describe what is wrong and never repeat a seed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nats_asio::detail::nkey {

// The type of a key: its public prefix byte (the key's first letter).
enum class key_type : std::uint8_t {
  account = 0,             // A
  cluster = 2 << 3,        // C
  server = 13 << 3,        // N
  operator_key = 14 << 3,  // O
  user = 20 << 3,          // U
};

const char* type_name(key_type type);  // "user", "account", ...

using raw_key = std::array<unsigned char, 32>;

// Bytes wiped (OPENSSL_cleanse) when destroyed or reassigned. Moving hands the
// buffer over without copying it; copying is not allowed.
class secret {
 public:
  secret() = default;
  explicit secret(std::size_t size) : bytes_(size) {}
  ~secret() { wipe(); }
  secret(secret&& other) noexcept : bytes_(std::move(other.bytes_)) {}
  secret& operator=(secret&& other) noexcept;
  secret(const secret&) = delete;
  secret& operator=(const secret&) = delete;

  unsigned char* data() { return bytes_.data(); }
  const unsigned char* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  std::span<const unsigned char> bytes() const { return bytes_; }
  // Wipes the bytes past `size`, then drops them (the buffer is kept).
  void shrink(std::size_t size);
  void wipe();

 private:
  std::vector<unsigned char> bytes_;
};

// CRC-16/XMODEM (polynomial 0x1021, initial value 0).
std::uint16_t crc16(std::span<const unsigned char> data);

// RFC 4648 base32, upper case, without padding.
std::string base32_encode(std::span<const unsigned char> data);
// Strict inverse of base32_encode: false for any character outside A-Z and
// 2-7 (padding included) or an impossible length. `out` is a secret because
// seeds pass through here.
bool base32_decode(std::string_view text, secret& out);

// "U..." (or another type's letter) for a raw Ed25519 public key.
std::string encode_public(key_type type, const raw_key& key);
// "SU..." for a raw Ed25519 seed (the 32-byte private key).
secret encode_seed(key_type type, const raw_key& seed);

// Each returns "" on success, else why the text is not a valid key.
std::string decode_public(std::string_view text, key_type expected, raw_key& key);
std::string decode_seed(std::string_view text, key_type& type, secret& seed);

// The public key that belongs to a seed ("SU..." gives "U...").
std::string public_key_of(std::string_view seed_text, std::string& public_key);
// The user seed held by a file: the seed alone (as `nk -gen user` writes it)
// or a .creds file; either way the first line starting with "SU". Returns ""
// and the seed's public key, or one line naming the file and the problem.
std::string public_key_of_seed_file(const std::string& path, std::string& public_key);

}  // namespace nats_asio::detail::nkey
