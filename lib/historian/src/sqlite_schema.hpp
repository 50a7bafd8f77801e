// The measurement history's tables in SQLite, as versioned migrations.
#pragma once

#include <span>

#include "storage/migration.hpp"

namespace historian::detail {

std::span<const storage::migration> sqlite_migrations();

}  // namespace historian::detail
