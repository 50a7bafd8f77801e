// iot-sim history: a sensor's stored measurements, from iot-server's
// history service (the database is never opened here).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "historian/export.hpp"
#include "historian/query_json.hpp"
#include "iot/duration.hpp"
#include "sim_commands.hpp"

namespace sim {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

// One request to the service; the reply's body, or nullopt after printing why.
awaitable<std::optional<std::string>> ask(nats_asio::connection& conn, const std::string& subject,
                                          const std::string& request,
                                          std::chrono::milliseconds timeout, int& code) {
  auto [ec, reply] =
      co_await conn.async_request(subject, request, timeout, as_tuple(use_awaitable));
  if (ec == nats_asio::errc::no_responders || ec == nats_asio::errc::timeout) {
    code =
        fail(exit_code::failure, "no history service answers on " + subject + " (" + ec.message() +
                                     "): is iot-server running with --role http or all?");
    co_return std::nullopt;
  }
  if (ec) {
    code = fail(exit_code::failure, "history request on " + subject + ": " + ec.message());
    co_return std::nullopt;
  }
  if (auto error = reply.header("Nats-Service-Error")) {
    const auto status = reply.header("Nats-Service-Error-Code").value_or("?");
    code = fail(status == "400" ? exit_code::usage : exit_code::failure,
                "history: " + std::string(*error) + " (" + std::string(status) + ")");
    co_return std::nullopt;
  }
  co_return std::move(reply.payload);
}

void print_row(const historian::stored_measurement& r, bool revisions) {
  std::cout << iot::format_rfc3339(r.ts) << " seq=" << r.seq << " lecture_id=" << r.lecture_id;
  if (revisions || r.revision > 1) std::cout << " revision=" << r.revision;
  std::cout << " value=" << r.lecture << ' ' << r.unit << '\n';
}

awaitable<int> print_buckets(nats_asio::connection& conn, const apps::app_settings& s,
                             const history_args& args) {
  historian::bucket_query q{args.sensor_id, args.from, args.to, *args.step};
  int code = exit_code::ok;
  auto body = co_await ask(conn, s.names.history_subject + ".buckets", historian::to_json(q),
                           args.timeout, code);
  if (!body) co_return code;
  if (args.format == output_format::json) {
    std::cout << *body << '\n';
    co_return exit_code::ok;
  }
  std::string error;
  auto buckets = historian::buckets_from_json(*body, error);
  if (!buckets) co_return fail(exit_code::failure, "history: unexpected reply: " + error);
  std::string out = args.format == output_format::csv ? historian::bucket_csv_header() : "";
  for (const auto& b : *buckets) {
    if (args.format == output_format::csv) {
      historian::append_csv(out, b);
    } else {
      out += iot::format_rfc3339(b.start) + " count=" + std::to_string(b.count) +
             " min=" + std::to_string(b.min) + " max=" + std::to_string(b.max) +
             " avg=" + std::to_string(b.avg) + " last=" + std::to_string(b.last) + '\n';
    }
  }
  std::cout << out;
  co_return exit_code::ok;
}

awaitable<int> print_rows(nats_asio::connection& conn, const apps::app_settings& s,
                          const history_args& args) {
  historian::range_query q;
  q.sensor_id = args.sensor_id;
  q.from = args.from;
  q.to = args.to;
  q.limit = historian::default_page_rows;
  q.all_revisions = args.revisions;
  if (args.format == output_format::csv) std::cout << historian::csv_header();
  if (args.format == output_format::json) std::cout << '[';
  bool first = true;
  for (;;) {
    int code = exit_code::ok;
    auto body = co_await ask(conn, s.names.history_subject + ".range", historian::to_json(q),
                             args.timeout, code);
    if (!body) co_return code;
    std::string error;
    auto page = historian::page_from_json(*body, error);
    if (!page) co_return fail(exit_code::failure, "history: unexpected reply: " + error);
    std::string out;
    for (const auto& r : page->rows) {
      switch (args.format) {
        case output_format::csv:
          historian::append_csv(out, r);
          break;
        case output_format::json:
          out += first ? "\n" : ",\n";
          out += boost::json::serialize(historian::to_json(r));
          break;
        case output_format::text:
          print_row(r, args.revisions);
          break;
      }
      first = false;
    }
    std::cout << out;
    if (page->next.empty()) break;
    q.after = historian::decode_cursor(page->next);
    if (!q.after) co_return fail(exit_code::failure, "history: the reply's cursor is malformed");
  }
  if (args.format == output_format::json) std::cout << "\n]\n";
  std::cout.flush();
  co_return exit_code::ok;
}

}  // namespace

awaitable<int> run_history(const apps::app_settings& s, history_args args) {
  auto conn = co_await connect(s);
  if (!conn) co_return exit_code::failure;
  int code =
      args.step ? co_await print_buckets(*conn, s, args) : co_await print_rows(*conn, s, args);
  // Every request has had its answer: nothing to drain (nats.c's drain polls
  // its subscriptions every 100 ms, which a one-shot command would wait), and
  // nothing to close: the process ends as soon as this returns (main.cpp).
  co_return code;
}

}  // namespace sim
