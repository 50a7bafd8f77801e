#include "storage/database_url.hpp"

namespace storage {
namespace {

constexpr std::string_view sqlite_prefix = "sqlite:";

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (text.starts_with(p)) return true;
  }
  return false;
}

// "scheme://user:secret@host" -> "scheme://user:***@host".
std::string mask_userinfo(std::string text) {
  auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return text;
  const auto start = scheme_end + 3;
  const auto at = text.find('@', start);
  const auto slash = text.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return text;
  const auto colon = text.find(':', start);
  if (colon == std::string::npos || colon > at) return text;
  text.replace(colon + 1, at - colon - 1, "***");
  return text;
}

// "...password=secret&..." or "password=secret " -> "password=***".
std::string mask_password_parameters(std::string text) {
  constexpr std::string_view key = "password=";
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos)) {
    const auto value = pos + key.size();
    auto end = text.find_first_of("& ", value);
    if (end == std::string::npos) end = text.size();
    text.replace(value, end - value, "***");
    pos = value + 3;
  }
  return text;
}

}  // namespace

std::string mask_secrets(std::string_view text) {
  return mask_password_parameters(mask_userinfo(std::string(text)));
}

std::optional<database_url> parse_database_url(std::string_view text, std::string& error) {
  if (text.starts_with(sqlite_prefix)) {
    auto path = text.substr(sqlite_prefix.size());
    if (path.starts_with("//")) path.remove_prefix(2);  // "sqlite://PATH" as well
    if (path.empty()) {
      error = "database URL \"sqlite:\" names no file (sqlite:PATH)";
      return std::nullopt;
    }
    return database_url{database_url::kind::sqlite, std::string(path), std::string(text)};
  }
  if (starts_with_any(text, {"postgresql://", "postgres://"})) {
    return database_url{database_url::kind::postgresql, std::string(text), mask_secrets(text)};
  }
  error = "database URL \"" + mask_secrets(text) +
          "\" is neither sqlite:PATH nor postgresql://USER@HOST:PORT/DB";
  return std::nullopt;
}

}  // namespace storage
