// The NKey codec: known answers from NATS's own documentation, then every way
// a seed can be wrong.
#include "nats_asio/detail/nkey.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "nats_asio/connect_options.hpp"
#include "nkey_signing.hpp"

using namespace nats_asio::detail::nkey;
using test_support::nkey::random_seed;
using test_support::nkey::sign;
using test_support::nkey::signature;
using test_support::nkey::verify;
namespace fs = std::filesystem;

namespace {

// From docs.nats.io, "NKeys" (nkey authentication): `nk -gen user -pubout`.
constexpr std::string_view docs_seed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
constexpr std::string_view docs_public = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

// From the README of nats-io/nkeys' `nk` tool: a seed, its public key, and the
// signature (base64url, no padding) of a file holding "Hello World!\n".
constexpr std::string_view nk_seed = "SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY";
constexpr std::string_view nk_public = "UD466L6EBCM3YY5HEGHJANNTN4LSKTSUXTH7RILHCKEQMQHTBNLHJJXT";
constexpr std::string_view nk_signature =
    "0CK1XmkxNfUGfudxliWTWeoETgIo23m9qowS9yTfYFSrjR8HgAW63jQ3NxPU_jG38hZPW61IZSun37N690CkDg";

std::string base64url(std::span<const unsigned char> data) {
  static constexpr char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 6) {
      out.push_back(digits[(buffer >> (bits - 6)) & 63]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(digits[(buffer << (6 - bits)) & 63]);
  return out;
}

std::span<const unsigned char> bytes_of(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

std::string decode_error(std::string_view text) {
  key_type type{};
  secret seed;
  return decode_seed(text, type, seed);
}

// A temporary file with the given content, removed with the object.
struct temp_file {
  explicit temp_file(std::string_view content) {
    std::string pattern = (fs::temp_directory_path() / "nkey-test-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    path = pattern;
    std::ofstream(path, std::ios::binary) << content;
  }
  ~temp_file() { fs::remove(path); }
  std::string path;
};

}  // namespace

TEST_CASE("CRC-16/XMODEM and base32 match their published check values") {
  CHECK(crc16(bytes_of("123456789")) == 0x31C3);
  CHECK(crc16(bytes_of("")) == 0);
  // RFC 4648 section 10, without the padding.
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (auto [plain, encoded] : vectors) {
    CHECK(base32_encode(bytes_of(plain)) == encoded);
    secret back;
    REQUIRE(base32_decode(encoded, back));
    CHECK(back.view() == plain);
  }
  secret out;
  CHECK(!base32_decode("MZXW6===", out));  // padding is not part of an NKey
  CHECK(!base32_decode("mzxw6", out));     // lower case
  CHECK(!base32_decode("MZXW1", out));     // 1 is not in the alphabet
  CHECK(!base32_decode("MZX", out));       // no byte ends after 3 characters
  CHECK(!base32_decode("MZ7", out));       // impossible length
  CHECK(!base32_decode("MZ", out));        // trailing bits an encoder never sets
}

TEST_CASE("known answers: public keys from NATS documentation seeds") {
  std::string pub;
  REQUIRE(public_key_of(docs_seed, pub) == "");
  CHECK(pub == docs_public);
  REQUIRE(public_key_of(nk_seed, pub) == "");
  CHECK(pub == nk_public);

  key_type type{};
  secret raw;
  REQUIRE(decode_seed(docs_seed, type, raw) == "");
  CHECK(type == key_type::user);
  REQUIRE(raw.size() == 32);
  raw_key seed{};
  std::copy(raw.data(), raw.data() + 32, seed.begin());
  CHECK(encode_seed(key_type::user, seed).view() == docs_seed);  // and back
  raw_key pub_raw{};
  REQUIRE(decode_public(docs_public, key_type::user, pub_raw) == "");
  CHECK(encode_public(key_type::user, pub_raw) == docs_public);
}

TEST_CASE("known answer: the nk tool's signature of a file") {
  signature sig{};
  REQUIRE(sign(nk_seed, "Hello World!\n", sig) == "");
  CHECK(base64url(sig) == nk_signature);
  CHECK(verify(nk_public, "Hello World!\n", sig));
  CHECK(!verify(nk_public, "Hello World!", sig));
  CHECK(!verify(docs_public, "Hello World!\n", sig));
}

TEST_CASE("random seeds of each type round-trip and sign") {
  for (auto type : {key_type::user, key_type::account, key_type::operator_key, key_type::server,
                    key_type::cluster}) {
    auto seed = random_seed(type);
    CHECK(seed.size() == 58);
    CHECK(seed.view().front() == 'S');
    std::string pub;
    REQUIRE(public_key_of(seed.view(), pub) == "");
    CHECK(pub.size() == 56);
    CHECK(pub.front() == seed.view()[1]);
    raw_key raw{};
    CHECK(decode_public(pub, type, raw) == "");
    signature sig{};
    REQUIRE(sign(seed.view(), "nonce", sig) == "");
    CHECK(verify(pub, "nonce", sig));
  }
  CHECK(random_seed(key_type::user).view() != random_seed(key_type::user).view());
}

TEST_CASE("malformed seeds: each problem named, the seed never repeated") {
  CHECK(decode_error("") == "empty");
  std::string flipped(docs_seed);
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  CHECK(decode_error(flipped) == "checksum mismatch");
  std::string lower(docs_seed);
  lower[30] = 'q';
  CHECK(decode_error(lower).starts_with("not base32"));
  CHECK(decode_error(std::string(docs_seed) + "=").starts_with("not base32"));
  CHECK(decode_error(docs_seed.substr(0, 56)).starts_with("wrong length"));
  CHECK(decode_error(docs_public).starts_with("wrong length"));
  // A public key's bytes padded to a seed's length: a good checksum, no seed prefix.
  raw_key zero{};
  auto account_seed = encode_seed(key_type::account, zero);
  std::string pub;
  REQUIRE(public_key_of(account_seed.view(), pub) == "");
  CHECK(pub.front() == 'A');
  raw_key raw{};
  CHECK(decode_public(pub, key_type::user, raw) == "an account public key, not a user key");
  CHECK(decode_public(docs_public.substr(1), key_type::user, raw) != "");

  for (const auto& bad : {flipped, lower}) {
    const auto e = public_key_of(bad, pub);
    CHECK(e != "");
    CHECK(e.find(bad) == std::string::npos);
  }
}

TEST_CASE("seed files: the seed alone, a .creds file, and clear errors") {
  std::string pub, error;
  {
    temp_file plain(std::string(docs_seed) + "\n");
    CHECK(public_key_of_seed_file(plain.path, pub) == "");
    CHECK(pub == docs_public);
    CHECK(nats_asio::nkey_public_key(plain.path, error) == std::string(docs_public));
  }
  {
    temp_file creds(
        "-----BEGIN NATS USER JWT-----\neyJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.sig\n"
        "------END NATS USER JWT------\n\n*** IMPORTANT ***\n\n"
        "-----BEGIN USER NKEY SEED-----\r\n  " +
        std::string(nk_seed) + "\r\n------END USER NKEY SEED------\n");
    CHECK(public_key_of_seed_file(creds.path, pub) == "");
    CHECK(pub == nk_public);
  }
  {
    std::string flipped(docs_seed);
    flipped[10] = flipped[10] == 'Z' ? 'Y' : 'Z';
    temp_file broken(flipped + "\n");
    const auto e = public_key_of_seed_file(broken.path, pub);
    CHECK(e == "NKey seed file " + broken.path + ": the user seed is malformed: checksum mismatch");
    CHECK(e.find(flipped) == std::string::npos);
    CHECK(!nats_asio::nkey_public_key(broken.path, error));
    CHECK(error == e);
  }
  {
    raw_key zero{};
    auto account_seed = encode_seed(key_type::account, zero);
    temp_file account(std::string(account_seed.view()) + "\n");
    const auto e = public_key_of_seed_file(account.path, pub);
    CHECK(e.ends_with(": holds an account seed, not a user seed (SU...)"));
    CHECK(e.find(account_seed.view()) == std::string::npos);
  }
  {
    temp_file empty("just some text\n");
    CHECK(public_key_of_seed_file(empty.path, pub)
              .ends_with(": holds no user seed (a line starting with SU)"));
  }
  CHECK(public_key_of_seed_file("/nonexistent/seed.nk", pub) ==
        "NKey seed file /nonexistent/seed.nk: cannot read it (No such file or directory)");
  CHECK(public_key_of_seed_file("/", pub).ends_with("cannot read it (not a regular file)"));
}

TEST_CASE("secret buffers move without copying and wipe what they drop") {
  secret a(4);
  std::fill(a.data(), a.data() + 4, 'x');
  const auto* where = a.data();
  secret b(std::move(a));
  CHECK(b.data() == where);
  CHECK(b.view() == "xxxx");
  b.shrink(2);
  CHECK(b.view() == "xx");
  b.wipe();
  CHECK(b.view() == std::string(2, '\0'));
}
