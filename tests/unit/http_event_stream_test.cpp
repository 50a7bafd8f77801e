// http::format_event and event_stream's queue: the text/event-stream format,
// and a client that falls behind being cut off.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include "http/event_stream.hpp"

TEST_CASE("format_event: type, id, one data field per line, a blank line to end") {
  CHECK(http::format_event({"measurement", "42", "{\"v\":1}"}) ==
        "event: measurement\nid: 42\ndata: {\"v\":1}\n\n");
  CHECK(http::format_event({"", "", "a\nb\r\nc\rd"}) == "data: a\ndata: b\ndata: c\ndata: d\n\n");
  CHECK(http::format_event({"", "", ""}) == "data: \n\n");
  // A line break in the type or id would start another field: dropped.
  CHECK(http::format_event({"x\ny", "1\r\n2", "d"}) == "event: xy\nid: 12\ndata: d\n\n");
}

TEST_CASE("event_stream: queues until taken; past the buffer it ends and refuses more") {
  boost::asio::io_context ioc;
  boost::asio::steady_timer wake(ioc);
  http::event_stream es("7", 64, wake);
  CHECK(es.last_event_id() == "7");
  CHECK(es.send({"", "8", "a"}));
  CHECK(es.take() == "id: 8\ndata: a\n\n");
  CHECK(es.empty());
  CHECK(es.send({"", "", std::string(40, 'x')}));
  CHECK_FALSE(es.send({"", "", std::string(40, 'y')}));  // 2 events unwritten: over 64 bytes
  CHECK(es.ended());
  CHECK_FALSE(es.send({"", "", "z"}));
  // What was queued before the end is still written.
  CHECK(es.take().find(std::string(40, 'y')) != std::string::npos);
}
