#include "http/static_files.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <utility>

namespace http {

namespace {

using boost::asio::awaitable;

// Trims spaces and tabs at both ends.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f on each comma-separated element, trimmed.
template <typename F>
void for_each_element(std::string_view list, F f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    f(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

std::string_view without_weak_prefix(std::string_view tag) {
  return tag.substr(0, 2) == "W/" ? tag.substr(2) : tag;
}

// A strong tag from the bytes: FNV-1a, 64 bits. Not for security, only to
// tell versions apart.
std::string entity_tag(std::string_view bytes, std::string_view suffix) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  std::array<char, 17> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(h));
  return "\"" + std::string(hex.data()) + std::string(suffix) + "\"";
}

// One file, its representations and its fixed headers.
struct served_file {
  std::string_view body;
  std::string_view gzipped;
  std::string_view content_type;
  std::string etag;
  std::string gzip_etag;
  std::string content_security_policy;
};

response answer(const served_file& f, const request& req) {
  const bool gzip = !f.gzipped.empty() && accepts_gzip(req[field::accept_encoding]);
  const std::string& etag = gzip ? f.gzip_etag : f.etag;
  const bool unchanged = etag_matches(req[field::if_none_match], etag);
  response res = make_response(req, unchanged ? 304 : 200,
                               unchanged ? std::string() : std::string(gzip ? f.gzipped : f.body),
                               f.content_type);
  if (unchanged) res.erase(field::content_length);  // a 304 has no body
  res.set(field::etag, etag);
  // Kept, but asked again each time: the files change with the program.
  res.set(field::cache_control, "no-cache");
  if (!f.gzipped.empty()) res.set(field::vary, "Accept-Encoding");
  if (gzip) res.set(field::content_encoding, "gzip");
  if (!f.content_security_policy.empty())
    res.set("Content-Security-Policy", f.content_security_policy);
  return res;
}

}  // namespace

std::string_view content_type_of(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    const auto ext = path.substr(dot);
    for (const auto& [suffix, type] : types)
      if (ext == suffix) return type;
  }
  return "application/octet-stream";
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  bool found = false;
  for_each_element(if_none_match, [&](std::string_view tag) {
    if (tag == "*" || without_weak_prefix(tag) == without_weak_prefix(etag)) found = true;
  });
  return found;
}

bool accepts_gzip(std::string_view accept_encoding) {
  bool accepted = false;
  for_each_element(accept_encoding, [&](std::string_view element) {
    const auto semicolon = element.find(';');
    const auto coding = trim(element.substr(0, semicolon));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") return;
    auto params = semicolon == std::string_view::npos ? std::string_view{}
                                                      : trim(element.substr(semicolon + 1));
    // "q=0", "q=0.0", "q=0.000": refused; any other q-value accepts.
    bool refused = false;
    if (params.substr(0, 2) == "q=" || params.substr(0, 2) == "Q=") {
      params.remove_prefix(2);
      refused = !params.empty() && params.find_first_not_of("0.") == std::string_view::npos;
    }
    if (!refused) accepted = true;
  });
  return accepted;
}

void add_static_files(server& s, std::span<const static_file> files,
                      const static_options& options) {
  for (const auto& f : files) {
    if (f.path.empty() || f.path.front() == '/')
      throw std::invalid_argument("static file path \"" + std::string(f.path) +
                                  "\": expected a relative path such as \"app.js\"");
    auto served = std::make_shared<served_file>(
        served_file{f.body, f.gzipped, content_type_of(f.path), entity_tag(f.body, ""),
                    entity_tag(f.body, "-gzip"), options.content_security_policy});
    auto h = [served](const request_context& c) -> awaitable<response> {
      co_return answer(*served, c.req);
    };
    s.add(verb::get, "/" + std::string(f.path), h);
    if (f.path == options.index) s.add(verb::get, "/", h);
  }
}

}  // namespace http
