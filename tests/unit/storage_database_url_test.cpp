#include <doctest/doctest.h>

#include <string>

#include "storage/database_url.hpp"

using storage::database_url;
using storage::mask_secrets;
using storage::parse_database_url;

TEST_CASE("parse_database_url: sqlite:PATH names a file, relative or absolute") {
  std::string error;
  auto url = parse_database_url("sqlite:data/history.db", error);
  REQUIRE(url);
  CHECK(url->type == database_url::kind::sqlite);
  CHECK(url->target == "data/history.db");
  CHECK(url->masked == "sqlite:data/history.db");

  url = parse_database_url("sqlite:///var/lib/iot/history.db", error);
  REQUIRE(url);
  CHECK(url->target == "/var/lib/iot/history.db");
  CHECK(error.empty());
}

TEST_CASE("parse_database_url: sqlite: without a path is refused with a reason") {
  std::string error;
  CHECK_FALSE(parse_database_url("sqlite:", error));
  CHECK(error.find("names no file") != std::string::npos);
  error.clear();
  CHECK_FALSE(parse_database_url("sqlite://", error));
  CHECK(error.find("names no file") != std::string::npos);
}

TEST_CASE("parse_database_url: postgresql:// and postgres:// keep the URI for libpq, masked") {
  std::string error;
  auto url = parse_database_url("postgresql://iot:s3cret@db.local:5432/history", error);
  REQUIRE(url);
  CHECK(url->type == database_url::kind::postgresql);
  CHECK(url->target == "postgresql://iot:s3cret@db.local:5432/history");
  CHECK(url->masked == "postgresql://iot:***@db.local:5432/history");

  url = parse_database_url("postgres://iot@db.local/history", error);
  REQUIRE(url);
  CHECK(url->type == database_url::kind::postgresql);
  CHECK(url->masked == "postgres://iot@db.local/history");
}

TEST_CASE("parse_database_url: anything else is refused, and the reason hides the password") {
  std::string error;
  CHECK_FALSE(parse_database_url("mysql://root:hunter2@localhost/db", error));
  CHECK(error.find("neither sqlite:PATH nor postgresql://") != std::string::npos);
  CHECK(error.find("hunter2") == std::string::npos);
  CHECK(error.find("mysql://root:***@localhost/db") != std::string::npos);
  error.clear();
  CHECK_FALSE(parse_database_url("", error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("mask_secrets: hides the userinfo password and password= parameters") {
  CHECK(mask_secrets("postgresql://u:p@h/db") == "postgresql://u:***@h/db");
  CHECK(mask_secrets("postgresql://u@h/db?password=abc&sslmode=require") ==
        "postgresql://u@h/db?password=***&sslmode=require");
  CHECK(mask_secrets("host=h password=abc user=u") == "host=h password=*** user=u");
  CHECK(mask_secrets("password=a password=b") == "password=*** password=***");
}

TEST_CASE("mask_secrets: leaves text without a password as it is") {
  CHECK(mask_secrets("postgresql://u@h:5432/db") == "postgresql://u@h:5432/db");
  // A colon after the host part is a port, not a password.
  CHECK(mask_secrets("postgresql://h:5432/db@x") == "postgresql://h:5432/db@x");
  CHECK(mask_secrets("sqlite:/tmp/a:b@c") == "sqlite:/tmp/a:b@c");
  CHECK(mask_secrets("") == "");
}
