#include <charconv>

#include "api_routes.hpp"
#include "iot/sensor_id.hpp"

namespace server {

namespace asio = boost::asio;

namespace {

// The stream sequence after which to resume; nullopt when not given.
std::variant<std::optional<std::uint64_t>, http::problem> resume_point(const http::request& req) {
  const auto text = req["Last-Event-ID"];
  if (text.empty()) return std::optional<std::uint64_t>();
  std::uint64_t seq = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc() || end != text.data() + text.size())
    return http::problem{400, "Last-Event-ID must be a stream sequence (a whole number), got \"" +
                                  std::string(text) + "\""};
  return std::optional<std::uint64_t>(seq);
}

}  // namespace

void add_event_routes(http::server& s, event_hub* const& hub) {
  http::event_route route;
  route.check = [&hub](const http::request_context& c) -> std::optional<http::problem> {
    for (const auto& [name, value] : c.where.query) {
      if (name != "sensor") return http::problem{400, "unknown query parameter \"" + name + "\""};
      if (auto e = iot::sensor_id_error(value); !e.empty()) return http::problem{400, e};
    }
    const auto resume = resume_point(c.req);
    if (const auto* p = std::get_if<http::problem>(&resume)) return *p;
    if (!hub || !hub->live())
      return http::problem{503, "iot-server is not following the measurements stream now"};
    return std::nullopt;
  };
  route.run = [&hub](const http::request_context& c,
                     http::event_stream& out) -> asio::awaitable<void> {
    const auto values = http::query_values(c.where, "sensor");
    std::set<std::string> sensors(values.begin(), values.end());
    const auto resume = std::get<std::optional<std::uint64_t>>(resume_point(c.req));
    if (hub) co_await hub->serve(std::move(sensors), resume, out);
  };
  s.add_events("/api/v1/events", std::move(route));
}

}  // namespace server
