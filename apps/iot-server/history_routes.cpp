#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "api_routes.hpp"
#include "historian/export.hpp"
#include "historian/query_json.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

namespace {

bool wants_csv(const http::request& req) {
  return req[http::field::accept].find("text/csv") != boost::beast::string_view::npos;
}

http::response unavailable(const http::request& req, const historian::measurement_store& store,
                           const boost::system::error_code& ec, const storage::diagnostics& diag) {
  return http::make_problem(req,
                            {503, "database " + store.name() + ": " +
                                      (diag.message().empty() ? ec.message() : diag.message())});
}

// The query as the historian's JSON request, so that it is checked by the
// same rules as a request over NATS; the problem when a parameter is wrong.
std::variant<boost::json::object, http::problem> request_of(const http::request_context& c) {
  boost::json::object q;
  q["sensor_id"] = c.params["id"];
  std::string error;
  for (const auto& [name, value] : c.where.query) {
    if (name != "from" && name != "to" && name != "step" && name != "limit" && name != "cursor" &&
        name != "revisions")
      return http::problem{400, "unknown query parameter \"" + name + "\""};
    if (http::query_values(c.where, name).size() > 1)
      return http::problem{400, "query parameter \"" + name + "\" is given twice"};
    if (name == "limit") {
      try {
        std::size_t used = 0;
        const auto n = std::stoll(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
        q["limit"] = n;
      } catch (const std::exception&) {
        return http::problem{400, "limit must be a whole number (got \"" + value + "\")"};
      }
    } else if (name == "revisions") {
      if (value != "true" && value != "false")
        return http::problem{400, "revisions must be true or false (got \"" + value + "\")"};
      q["revisions"] = value == "true";
    } else {
      q[name] = value;
    }
  }
  const auto now = iot::clock::now();
  if (!q.contains("to")) q["to"] = iot::format_rfc3339(now);
  if (!q.contains("from")) {
    // An hour before `to`; a malformed `to` is named by the historian's check.
    if (auto to = iot::parse_rfc3339(q["to"].as_string()))
      q["from"] = iot::format_rfc3339(*to - std::chrono::hours(1));
  }
  if (q.contains("step"))
    for (const auto* other : {"limit", "cursor", "revisions"})
      if (q.contains(other))
        return http::problem{400,
                             std::string(other) + " does not go with step (buckets come whole)"};
  return q;
}

awaitable<http::response> measurements(historian::measurement_store& store,
                                       const http::request_context& c) {
  auto built = request_of(c);
  if (auto* p = std::get_if<http::problem>(&built)) co_return http::make_problem(c.req, *p);
  const auto text = boost::json::serialize(std::get<boost::json::object>(built));
  const bool csv = wants_csv(c.req);
  std::string error;
  storage::diagnostics diag;
  if (std::get<boost::json::object>(built).contains("step")) {
    auto q = historian::bucket_query_from_json(text, error);
    if (!q) co_return http::make_problem(c.req, {400, error});
    auto [ec, list] = co_await store.async_buckets(*q, diag, as_tuple(use_awaitable));
    if (ec) co_return unavailable(c.req, store, ec, diag);
    if (csv) {
      auto out = historian::bucket_csv_header();
      for (const auto& b : list) historian::append_csv(out, b);
      co_return http::make_response(c.req, 200, std::move(out), "text/csv");
    }
    boost::json::array buckets;
    for (const auto& b : list) buckets.push_back(historian::to_json(b));
    boost::json::object body{
        {"sensor_id", q->sensor_id}, {"step_ms", q->step.count()}, {"buckets", std::move(buckets)}};
    co_return http::make_response(c.req, 200, boost::json::serialize(body));
  }
  auto q = historian::range_query_from_json(text, error);
  if (!q) co_return http::make_problem(c.req, {400, error});
  const auto sensor = q->sensor_id;
  auto [ec, page] = co_await store.async_range(std::move(*q), diag, as_tuple(use_awaitable));
  if (ec) co_return unavailable(c.req, store, ec, diag);
  const auto next = page.next ? historian::encode_cursor(*page.next) : std::string();
  http::response res;
  if (csv) {
    auto out = historian::csv_header();
    for (const auto& row : page.rows) historian::append_csv(out, row);
    res = http::make_response(c.req, 200, std::move(out), "text/csv");
  } else {
    boost::json::array rows;
    for (const auto& row : page.rows) rows.push_back(historian::to_json(row));
    boost::json::object body{{"sensor_id", sensor}, {"rows", std::move(rows)}};
    if (next.empty())
      body["next_cursor"] = nullptr;
    else
      body["next_cursor"] = next;
    res = http::make_response(c.req, 200, boost::json::serialize(body));
  }
  if (!next.empty()) {
    // The next page: this request with the cursor (RFC 8288).
    std::string link = "/api/v1/sensors/" + http::percent_encode(sensor) +
                       "/measurements?cursor=" + http::percent_encode(next);
    for (const auto& [name, value] : c.where.query)
      if (name != "cursor") link += "&" + name + "=" + http::percent_encode(value);
    res.set(http::field::link, "<" + link + ">; rel=\"next\"");
  }
  co_return res;
}

}  // namespace

void add_history_routes(http::server& s, std::shared_ptr<historian::measurement_store> store) {
  s.add(http::verb::get, "/api/v1/sensors/{id}/measurements",
        [store](const http::request_context& c) { return measurements(*store, c); });
}

}  // namespace server
