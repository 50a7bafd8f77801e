#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "iot/settings.hpp"

namespace fs = std::filesystem;
using iot::parse_dotenv;
using iot::settings;

namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

std::map<std::string, std::string> parse_ok(std::string_view text) {
  std::vector<std::string> errors;
  auto out = parse_dotenv(text, errors);
  CHECK(errors.empty());
  return out;
}

std::vector<std::string> errors_of(std::string_view text) {
  std::vector<std::string> errors;
  parse_dotenv(text, errors);
  return errors;
}

// An environment made of a map.
settings::env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

// A fresh directory, removed at the end of the test.
struct temp_dir {
  fs::path path;
  temp_dir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("iot-settings-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

// Runs in `dir` as the working directory.
struct in_directory {
  fs::path previous = fs::current_path();
  explicit in_directory(const fs::path& dir) { fs::current_path(dir); }
  ~in_directory() { fs::current_path(previous); }
};

}  // namespace

TEST_CASE("parse_dotenv: NAME=VALUE lines, comments and blank lines") {
  const auto v = parse_ok(
      "# a comment\n"
      "\n"
      "NATS_URL=nats://a:4222,nats://b:4222\n"
      "   # an indented comment\n"
      "  NATS_USER = alice  \n"
      "EMPTY=\n"
      "_x9=1\n");
  CHECK(v.size() == 4);
  CHECK(v.at("NATS_URL") == "nats://a:4222,nats://b:4222");
  CHECK(v.at("NATS_USER") == "alice");
  CHECK(v.at("EMPTY") == "");
  CHECK(v.at("_x9") == "1");
}

TEST_CASE("parse_dotenv: export prefix") {
  const auto v = parse_ok("export A=1\nexport\tB='two'\nexport=3\n");
  CHECK(v.at("A") == "1");
  CHECK(v.at("B") == "two");
  CHECK(v.at("export") == "3");
}

TEST_CASE("parse_dotenv: quotes") {
  const auto v = parse_ok(
      "S='single # not a comment \\n'\n"
      "D=\"double # not a comment\"\n"
      "E=\"a\\nb\\t\\\"c\\\"\\\\\"\n"
      "SPACES='  kept  '\n"
      "Q=\"quoted\"   # a comment after the quote\n"
      "EMPTY_QUOTES=\"\"\n"
      "INNER=it's\n");
  CHECK(v.at("S") == "single # not a comment \\n");  // no escapes in single quotes
  CHECK(v.at("D") == "double # not a comment");
  CHECK(v.at("E") == "a\nb\t\"c\"\\");
  CHECK(v.at("SPACES") == "  kept  ");
  CHECK(v.at("Q") == "quoted");
  CHECK(v.at("EMPTY_QUOTES") == "");
  CHECK(v.at("INNER") == "it's");
}

TEST_CASE("parse_dotenv: comments after unquoted values need a blank before '#'") {
  const auto v = parse_ok("A=value # comment\nB=color#red\nC=x\t# tab\n");
  CHECK(v.at("A") == "value");
  CHECK(v.at("B") == "color#red");
  CHECK(v.at("C") == "x");
}

TEST_CASE("parse_dotenv: CRLF line ends, no final newline, the last value wins") {
  const auto v = parse_ok("A=1\r\nB='2'\r\nA=3");
  CHECK(v.at("A") == "3");
  CHECK(v.at("B") == "2");
  CHECK(parse_ok("").empty());
  CHECK(parse_ok("\n\n").empty());
}

TEST_CASE("parse_dotenv: the example file of the repository parses") {
  const auto v = parse_ok(
      "# Authentication (leave empty when the server needs none).\n"
      "NATS_USER=\n"
      "NATS_REPLICAS=1\n"
      "NATS_MEASUREMENTS_MAX_AGE=168h\n");
  CHECK(v.at("NATS_USER") == "");
  CHECK(v.at("NATS_MEASUREMENTS_MAX_AGE") == "168h");
}

TEST_CASE("parse_dotenv: malformed lines are reported by number, the rest is kept") {
  std::vector<std::string> errors;
  const auto v = parse_dotenv("A=1\njust text\nB=2\n", errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == R"(line 2: expected NAME=VALUE, got "just text")");
  CHECK(v.at("A") == "1");
  CHECK(v.at("B") == "2");

  CHECK(
      errors_of("1A=x").at(0) ==
      R"(line 1: invalid variable name "1A": use letters, digits and _, not starting with a digit)");
  CHECK(contains(errors_of("A B=x").at(0), R"(line 1: invalid variable name "A B")"));
  CHECK(contains(errors_of("A-B=x").at(0), "invalid variable name"));
  CHECK(contains(errors_of("=x").at(0), R"(invalid variable name "")"));
  CHECK(errors_of("\n\nA='x").at(0) == "line 3: unterminated single quote");
  CHECK(errors_of("A=\"x").at(0) == "line 1: unterminated double quote");
  CHECK(errors_of("A=\"x\"y").at(0) == "line 1: unexpected text after the closing quote");
  CHECK(errors_of("A='x' y").at(0) == "line 1: unexpected text after the closing quote");
  CHECK(errors_of("export").at(0) == R"(line 1: expected NAME=VALUE, got "export")");
  CHECK(errors_of("a\nb\n").size() == 2);
}

TEST_CASE("precedence: flag > environment > .env > default") {
  const settings s(
      {{"FROM_FILE", "file"}, {"IN_ALL", "file"}, {"IN_ENV_AND_FILE", "file"}},
      fake_env(
          {{"IN_ALL", "env"}, {"IN_ENV_AND_FILE", "env"}, {"ONLY_ENV", "env"}, {"EMPTY_ENV", ""}}));
  const std::optional<std::string> none;
  const std::optional<std::string> flag = "flag";

  CHECK(s.get("IN_ALL", flag, "default") == "flag");
  CHECK(s.source("IN_ALL", flag) == "flag");
  CHECK(s.get("IN_ALL", none, "default") == "env");
  CHECK(s.source("IN_ALL", none) == "environment");
  CHECK(s.get("IN_ENV_AND_FILE", none, "default") == "env");
  CHECK(s.get("ONLY_ENV", none, "default") == "env");
  CHECK(s.get("FROM_FILE", none, "default") == "file");
  CHECK(s.source("FROM_FILE", none) == ".env");
  CHECK(s.get("NOWHERE", none, "default") == "default");
  CHECK(s.source("NOWHERE", none) == "default");
  CHECK(s.get("NOWHERE", flag, "default") == "flag");
  CHECK(s.source("NOWHERE", flag) == "flag");
  // Given is given, even when empty.
  CHECK(s.get("IN_ALL", std::optional<std::string>(""), "default") == "");
  CHECK(s.source("IN_ALL", std::optional<std::string>("")) == "flag");
  CHECK(s.get("EMPTY_ENV", none, "default") == "");
  CHECK(s.source("EMPTY_ENV", none) == "environment");
}

TEST_CASE("the environment defaults to getenv") {
  const std::string name = "IOT_SETTINGS_TEST_" + std::to_string(::getpid());
  const settings s({{name, "file"}});
  CHECK(s.get(name, std::nullopt, "default") == "file");
  ::setenv(name.c_str(), "from getenv", 1);
  CHECK(s.get(name, std::nullopt, "default") == "from getenv");
  CHECK(s.source(name, std::nullopt) == "environment");
  ::unsetenv(name.c_str());
  CHECK(s.source(name, std::nullopt) == ".env");
}

TEST_CASE("load: an explicit file is required") {
  temp_dir dir;
  const auto path = dir.write("custom.env", "LOAD_TEST_A=1\nexport LOAD_TEST_B=\"two words\"\n");
  std::string error = "stale";
  const auto s = settings::load(path, error);
  CHECK(error == "");
  CHECK(s.get("LOAD_TEST_A", std::nullopt, "") == "1");
  CHECK(s.get("LOAD_TEST_B", std::nullopt, "") == "two words");
  CHECK(s.source("LOAD_TEST_B", std::nullopt) == ".env");

  const auto missing = (dir.path / "missing.env").string();
  settings::load(missing, error);
  CHECK(error == "cannot read .env file " + missing + ": No such file or directory");
  settings::load(dir.path.string(), error);  // a directory
  CHECK(contains(error, "cannot read .env file " + dir.path.string() + ": "));
}

TEST_CASE("load: malformed lines fail with the first error and the file name") {
  temp_dir dir;
  const auto path = dir.write("bad.env", "A=1\nnot a setting\nB='open\n");
  std::string error;
  settings::load(path, error);
  CHECK(error == path + R"(: line 2: expected NAME=VALUE, got "not a setting")");
}

TEST_CASE("load: ./.env when it exists, nothing when it does not") {
  temp_dir dir;
  in_directory cwd(dir.path);
  std::string error = "stale";
  const auto empty = settings::load(std::nullopt, error);
  CHECK(error == "");
  CHECK(empty.source("LOAD_TEST_DOTENV", std::nullopt) == "default");

  dir.write(".env", "LOAD_TEST_DOTENV=here # comment\n");
  const auto s = settings::load(std::nullopt, error);
  CHECK(error == "");
  CHECK(s.get("LOAD_TEST_DOTENV", std::nullopt, "default") == "here");
  CHECK(s.source("LOAD_TEST_DOTENV", std::nullopt) == ".env");

  dir.write(".env", "LOAD_TEST_DOTENV='broken\n");
  settings::load(std::nullopt, error);
  CHECK(error == ".env: line 1: unterminated single quote");
}
