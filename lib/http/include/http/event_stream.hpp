// Server-sent events (the WHATWG "text/event-stream" format): what a route
// serving events writes to. Sending never waits: events queue for the
// connection's writer, and a client that falls too far behind is cut off
// (it reconnects with Last-Event-ID and resumes from there) rather than
// letting the queue grow without bound.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <string>

namespace http {

struct event {
  std::string type;  // "event:"; empty: the client's default, "message"
  std::string id;    // "id:"; empty: none, the client keeps its last id
  std::string data;  // one "data:" line per line
};

// The text of one event, ending with the blank line that dispatches it.
// Line breaks in `type` or `id` would split the event; they are dropped.
std::string format_event(const event& e);

class event_stream {
 public:
  event_stream(std::string last_event_id, std::size_t buffer_bytes, boost::asio::steady_timer& wake)
      : last_event_id_(std::move(last_event_id)), buffer_bytes_(buffer_bytes), wake_(wake) {}
  event_stream(const event_stream&) = delete;
  event_stream& operator=(const event_stream&) = delete;

  // The request's Last-Event-ID: where a reconnecting client left off; "".
  const std::string& last_event_id() const { return last_event_id_; }

  // Queues `e`. False once the stream has ended: the client left, the
  // server is stopping, or more than the buffer is still unwritten (the
  // stream then ends after what is queued).
  bool send(const event& e);
  bool ended() const { return ended_; }

  // For the server: ends the stream once what is queued is written.
  void end();
  // For the server: what is queued, emptied.
  std::string take() { return std::exchange(pending_, {}); }
  bool empty() const { return pending_.empty(); }

 private:
  std::string last_event_id_;
  std::size_t buffer_bytes_;
  boost::asio::steady_timer& wake_;  // the writer's, cancelled when there is work
  std::string pending_;
  bool ended_ = false;
};

}  // namespace http
