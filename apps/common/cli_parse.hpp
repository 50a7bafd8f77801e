// Command-line parsing with one-line usage errors for both programs.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

namespace apps {

// Unsigned options: CLI11 would otherwise wrap "-3" around to a huge number.
inline const CLI::Validator whole_number(
    [](const std::string& text) -> std::string {
      if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return "expected a whole number (0, 1, 2, ...), got \"" + text + "\"";
      return "";
    },
    "NUMBER");

// Parses argv. Returns nullopt to carry on; else the exit code: 0 after
// --help, 2 after "<program>: <what is wrong> (see --help)" on stderr.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv,
                                             const std::string& program) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": " << e.what() << " (see --help)\n";
    return 2;
  }
}

}  // namespace apps
