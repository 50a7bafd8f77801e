#include "storage/sqlite/migrate.hpp"

#include "storage/error.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/error.hpp"
#include "storage/sqlite/transaction.hpp"

namespace storage::sqlite {
namespace {

int read_version(connection& c) {
  c.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  auto s = c.prepare("SELECT max(version) FROM schema_version");
  if (!s->step() || s->is_null(0)) return 0;
  return static_cast<int>(s->column_int64(0));
}

}  // namespace

int schema_version(connection& c) {
  transaction t(c, transaction::kind::deferred);
  auto s = c.prepare(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'");
  if (!s->step() || s->column_int64(0) == 0) return 0;
  auto v = c.prepare("SELECT max(version) FROM schema_version");
  return v->step() && !v->is_null(0) ? static_cast<int>(v->column_int64(0)) : 0;
}

int apply_migrations(connection& c, std::span<const migration> all) {
  int applied = 0;
  for (;;) {
    transaction t(c, transaction::kind::immediate);
    const auto plan = plan_migrations(read_version(c), all);
    if (!plan.error.empty()) {
      throw database_error(make_error_code(errc::schema_too_new), plan.error);
    }
    if (plan.to_apply.empty()) {
      t.commit();
      return applied;
    }
    const migration& m = *plan.to_apply.front();
    try {
      c.exec(m.sql);
    } catch (const database_error& e) {
      throw database_error(e.code(), "migration " + std::to_string(m.version) + " (" +
                                         std::string(m.summary) + "): " + e.text());
    }
    c.exec("DELETE FROM schema_version");
    auto bump = c.prepare("INSERT INTO schema_version (version) VALUES (?)");
    bump->bind(1, std::int64_t{m.version}).run();
    t.commit();
    ++applied;
  }
}

}  // namespace storage::sqlite
