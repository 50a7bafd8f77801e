// What tests need of NKeys beyond the library: fresh seeds, and Ed25519
// signatures made and checked (JWTs for operator-mode servers, the nk tool's
// known answers). The programs never sign anything themselves: nats.c signs
// the server's nonce from the seed file.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "nats_asio/detail/nkey.hpp"

namespace test_support::nkey {

using nats_asio::detail::nkey::key_type;
using nats_asio::detail::nkey::secret;
using signature = std::array<unsigned char, 64>;

// Ed25519 signature of `data` with the seed's private key; "" or why not.
std::string sign(std::string_view seed_text, std::string_view data, signature& out);
// True when `sig` is public_key's (of any type) signature of `data`.
bool verify(std::string_view public_key, std::string_view data, const signature& sig);
// A fresh seed of `type` from OpenSSL's random generator.
secret random_seed(key_type type);

}  // namespace test_support::nkey
