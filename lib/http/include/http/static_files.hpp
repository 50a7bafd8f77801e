// Files served as they are, from memory (built into the program): GET
// routes with a content type from the file name, ETag validators (304 for
// If-None-Match), a gzip copy for clients that accept it, and headers that
// tell browsers not to guess types and what a page may load.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "http/server.hpp"

namespace http {

struct static_file {
  std::string_view path;     // as requested, without the leading '/': "app.js"
  std::string_view body;     // the bytes served
  std::string_view gzipped;  // the same bytes gzip-compressed; empty: none
};

struct static_options {
  // Also served at "/" (a directory's page); empty: none.
  std::string index = "index.html";
  // Content-Security-Policy of every file; empty: none sent.
  std::string content_security_policy;
};

// Adds a GET route for each file. Throws std::invalid_argument for a path
// given twice or one that is not a plain route.
void add_static_files(server& s, std::span<const static_file> files,
                      const static_options& options = {});

// The Content-Type for a file name, by its extension (UTF-8 for text).
std::string_view content_type_of(std::string_view path);

// Whether an If-None-Match value ("*" or a list of entity tags, weak or
// strong) matches `etag` (weak comparison, as RFC 9110 asks for GET).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// Whether an Accept-Encoding value accepts gzip (named, or "*", with a
// q-value above 0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace http
