#include "http/event_stream.hpp"

#include <string_view>

namespace http {

namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  for (const char c : value)
    if (c != '\n' && c != '\r') out += c;
  out += '\n';
}

}  // namespace

std::string format_event(const event& e) {
  std::string out;
  if (!e.type.empty()) append_field(out, "event", e.type);
  if (!e.id.empty()) append_field(out, "id", e.id);
  // Each line of the data its own field; the client joins them with '\n'.
  std::string_view rest = e.data;
  for (;;) {
    const auto eol = rest.find_first_of("\r\n");
    out += "data: ";
    out += rest.substr(0, eol);
    out += '\n';
    if (eol == std::string_view::npos) break;
    const auto skip = rest.compare(eol, 2, "\r\n") == 0 ? 2 : 1;
    rest.remove_prefix(eol + skip);
  }
  out += '\n';
  return out;
}

bool event_stream::send(const event& e) {
  if (ended_) return false;
  pending_ += format_event(e);
  if (pending_.size() > buffer_bytes_) ended_ = true;
  wake_.cancel();
  return !ended_;
}

void event_stream::end() {
  ended_ = true;
  wake_.cancel();
}

}  // namespace http
