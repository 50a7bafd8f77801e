// http/static_files.hpp's pure parts: content types, entity tag matching,
// whether a client takes gzip.
#include <doctest/doctest.h>

#include "http/static_files.hpp"

TEST_CASE("content_type_of: by the last extension of the last segment") {
  CHECK(http::content_type_of("index.html") == "text/html; charset=utf-8");
  CHECK(http::content_type_of("vendor/uPlot.iife.min.js") == "text/javascript; charset=utf-8");
  CHECK(http::content_type_of("app/fleet.mjs") == "text/javascript; charset=utf-8");
  CHECK(http::content_type_of("style.css") == "text/css; charset=utf-8");
  CHECK(http::content_type_of("logo.svg") == "image/svg+xml");
  CHECK(http::content_type_of("shot.png") == "image/png");
  CHECK(http::content_type_of("README") == "application/octet-stream");
  CHECK(http::content_type_of("v1.2/README") == "application/octet-stream");
  CHECK(http::content_type_of("archive.html.gz") == "application/octet-stream");
}

TEST_CASE("etag_matches: any listed tag, weak or strong, or *") {
  const std::string etag = "\"00ab\"";
  CHECK(http::etag_matches("\"00ab\"", etag));
  CHECK(http::etag_matches("W/\"00ab\"", etag));
  CHECK(http::etag_matches("\"ffff\", \"00ab\"", etag));
  CHECK(http::etag_matches("\"ffff\",W/\"00ab\"", etag));
  CHECK(http::etag_matches("*", etag));
  CHECK_FALSE(http::etag_matches("", etag));
  CHECK_FALSE(http::etag_matches("\"00ab-gzip\"", etag));
  CHECK_FALSE(http::etag_matches("\"00a\"", etag));
  CHECK_FALSE(http::etag_matches("00ab", etag));  // not quoted: not this tag
}

TEST_CASE("accepts_gzip: named or *, unless its q-value is 0") {
  CHECK(http::accepts_gzip("gzip"));
  CHECK(http::accepts_gzip("gzip, deflate, br, zstd"));
  CHECK(http::accepts_gzip("br;q=1.0, gzip;q=0.8"));
  CHECK(http::accepts_gzip("x-gzip"));
  CHECK(http::accepts_gzip("*"));
  CHECK(http::accepts_gzip("identity, gzip ; q=0.5"));
  CHECK_FALSE(http::accepts_gzip(""));
  CHECK_FALSE(http::accepts_gzip("identity"));
  CHECK_FALSE(http::accepts_gzip("br, deflate"));
  CHECK_FALSE(http::accepts_gzip("gzip;q=0"));
  CHECK_FALSE(http::accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(http::accepts_gzip("gzipped"));
}
