#include "nats_asio/connect_options.hpp"

#include <algorithm>

#include "nats_asio/detail/nkey.hpp"

namespace nats_asio {

std::optional<std::string> nkey_public_key(const std::string& seed_file, std::string& error) {
  std::string key;
  error = detail::nkey::public_key_of_seed_file(seed_file, key);
  if (!error.empty()) return std::nullopt;
  return key;
}

std::pair<std::size_t, std::size_t> url_user_info(std::string_view url) {
  const auto scheme = url.find("://");
  const std::size_t begin = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto end = std::min(url.find_first_of("/?#", begin), url.size());
  const auto at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < begin) return {std::string_view::npos, 0};
  return {begin, at - begin};
}

std::string redact_url(std::string_view url) {
  const auto [begin, length] = url_user_info(url);
  if (begin == std::string_view::npos) return std::string(url);
  const auto info = url.substr(begin, length);
  const auto colon = info.find(':');
  const std::string masked =
      colon == std::string_view::npos ? "***" : std::string(info.substr(0, colon)) + ":***";
  return std::string(url.substr(0, begin)) + masked + std::string(url.substr(begin + length));
}

}  // namespace nats_asio
