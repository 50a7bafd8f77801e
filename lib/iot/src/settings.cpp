#include "iot/settings.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "text.hpp"

namespace iot {
namespace {

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

// After a closing quote only blanks and a comment may follow.
bool only_comment_left(std::string_view rest) {
  rest = detail::trim(rest);
  return rest.empty() || rest.front() == '#';
}

// Parses the value part of one line (after '='); "" or a reason.
std::string parse_value(std::string_view raw, std::string& out) {
  const auto v = detail::trim(raw);
  if (v.empty()) {
    out.clear();
    return {};
  }
  if (v.front() == '\'') {
    const auto close = v.find('\'', 1);
    if (close == std::string_view::npos) return "unterminated single quote";
    if (!only_comment_left(v.substr(close + 1))) return "unexpected text after the closing quote";
    out.assign(v.substr(1, close - 1));
    return {};
  }
  if (v.front() == '"') {
    out.clear();
    for (std::size_t i = 1; i < v.size(); ++i) {
      const char c = v[i];
      if (c == '"') {
        if (!only_comment_left(v.substr(i + 1))) return "unexpected text after the closing quote";
        return {};
      }
      if (c == '\\' && i + 1 < v.size()) {
        const char e = v[++i];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case '"':
          case '\\':
          case '$':
            out += e;
            break;
          default:  // unknown escapes stay as written
            out += '\\';
            out += e;
        }
        continue;
      }
      out += c;
    }
    return "unterminated double quote";
  }
  // Unquoted: a '#' after a blank starts a comment.
  std::size_t end = v.size();
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] == '#' && is_blank(v[i - 1])) {
      end = i;
      break;
    }
  out.assign(detail::trim(v.substr(0, end)));
  return {};
}

std::optional<std::string> getenv_lookup(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  return std::nullopt;
}

// Reads a whole file; "" or the reason from errno.
std::string read_file(const std::string& path, std::string& out, int& error_number) {
  error_number = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error_number = errno;
    return std::generic_category().message(error_number);
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  error_number = errno;
  std::fclose(f);
  if (failed) return std::generic_category().message(error_number);
  error_number = 0;
  return {};
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view text,
                                                std::vector<std::string>& errors) {
  std::map<std::string, std::string> out;
  std::size_t line_number = 0;
  while (!text.empty() || line_number == 0) {
    ++line_number;
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const auto fail = [&](const std::string& reason) {
      errors.push_back("line " + std::to_string(line_number) + ": " + reason);
    };

    line = detail::trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, 6) == "export" && line.size() > 6 && is_blank(line[6]))
      line = detail::trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      fail("expected NAME=VALUE, got " + detail::quoted(line));
      continue;
    }
    const auto name = detail::trim(line.substr(0, eq));
    bool valid = !name.empty() && is_name_start(name.front());
    for (const char c : name) valid = valid && is_name_char(c);
    if (!valid) {
      fail("invalid variable name " + detail::quoted(name) +
           ": use letters, digits and _, not starting with a digit");
      continue;
    }
    std::string value;
    if (auto e = parse_value(line.substr(eq + 1), value); !e.empty()) {
      fail(e);
      continue;
    }
    out[std::string(name)] = std::move(value);
  }
  return out;
}

settings::settings(std::map<std::string, std::string> dotenv, env_lookup env)
    : dotenv_(std::move(dotenv)), env_(env ? std::move(env) : env_lookup(getenv_lookup)) {}

settings settings::load(const std::optional<std::string>& path, std::string& error) {
  error.clear();
  const std::string file = path.value_or(".env");
  std::string text;
  int error_number = 0;
  if (auto e = read_file(file, text, error_number); !e.empty()) {
    if (!path && error_number == ENOENT) return settings({});  // no ./.env: nothing to read
    error = "cannot read .env file " + file + ": " + e;
    return settings({});
  }
  std::vector<std::string> errors;
  auto values = parse_dotenv(text, errors);
  if (!errors.empty()) error = file + ": " + errors.front();
  return settings(std::move(values));
}

std::string settings::get(const std::string& name, const std::optional<std::string>& flag,
                          const std::string& fallback) const {
  if (flag) return *flag;
  if (auto v = env_(name)) return *v;
  if (auto it = dotenv_.find(name); it != dotenv_.end()) return it->second;
  return fallback;
}

std::string settings::source(const std::string& name,
                             const std::optional<std::string>& flag) const {
  if (flag) return "flag";
  if (env_(name)) return "environment";
  if (dotenv_.count(name)) return ".env";
  return "default";
}

}  // namespace iot
