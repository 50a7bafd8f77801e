#include <boost/json/serialize.hpp>
#include <charconv>

#include "api_json.hpp"
#include "api_routes.hpp"
#include "http/json_body.hpp"
#include "iot/duration.hpp"

namespace server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr auto default_wait = std::chrono::seconds(5);
// Bounded, so that a stop never waits longer for a request in flight.
constexpr auto max_wait = std::chrono::seconds(30);
// As iot::decode_command accepts.
constexpr auto min_interval = std::chrono::milliseconds(1);
constexpr auto max_interval = std::chrono::hours(24);

// How a command's outcome is answered: 200 applied, 202 queued or taken
// (with where to look later), 422 rejected, 503 not sent.
http::response outcome_response(const http::request& req, const command_record& r) {
  const auto location = "/api/v1/commands/" + r.command_uuid;
  switch (r.state) {
    case command_state::applied:
      return http::make_response(req, 200, boost::json::serialize(command_json(r)));
    case command_state::queued:
    case command_state::taken: {
      auto res = http::make_response(req, 202, boost::json::serialize(command_json(r)));
      res.set(http::field::location, location);
      return res;
    }
    case command_state::rejected: {
      http::problem p{422, r.error, "Command rejected", "/problems/command-rejected"};
      p.extensions = {{"command_uuid", r.command_uuid}, {"sensor_id", r.sensor_id}};
      auto res = http::make_problem(req, p);
      res.set(http::field::location, location);
      return res;
    }
    case command_state::failed:
      break;
  }
  return http::make_problem(req, {503, r.error});
}

// Checks what every command request needs; the problem when it falls short.
std::optional<http::problem> cannot_send(const command_sources& src, const std::string& id) {
  if (!src.commands || !src.nats.connected)
    return http::problem{503, "NATS is not reachable from iot-server now; nothing was sent"};
  if (!src.feed || !src.feed->configs_loaded())
    return http::problem{503, "the sensors' configs are still loading; nothing was sent"};
  if (!src.sensors.find(id))
    return http::problem{404, "no sensor \"" + id + "\" in the config bucket"};
  return std::nullopt;
}

// ?timeout=D, how long to wait for the result: 0 to 30 s, 5 s by default.
std::variant<std::chrono::milliseconds, http::problem> wait_of(const http::target& t) {
  for (const auto& [name, value] : t.query)
    if (name != "timeout") return http::problem{400, "unknown query parameter \"" + name + "\""};
  std::string error;
  const auto text = http::query_value(t, "timeout", error);
  if (!error.empty()) return http::problem{400, error};
  if (!text) return std::chrono::milliseconds(default_wait);
  std::chrono::milliseconds d{};
  if (auto e = iot::parse_duration(*text, d); !e.empty())
    return http::problem{400, "timeout: " + e};
  if (d.count() < 0 || d > max_wait)
    return http::problem{400, "timeout must be from 0s to 30s (got \"" + *text + "\")"};
  return d;
}

// {"interval": "250ms"} or {"interval_ms": 250}, and nothing else.
std::variant<std::chrono::milliseconds, http::problem> interval_of(const boost::json::object& o) {
  for (const auto& [key, value] : o)
    if (key != "interval" && key != "interval_ms")
      return http::problem{400, "unknown member \"" + std::string(key) +
                                    "\" (expected \"interval\" or \"interval_ms\")"};
  const auto* text = o.if_contains("interval");
  const auto* ms = o.if_contains("interval_ms");
  if ((text != nullptr) == (ms != nullptr))
    return http::problem{400,
                         "give exactly one of \"interval\" (\"250ms\") and \"interval_ms\" (250)"};
  std::chrono::milliseconds d{};
  if (text) {
    if (!text->is_string())
      return http::problem{400, "\"interval\" must be a string such as \"250ms\""};
    if (auto e = iot::parse_duration(text->as_string(), d); !e.empty())
      return http::problem{400, "interval: " + e};
  } else {
    if (!ms->is_int64() && !ms->is_uint64())
      return http::problem{400, "\"interval_ms\" must be a whole number of milliseconds"};
    d = std::chrono::milliseconds(ms->to_number<std::int64_t>());
  }
  if (d < min_interval || d > max_interval)
    return http::problem{
        400, "the interval must be from 1ms to 24h (got " + std::to_string(d.count()) + " ms)"};
  return d;
}

awaitable<http::response> put_config(const command_sources& src, const http::request_context& c) {
  const auto& id = c.params["id"];
  auto wait = wait_of(c.where);
  if (auto* p = std::get_if<http::problem>(&wait)) co_return http::make_problem(c.req, *p);
  auto body = http::json_object_body(c.req);
  if (auto* p = std::get_if<http::problem>(&body)) co_return http::make_problem(c.req, *p);
  auto interval = interval_of(std::get<boost::json::object>(body));
  if (auto* p = std::get_if<http::problem>(&interval)) co_return http::make_problem(c.req, *p);
  if (auto p = cannot_send(src, id)) co_return http::make_problem(c.req, *p);
  iot::command cmd;
  cmd.kind = iot::command_kind::update_config;
  cmd.new_interval = std::get<std::chrono::milliseconds>(interval);
  const auto r =
      co_await src.commands->send(id, std::move(cmd), std::get<std::chrono::milliseconds>(wait));
  co_return outcome_response(c.req, r);
}

awaitable<http::response> put_measurement(const command_sources& src,
                                          const http::request_context& c) {
  const auto& id = c.params["id"];
  const auto& lecture_text = c.params["lecture_id"];
  std::uint64_t lecture = 0;
  auto [end, ec] =
      std::from_chars(lecture_text.data(), lecture_text.data() + lecture_text.size(), lecture);
  if (ec != std::errc() || end != lecture_text.data() + lecture_text.size() || lecture == 0)
    co_return http::make_problem(
        c.req,
        {400, "the lecture id must be a positive whole number (got \"" + lecture_text + "\")"});
  auto wait = wait_of(c.where);
  if (auto* p = std::get_if<http::problem>(&wait)) co_return http::make_problem(c.req, *p);
  auto body = http::json_object_body(c.req);
  if (auto* p = std::get_if<http::problem>(&body)) co_return http::make_problem(c.req, *p);
  const auto& o = std::get<boost::json::object>(body);
  for (const auto& [key, value] : o)
    if (key != "value")
      co_return http::make_problem(
          c.req, {400, "unknown member \"" + std::string(key) + "\" (expected \"value\")"});
  const auto* value = o.if_contains("value");
  if (!value || !value->is_string() || value->as_string().empty())
    co_return http::make_problem(
        c.req,
        {400, "\"value\" must be the corrected reading as a non-empty string, e.g. \"21.5\""});
  if (auto p = cannot_send(src, id)) co_return http::make_problem(c.req, *p);
  iot::command cmd;
  cmd.kind = iot::command_kind::edit_measurement;
  cmd.metric_id = lecture;
  cmd.new_measurement_value = value->as_string();
  const auto r =
      co_await src.commands->send(id, std::move(cmd), std::get<std::chrono::milliseconds>(wait));
  co_return outcome_response(c.req, r);
}

}  // namespace

void add_command_routes(http::server& s, const command_sources& src) {
  s.add(http::verb::put, "/api/v1/sensors/{id}/config",
        [&src](const http::request_context& c) { return put_config(src, c); });
  s.add(http::verb::put, "/api/v1/sensors/{id}/measurements/{lecture_id}",
        [&src](const http::request_context& c) { return put_measurement(src, c); });
  s.add(http::verb::get, "/api/v1/commands/{uuid}",
        [&src](const http::request_context& c) -> awaitable<http::response> {
          const auto& uuid = c.params["uuid"];
          const auto* r = src.commands ? src.commands->find(uuid) : nullptr;
          if (!r)
            co_return http::make_problem(c.req, {404, "no command \"" + uuid +
                                                          "\" is known here (sent elsewhere before "
                                                          "this process started, or forgotten)"});
          co_return http::make_response(c.req, 200, boost::json::serialize(command_json(*r)));
        });
}

}  // namespace server
