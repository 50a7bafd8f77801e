// The measurement history's tables in PostgreSQL, as numbered migrations.
#pragma once

#include <span>

#include "storage/migration.hpp"

namespace historian::detail {

std::span<const storage::migration> postgres_migrations();

}  // namespace historian::detail
