// Settings with a fixed precedence: command-line flag > environment >
// .env file > default.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iot {

// Parses a .env file: KEY=VALUE lines, '#' comments, blank lines, optional
// "export " prefix, values optionally in single or double quotes. Malformed
// lines are reported as "line N: reason" in `errors`.
std::map<std::string, std::string> parse_dotenv(std::string_view text,
                                                std::vector<std::string>& errors);

class settings {
 public:
  using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

  // `env` defaults to getenv; `dotenv` is the parsed .env (may be empty).
  settings(std::map<std::string, std::string> dotenv, env_lookup env = {});

  // Loads ".env" from the working directory, or `path` when given (a missing
  // explicit path is an error: `error` is set); the environment via getenv.
  static settings load(const std::optional<std::string>& path, std::string& error);

  // Value of `name` from the flag (if given), else environment, else .env, else `fallback`.
  std::string get(const std::string& name, const std::optional<std::string>& flag,
                  const std::string& fallback) const;
  // Where get() found it: "flag", "environment", ".env" or "default".
  std::string source(const std::string& name, const std::optional<std::string>& flag) const;

 private:
  std::map<std::string, std::string> dotenv_;
  env_lookup env_;
};

}  // namespace iot
