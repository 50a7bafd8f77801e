// Where a database lives: "sqlite:PATH" (a file, created when missing) or
// "postgresql://user:password@host:port/db?..." (libpq's URI form).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace storage {

struct database_url {
  enum class kind { sqlite, postgresql };
  kind type = kind::sqlite;
  std::string target;  // the file path, or the whole URI as libpq takes it
  std::string masked;  // the URL as it may be printed: no password

  bool operator==(const database_url&) const = default;
};

// nullopt and a one-line reason when `text` is neither form.
std::optional<database_url> parse_database_url(std::string_view text, std::string& error);

// `text` with any password replaced by "***": the userinfo password of a
// URI and a "password=" parameter. Safe on any text, URL or not.
std::string mask_secrets(std::string_view text);

}  // namespace storage
