// Routes: a method and a path pattern of literal segments and {name}
// parameters ("/api/v1/sensors/{id}/config") to a handler. A lookup tells an
// unknown path (404) from a known path asked with another method (405, with
// the methods it has, for Allow). Where a literal and a parameter could both
// match, the route with more literal segments wins.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <optional>
#include <ostream>  // Boost 1.81's string_view, under Beast, uses it undeclared
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

using verb = boost::beast::http::verb;

// The parameters a path matched: {"id", "sensor-1"}.
class path_params {
 public:
  void add(std::string name, std::string value) {
    values_.emplace_back(std::move(name), std::move(value));
  }
  // The value of {name}; empty when the pattern has no such parameter.
  const std::string& operator[](std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

namespace detail {
struct pattern_segment {
  std::string text;  // the literal, or the parameter's name
  bool parameter = false;
};
// Throws std::invalid_argument: not starting with '/', "{}", "{a" ...
std::vector<pattern_segment> parse_pattern(std::string_view pattern);
// Matches, fills `out`, and returns the number of literal segments; nullopt
// when the path does not match.
std::optional<std::size_t> match(const std::vector<pattern_segment>& pattern,
                                 const std::vector<std::string>& segments, path_params& out);
}  // namespace detail

template <class Handler>
class router {
 public:
  // Throws std::invalid_argument for a malformed pattern, or a method and
  // pattern given twice.
  void add(verb method, std::string_view pattern, Handler handler) {
    auto segments = detail::parse_pattern(pattern);
    for (const auto& r : routes_)
      if (r.method == method && r.pattern_text == pattern)
        throw std::invalid_argument("route " + std::string(boost::beast::http::to_string(method)) +
                                    " " + std::string(pattern) + " is given twice");
    routes_.push_back({method, std::string(pattern), std::move(segments), std::move(handler)});
  }

  struct lookup {
    const Handler* handler = nullptr;      // null: see path_known
    const std::string* pattern = nullptr;  // the route's, for logs and metrics
    path_params params;
    bool path_known = false;  // the path has routes, none for this method
    std::string allow;        // then: their methods, "GET, PUT"
  };

  lookup find(verb method, const std::vector<std::string>& segments) const {
    lookup best;
    std::optional<std::size_t> best_literals;
    std::vector<verb> others;
    for (const auto& r : routes_) {
      path_params params;
      const auto literals = detail::match(r.segments, segments, params);
      if (!literals) continue;
      if (r.method != method) {
        others.push_back(r.method);
        continue;
      }
      if (!best_literals || *literals > *best_literals) {
        best_literals = literals;
        best.handler = &r.handler;
        best.pattern = &r.pattern_text;
        best.params = std::move(params);
      }
    }
    if (best.handler || others.empty()) return best;
    best.path_known = true;
    for (const auto m : others) {
      const auto name = boost::beast::http::to_string(m);
      if (best.allow.find(name) != std::string::npos) continue;
      if (!best.allow.empty()) best.allow += ", ";
      best.allow += name;
    }
    return best;
  }

 private:
  struct route {
    verb method;
    std::string pattern_text;
    std::vector<detail::pattern_segment> segments;
    Handler handler;
  };
  std::vector<route> routes_;
};

}  // namespace http
