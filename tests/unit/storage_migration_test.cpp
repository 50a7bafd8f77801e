#include <doctest/doctest.h>

#include <array>
#include <string>

#include "storage/migration.hpp"

using storage::migration;
using storage::plan_migrations;

namespace {

constexpr std::array<migration, 3> three{{
    {1, "first", "CREATE TABLE a (x)"},
    {2, "second", "CREATE TABLE b (x)"},
    {3, "third", "CREATE TABLE c (x)"},
}};

}  // namespace

TEST_CASE("plan_migrations: an empty database gets every migration, in order") {
  const auto plan = plan_migrations(0, three);
  CHECK(plan.error.empty());
  REQUIRE(plan.to_apply.size() == 3);
  CHECK(plan.to_apply[0]->version == 1);
  CHECK(plan.to_apply[1]->version == 2);
  CHECK(plan.to_apply[2]->version == 3);
}

TEST_CASE("plan_migrations: a database part-way gets the migrations after its version") {
  const auto plan = plan_migrations(1, three);
  CHECK(plan.error.empty());
  REQUIRE(plan.to_apply.size() == 2);
  CHECK(plan.to_apply[0] == &three[1]);
  CHECK(plan.to_apply[1] == &three[2]);
}

TEST_CASE("plan_migrations: an up-to-date database gets nothing") {
  const auto plan = plan_migrations(3, three);
  CHECK(plan.error.empty());
  CHECK(plan.to_apply.empty());
}

TEST_CASE("plan_migrations: a newer database is refused, naming both versions") {
  const auto plan = plan_migrations(5, three);
  CHECK(plan.to_apply.empty());
  CHECK(plan.error.find("version 5") != std::string::npos);
  CHECK(plan.error.find("this program's 3") != std::string::npos);
}

TEST_CASE("plan_migrations: a negative version is refused") {
  CHECK_FALSE(plan_migrations(-1, three).error.empty());
}

TEST_CASE("plan_migrations: a list with a gap is refused, naming the misplaced migration") {
  constexpr std::array<migration, 2> gap{{
      {1, "first", "CREATE TABLE a (x)"},
      {3, "third", "CREATE TABLE c (x)"},
  }};
  const auto plan = plan_migrations(0, gap);
  CHECK(plan.to_apply.empty());
  CHECK(plan.error.find("migration 2 is numbered 3") != std::string::npos);
}

TEST_CASE("plan_migrations: no migrations at all leaves an empty database as it is") {
  const auto plan = plan_migrations(0, std::span<const migration>{});
  CHECK(plan.error.empty());
  CHECK(plan.to_apply.empty());
}
