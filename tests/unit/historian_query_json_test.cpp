#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "historian/export.hpp"
#include "historian/query_json.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

historian::stored_measurement row(std::string sensor, std::uint64_t lecture) {
  historian::stored_measurement r;
  r.sensor_id = std::move(sensor);
  r.lecture_id = lecture;
  r.revision = 2;
  r.seq = 9;
  r.ts = sys_days{year{2026} / November / 30} + 12h + 5ms;
  r.value = 0.1 + 0.2;  // needs all 17 digits to read back
  r.lecture = "0.3";
  r.unit = "celsius";
  r.stream_seq = 77;
  return r;
}

}  // namespace

TEST_CASE("a range request decodes with its defaults and re-encodes to the same request") {
  std::string error;
  auto q = historian::range_query_from_json(
      R"({"sensor_id":"s-1","from":"2026-11-30T00:00:00Z","to":"2026-11-30T01:00:00Z"})", error);
  REQUIRE(q);
  CHECK(error.empty());
  CHECK(q->sensor_id == "s-1");
  CHECK(q->to - q->from == 1h);
  CHECK(q->limit == historian::default_page_rows);
  CHECK_FALSE(q->after);
  CHECK_FALSE(q->all_revisions);

  q->limit = 10;
  q->after = historian::cursor{123, 4, 5};
  q->all_revisions = true;
  auto again = historian::range_query_from_json(historian::to_json(*q), error);
  REQUIRE(again);
  CHECK(again->sensor_id == q->sensor_id);
  CHECK(again->from == q->from);
  CHECK(again->to == q->to);
  CHECK(again->limit == 10);
  CHECK(again->after == q->after);
  CHECK(again->all_revisions);
}

TEST_CASE("a wrong range request is refused with a reason naming the field") {
  auto refused = [](std::string_view text) {
    std::string error;
    CHECK_FALSE(historian::range_query_from_json(text, error));
    CHECK(error.find('\n') == std::string::npos);
    return error;
  };
  const std::string range = R"("from":"2026-11-30T00:00:00Z","to":"2026-11-30T01:00:00Z")";
  CHECK(contains(refused("not json"), "not JSON"));
  CHECK(contains(refused("[1]"), "not a JSON object"));
  CHECK(contains(refused("{" + range + "}"), "\"sensor_id\" is missing"));
  CHECK(contains(refused(R"({"sensor_id":"a b",)" + range + "}"), "sensor_id"));
  CHECK(contains(refused(R"({"sensor_id":"s","from":"yesterday","to":"2026-11-30T01:00:00Z"})"),
                 "\"from\" must be an RFC 3339 time"));
  CHECK(contains(
      refused(R"({"sensor_id":"s","from":"2026-11-30T01:00:00Z","to":"2026-11-30T01:00:00Z"})"),
      "before"));
  CHECK(contains(refused(R"({"sensor_id":"s",)" + range + R"(,"limit":0})"), "\"limit\""));
  CHECK(contains(refused(R"({"sensor_id":"s",)" + range + R"(,"limit":2001})"), "2000"));
  CHECK(contains(refused(R"({"sensor_id":"s",)" + range + R"(,"cursor":"x"})"), "cursor"));
  CHECK(contains(refused(R"({"sensor_id":"s",)" + range + R"(,"revisions":"yes"})"), "revisions"));
}

TEST_CASE("a bucket request needs a step that makes at most max_buckets buckets") {
  std::string error;
  auto q = historian::bucket_query_from_json(
      R"({"sensor_id":"s","from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","step":"1m30s"})",
      error);
  REQUIRE(q);
  CHECK(q->step == 90s);
  auto again = historian::bucket_query_from_json(historian::to_json(*q), error);
  REQUIRE(again);
  CHECK(again->step == 90s);
  CHECK(again->from == q->from);

  CHECK_FALSE(historian::bucket_query_from_json(
      R"({"sensor_id":"s","from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","step":"1s"})",
      error));
  CHECK(contains(error, "more than 10000 buckets"));
  CHECK_FALSE(historian::bucket_query_from_json(
      R"({"sensor_id":"s","from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z"})", error));
  CHECK(contains(error, "\"step\" is missing"));
  CHECK_FALSE(historian::bucket_query_from_json(
      R"({"sensor_id":"s","from":"2026-11-30T00:00:00Z","to":"2026-12-01T00:00:00Z","step":"0s"})",
      error));
  CHECK(contains(error, "step"));
}

TEST_CASE("a page survives its JSON reply: every field, the value to the last bit, the cursor") {
  historian::page p;
  p.rows = {row("a", 1), row("b", 2)};
  p.next = historian::cursor{5, 6, 7};
  std::string error;
  auto back = historian::page_from_json(historian::page_to_json(p), error);
  REQUIRE(back);
  CHECK(back->rows == p.rows);
  CHECK(back->next == historian::encode_cursor(*p.next));

  p.next.reset();
  back = historian::page_from_json(historian::page_to_json(p), error);
  REQUIRE(back);
  CHECK(back->next.empty());
  CHECK_FALSE(historian::page_from_json(R"({"rows":[{"sensor_id":"a"}]})", error));
  CHECK(contains(error, "lecture_id"));
}

TEST_CASE("the latest rows come in pages by sensor id") {
  std::vector<historian::stored_measurement> all = {row("a", 1), row("b", 1), row("c", 1)};
  historian::latest_query q;
  q.limit = 2;
  auto first = boost::json::parse(historian::latest_to_json(all, q)).as_object();
  CHECK(first.at("rows").as_array().size() == 2);
  CHECK(first.at("next").as_string() == "b");
  q.after = "b";
  auto second = boost::json::parse(historian::latest_to_json(all, q)).as_object();
  REQUIRE(second.at("rows").as_array().size() == 1);
  CHECK(second.at("rows").as_array()[0].as_object().at("sensor_id").as_string() == "c");
  CHECK_FALSE(second.contains("next"));
}

TEST_CASE("CSV quotes only the fields that need it and reads as RFC 4180") {
  auto r = row("s", 1);
  r.lecture = "21,5 \"approx\"";
  std::string out;
  historian::append_csv(out, r);
  CHECK(
      out ==
      "s,1,2,9,2026-11-30T12:00:00.005Z,0.30000000000000004,\"21,5 \"\"approx\"\"\",celsius,77\n");
  CHECK(historian::csv_header() ==
        "sensor_id,lecture_id,revision,seq,timestamp,value,lecture,unit,stream_seq\n");

  historian::bucket b{sys_days{year{2026} / November / 30}, 1, 3, 2, 4, 2.5};
  out.clear();
  historian::append_csv(out, b);
  CHECK(out == "2026-11-30T00:00:00.000Z,1,3,2,4,2.5\n");
}
