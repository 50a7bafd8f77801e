// Versioned schemas: an ordered list of migrations, each applied once, in
// one transaction with the bump of `schema_version`. Each backend applies
// the plan under its own lock so that one process at a time migrates.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace storage {

struct migration {
  int version;               // 1, 2, 3... without gaps
  std::string_view summary;  // what it changes, for the log
  std::string_view sql;      // one or more statements
};

struct migration_plan {
  std::vector<const migration*> to_apply;  // in order, after `current`
  std::string error;                       // non-empty: refuse to start
};

// What brings a database at `current` (0: empty) to the last of `all`.
// A database newer than the program, or a list with gaps, is an error.
migration_plan plan_migrations(int current, std::span<const migration> all);

}  // namespace storage
