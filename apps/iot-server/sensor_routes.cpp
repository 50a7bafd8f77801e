#include <boost/json/serialize.hpp>
#include <charconv>

#include "api_json.hpp"
#include "api_routes.hpp"

namespace server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::size_t max_page = 1000;

// The query's parameters are all among `known`; else the problem.
std::optional<http::problem> unknown_parameter(const http::target& t,
                                               std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : t.query)
    if (std::find(known.begin(), known.end(), name) == known.end())
      return http::problem{400, "unknown query parameter \"" + name + "\""};
  return std::nullopt;
}

http::response not_found(const http::request& req, const std::string& id) {
  return http::make_problem(req, {404, "no sensor \"" + id + "\" in the config bucket"});
}

awaitable<http::response> list_sensors(const sensor_registry& sensors,
                                       const http::request_context& c) {
  if (auto p = unknown_parameter(c.where, {"status", "prefix", "limit", "cursor"}))
    co_return http::make_problem(c.req, *p);
  std::string error;
  sensor_registry::filter f;
  if (auto status = http::query_value(c.where, "status", error)) {
    f.status = parse_sensor_status(*status);
    if (!f.status)
      co_return http::make_problem(
          c.req, {400, "status must be online, offline or unknown (got \"" + *status + "\")"});
  }
  f.id_prefix = http::query_value(c.where, "prefix", error).value_or("");
  f.after = http::query_value(c.where, "cursor", error).value_or("");
  if (auto limit = http::query_value(c.where, "limit", error)) {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n == 0 || n > max_page)
      co_return http::make_problem(
          c.req, {400, "limit must be a whole number from 1 to " + std::to_string(max_page) +
                           " (got \"" + *limit + "\")"});
    f.limit = n;
  }
  if (!error.empty()) co_return http::make_problem(c.req, {400, error});
  const auto now = iot::clock::now();
  const auto page = sensors.list(f, now);
  boost::json::array items;
  for (const auto* v : page.sensors) items.push_back(sensor_json(*v, now));
  boost::json::object body{{"sensors", std::move(items)}};
  if (page.next.empty())
    body["next_cursor"] = nullptr;
  else
    body["next_cursor"] = page.next;
  co_return http::make_response(c.req, 200, boost::json::serialize(body));
}

}  // namespace

void add_sensor_routes(http::server& s, const sensor_registry& sensors) {
  s.add(http::verb::get, "/api/v1/sensors",
        [&sensors](const http::request_context& c) { return list_sensors(sensors, c); });

  s.add(http::verb::get, "/api/v1/sensors/{id}",
        [&sensors](const http::request_context& c) -> awaitable<http::response> {
          const auto& id = c.params["id"];
          const auto* v = sensors.find(id);
          if (!v) co_return not_found(c.req, id);
          co_return http::make_response(c.req, 200,
                                        boost::json::serialize(sensor_json(*v, iot::clock::now())));
        });

  s.add(
      http::verb::get, "/api/v1/sensors/{id}/config",
      [&sensors](const http::request_context& c) -> awaitable<http::response> {
        const auto& id = c.params["id"];
        const auto* v = sensors.find(id);
        if (!v) co_return not_found(c.req, id);
        if (!v->config)
          co_return http::make_problem(c.req, {500, "the stored config of sensor \"" + id +
                                                        "\" does not decode: " + v->config_error});
        co_return http::make_response(c.req, 200, boost::json::serialize(config_json(*v->config)));
      });
}

}  // namespace server
