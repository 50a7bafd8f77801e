#include "history_handlers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "historian/query_json.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

namespace {

history_reply bad_request(std::string why) { return {400, std::move(why)}; }

history_reply unavailable(const historian::measurement_store& store,
                          const boost::system::error_code& ec, const storage::diagnostics& diag) {
  return {503, "database " + store.name() + ": " +
                   (diag.message().empty() ? ec.message() : diag.message())};
}

}  // namespace

awaitable<history_reply> history_handlers::range(std::string_view request) {
  std::string error;
  auto q = historian::range_query_from_json(request, error);
  if (!q) co_return bad_request(std::move(error));
  storage::diagnostics diag;
  auto [ec, page] = co_await store_->async_range(std::move(*q), diag, as_tuple(use_awaitable));
  if (ec) co_return unavailable(*store_, ec, diag);
  co_return history_reply{200, historian::page_to_json(page)};
}

awaitable<history_reply> history_handlers::buckets(std::string_view request) {
  std::string error;
  auto q = historian::bucket_query_from_json(request, error);
  if (!q) co_return bad_request(std::move(error));
  storage::diagnostics diag;
  auto [ec, list] = co_await store_->async_buckets(*q, diag, as_tuple(use_awaitable));
  if (ec) co_return unavailable(*store_, ec, diag);
  co_return history_reply{200, historian::buckets_to_json(*q, list)};
}

awaitable<history_reply> history_handlers::latest(std::string_view request) {
  std::string error;
  auto q = historian::latest_query_from_json(request, error);
  if (!q) co_return bad_request(std::move(error));
  storage::diagnostics diag;
  auto [ec, rows] = co_await store_->async_latest(diag, as_tuple(use_awaitable));
  if (ec) co_return unavailable(*store_, ec, diag);
  co_return history_reply{200, historian::latest_to_json(rows, *q)};
}

awaitable<history_reply> history_handlers::stats(std::string_view) {
  storage::diagnostics diag;
  auto [ec, s] = co_await store_->async_stats(diag, as_tuple(use_awaitable));
  if (ec) co_return unavailable(*store_, ec, diag);
  if (!ingest_) co_return history_reply{200, historian::stats_to_json(s)};
  auto out = boost::json::parse(historian::stats_to_json(s)).as_object();
  boost::json::array le, at_most;
  for (std::size_t i = 0; i < duration_histogram::bounds_ms.size(); ++i) {
    le.push_back(duration_histogram::bounds_ms[i]);
    at_most.push_back(ingest_->lag.at_most(i));
  }
  at_most.push_back(ingest_->lag.count());
  out["ingest"] = {{"stored", ingest_->stored.load()},
                   {"duplicates", ingest_->duplicates.load()},
                   {"rejected", ingest_->rejected.load()},
                   {"batches", ingest_->batches.load()},
                   {"write_retries", ingest_->write_retries.load()},
                   {"lag_ms", {{"le", std::move(le)}, {"at_most", std::move(at_most)}}}};
  co_return history_reply{200, boost::json::serialize(out)};
}

}  // namespace server
