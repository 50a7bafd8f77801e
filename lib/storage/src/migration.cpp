#include "storage/migration.hpp"

namespace storage {

migration_plan plan_migrations(int current, std::span<const migration> all) {
  migration_plan plan;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].version != static_cast<int>(i) + 1) {
      plan.error = "migration " + std::to_string(i + 1) + " is numbered " +
                   std::to_string(all[i].version) + ": migrations must count 1, 2, 3...";
      return plan;
    }
  }
  const int latest = static_cast<int>(all.size());
  if (current < 0 || current > latest) {
    plan.error = "the database schema is version " + std::to_string(current) +
                 ", newer than this program's " + std::to_string(latest) +
                 ": upgrade the program, or use another database";
    return plan;
  }
  for (int v = current + 1; v <= latest; ++v) plan.to_apply.push_back(&all[v - 1]);
  return plan;
}

}  // namespace storage
