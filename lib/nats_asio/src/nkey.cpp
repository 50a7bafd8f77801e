#include "nats_asio/detail/nkey.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

namespace nats_asio::detail::nkey {
namespace {

constexpr unsigned char seed_prefix = 18 << 3;  // "S"
constexpr std::size_t key_bytes = 32;
constexpr std::size_t public_raw_bytes = 1 + key_bytes + 2;
constexpr std::size_t seed_raw_bytes = 2 + key_bytes + 2;
constexpr std::size_t max_seed_file_bytes = 64 * 1024;
constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

bool valid_type(unsigned char b) {
  switch (static_cast<key_type>(b)) {
    case key_type::account:
    case key_type::cluster:
    case key_type::server:
    case key_type::operator_key:
    case key_type::user:
      return true;
  }
  return false;
}

int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

void append_crc(std::vector<unsigned char>& raw) {
  const auto crc = crc16(raw);
  raw.push_back(static_cast<unsigned char>(crc & 0xff));
  raw.push_back(static_cast<unsigned char>(crc >> 8));
}

bool crc_matches(std::span<const unsigned char> raw) {
  const auto body = raw.first(raw.size() - 2);
  const auto stored = static_cast<std::uint16_t>(raw[raw.size() - 2] | (raw[raw.size() - 1] << 8));
  return crc16(body) == stored;
}

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using unique_pkey = std::unique_ptr<EVP_PKEY, pkey_deleter>;

// OpenSSL wipes the private key it copies when the EVP_PKEY is freed.
std::string private_key_of(std::string_view seed_text, unique_pkey& key, key_type& type) {
  secret raw;
  if (auto e = decode_seed(seed_text, type, raw); !e.empty()) return e;
  key.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
  if (!key) return "OpenSSL refused the Ed25519 seed";
  return "";
}

// The bytes of a file, read straight into a secret buffer (no copies).
std::string read_secret_file(const std::string& path, secret& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::system_category().message(errno);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::system_category().message(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (static_cast<std::size_t>(st.st_size) > max_seed_file_bytes)
    return "larger than " + std::to_string(max_seed_file_bytes) + " bytes";
  // One byte more than the size says, to notice a file that grew meanwhile.
  secret buf(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t used = 0;
  for (;;) {
    const auto n = ::read(fd, buf.data() + used, buf.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::system_category().message(errno);
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (used == buf.size()) return "changed while being read";
  }
  buf.shrink(used);
  out = std::move(buf);
  return "";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string with_article(key_type type) {
  const std::string name = type_name(type);
  return (name.front() == 'a' || name.front() == 'o' ? "an " : "a ") + name;
}

}  // namespace

const char* type_name(key_type type) {
  switch (type) {
    case key_type::account:
      return "account";
    case key_type::cluster:
      return "cluster";
    case key_type::server:
      return "server";
    case key_type::operator_key:
      return "operator";
    case key_type::user:
      return "user";
  }
  return "unknown";
}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
  }
  return *this;
}

void secret::shrink(std::size_t size) {
  if (size >= bytes_.size()) return;
  OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
  bytes_.resize(size);
}

void secret::wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::uint16_t crc16(std::span<const unsigned char> data) {
  std::uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
  }
  return crc;
}

std::string base32_encode(std::span<const unsigned char> data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

bool base32_decode(std::string_view text, secret& out) {
  // Characters left over after whole 8-character groups: 0, 2, 4, 5 or 7.
  switch (text.size() % 8) {
    case 1:
    case 3:
    case 6:
      return false;
    default:
      break;
  }
  secret raw(text.size() * 5 / 8);
  std::size_t used = 0;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base32_value(c);
    if (v < 0) return false;
    buffer = ((buffer << 5) | static_cast<unsigned>(v)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      raw.data()[used++] = static_cast<unsigned char>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  // What the encoder pads the last character with is zero bits.
  if ((buffer & ((1u << bits) - 1)) != 0) return false;
  buffer = 0;
  out = std::move(raw);
  return true;
}

std::string encode_public(key_type type, const raw_key& key) {
  std::vector<unsigned char> raw;
  raw.reserve(public_raw_bytes);
  raw.push_back(static_cast<unsigned char>(type));
  raw.insert(raw.end(), key.begin(), key.end());
  append_crc(raw);
  return base32_encode(raw);
}

secret encode_seed(key_type type, const raw_key& seed) {
  const auto t = static_cast<unsigned char>(type);
  secret raw(seed_raw_bytes);
  raw.data()[0] = static_cast<unsigned char>(seed_prefix | (t >> 5));
  raw.data()[1] = static_cast<unsigned char>((t & 31) << 3);
  std::memcpy(raw.data() + 2, seed.data(), seed.size());
  const auto crc = crc16(raw.bytes().first(2 + key_bytes));
  raw.data()[2 + key_bytes] = static_cast<unsigned char>(crc & 0xff);
  raw.data()[3 + key_bytes] = static_cast<unsigned char>(crc >> 8);
  // The text is built in a buffer of its final size, so nothing is left behind.
  secret text((seed_raw_bytes * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  std::size_t used = 0;
  for (unsigned char byte : raw.bytes()) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      text.data()[used++] = static_cast<unsigned char>(alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0)
    text.data()[used++] = static_cast<unsigned char>(alphabet[(buffer << (5 - bits)) & 31]);
  buffer = 0;
  return text;
}

std::string decode_public(std::string_view text, key_type expected, raw_key& key) {
  if (text.empty()) return "empty";
  secret raw;
  if (!base32_decode(text, raw)) return "not base32 (A-Z and 2-7, no padding)";
  if (raw.size() != public_raw_bytes)
    return "wrong length: " + std::to_string(text.size()) + " characters instead of 56";
  if (!crc_matches(raw.bytes())) return "checksum mismatch";
  if (!valid_type(raw.data()[0])) return "unknown key type";
  if (static_cast<key_type>(raw.data()[0]) != expected)
    return with_article(static_cast<key_type>(raw.data()[0])) + " public key, not " +
           with_article(expected) + " key";
  std::memcpy(key.data(), raw.data() + 1, key.size());
  return "";
}

std::string decode_seed(std::string_view text, key_type& type, secret& seed) {
  if (text.empty()) return "empty";
  secret raw;
  if (!base32_decode(text, raw)) return "not base32 (A-Z and 2-7, no padding)";
  if (raw.size() != seed_raw_bytes)
    return "wrong length: " + std::to_string(text.size()) + " characters instead of 58";
  if (!crc_matches(raw.bytes())) return "checksum mismatch";
  const unsigned char b1 = raw.data()[0] & 248;
  const auto t =
      static_cast<unsigned char>(((raw.data()[0] & 7) << 5) | ((raw.data()[1] & 248) >> 3));
  if (b1 != seed_prefix) return "not a seed";
  if (!valid_type(t)) return "a seed of an unknown key type";
  secret out(key_bytes);
  std::memcpy(out.data(), raw.data() + 2, key_bytes);
  type = static_cast<key_type>(t);
  seed = std::move(out);
  return "";
}

std::string public_key_of(std::string_view seed_text, std::string& public_key) {
  unique_pkey key;
  key_type type{};
  if (auto e = private_key_of(seed_text, key, type); !e.empty()) return e;
  raw_key pub{};
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size())
    return "OpenSSL cannot derive the Ed25519 public key";
  public_key = encode_public(type, pub);
  return "";
}

std::string public_key_of_seed_file(const std::string& path, std::string& public_key) {
  const std::string where = "NKey seed file " + path + ": ";
  secret content;
  if (auto e = read_secret_file(path, content); !e.empty())
    return where + "cannot read it (" + e + ")";
  std::string_view rest = content.view();
  std::string_view other_seed;  // a seed of another type, for a better message
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const auto line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.starts_with("SU")) {
      if (auto e = public_key_of(line, public_key); !e.empty())
        return where + "the user seed is malformed: " + e;
      return "";
    }
    if (other_seed.empty() && line.size() == 58 && line.starts_with("S")) other_seed = line;
  }
  if (!other_seed.empty()) {
    key_type type{};
    secret raw;
    if (decode_seed(other_seed, type, raw).empty())
      return where + "holds " + with_article(type) + " seed, not a user seed (SU...)";
  }
  return where + "holds no user seed (a line starting with SU)";
}

}  // namespace nats_asio::detail::nkey
