#include "nats_asio/detail/service_naming.hpp"

#include <algorithm>
#include <random>

namespace nats_asio::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// A MAJOR, MINOR or PATCH number: "0" or digits not starting with 0.
bool valid_number(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit) && (s.size() == 1 || s[0] != '0');
}

// Dot-separated identifiers of [0-9A-Za-z-], none empty; in a pre-release,
// numeric identifiers have no leading zeros.
bool valid_identifiers(std::string_view s, bool pre_release) {
  while (true) {
    const auto dot = s.find('.');
    const auto id = s.substr(0, dot);
    if (id.empty()) return false;
    if (!std::all_of(id.begin(), id.end(), [](char c) { return is_alnum(c) || c == '-'; }))
      return false;
    if (pre_release && std::all_of(id.begin(), id.end(), is_digit) && !valid_number(id))
      return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

}  // namespace

bool valid_service_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(),
                                      [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
}

bool valid_semver(std::string_view version) {
  std::string_view build, pre;
  if (auto plus = version.find('+'); plus != std::string_view::npos) {
    build = version.substr(plus + 1);
    version = version.substr(0, plus);
    if (!valid_identifiers(build, false)) return false;
  }
  if (auto dash = version.find('-'); dash != std::string_view::npos) {
    pre = version.substr(dash + 1);
    version = version.substr(0, dash);
    if (!valid_identifiers(pre, true)) return false;
  }
  for (int part = 0; part < 3; ++part) {
    const auto dot = version.find('.');
    if ((part < 2) == (dot == std::string_view::npos)) return false;  // exactly two dots
    if (!valid_number(version.substr(0, dot))) return false;
    version = dot == std::string_view::npos ? std::string_view{} : version.substr(dot + 1);
  }
  return true;
}

bool valid_endpoint_subject(std::string_view subject) {
  if (subject.empty() || std::any_of(subject.begin(), subject.end(), is_space)) return false;
  while (true) {
    const auto dot = subject.find('.');
    const auto token = subject.substr(0, dot);
    if (token.empty()) return false;
    if (token.find('>') != std::string_view::npos)
      return token == ">" && dot == std::string_view::npos;
    if (token.find('*') != std::string_view::npos && token != "*") return false;
    if (dot == std::string_view::npos) return true;
    subject.remove_prefix(dot + 1);
  }
}

bool valid_queue_group(std::string_view group) {
  return std::none_of(group.begin(), group.end(), is_space);
}

std::string new_service_id() {
  static constexpr std::string_view alphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;  // seeded with 256 bits: ids of distinct processes differ too
    std::seed_seq seed{device(), device(), device(), device(),
                       device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string id(22, '0');
  for (auto& c : id) c = alphabet[pick(engine)];
  return id;
}

}  // namespace nats_asio::detail
