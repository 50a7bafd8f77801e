// Brings a database's schema up to date: the `schema_version` table says
// where it is; each missing migration runs in its own BEGIN IMMEDIATE
// transaction with the version bump, so that of several processes opening
// one file, one migrates and the others find the work done.
#pragma once

#include <span>

#include "storage/migration.hpp"

namespace storage::sqlite {

class connection;

// Returns how many migrations it applied. Throws database_error: SQLite's
// codes, or storage::errc::schema_too_new with plan_migrations' message.
int apply_migrations(connection& c, std::span<const migration> all);

// The version the database is at (0 when it has none yet).
int schema_version(connection& c);

}  // namespace storage::sqlite
