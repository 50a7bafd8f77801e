// http::bearer_matches: the Authorization header against the token.
#include <doctest/doctest.h>

#include "http/bearer.hpp"

TEST_CASE("bearer_matches: only \"Bearer <the token>\", the scheme in any case") {
  CHECK(http::bearer_matches("Bearer s3cret", "s3cret"));
  CHECK(http::bearer_matches("bearer s3cret", "s3cret"));
  CHECK(http::bearer_matches("BEARER  s3cret", "s3cret"));
  CHECK_FALSE(http::bearer_matches("Bearer s3cre", "s3cret"));
  CHECK_FALSE(http::bearer_matches("Bearer s3cretx", "s3cret"));
  CHECK_FALSE(http::bearer_matches("Bearer S3cret", "s3cret"));
  CHECK_FALSE(http::bearer_matches("Basic s3cret", "s3cret"));
  CHECK_FALSE(http::bearer_matches("s3cret", "s3cret"));
  CHECK_FALSE(http::bearer_matches("", "s3cret"));
  CHECK_FALSE(http::bearer_matches("Bearer ", ""));  // an empty token never matches
}
