// A received or outgoing NATS message, owned by value: safe to keep across awaits.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nats_asio {

// Header fields in arrival order; a name may repeat.
using header_list = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name` (names compare exactly, as on the wire).
std::optional<std::string_view> find_header(const header_list& headers, std::string_view name);

struct message {
  std::string subject;
  std::string reply;  // empty when the sender expects no reply
  header_list headers;
  std::string payload;
  // Status of a server-generated message (503 no responders, 404 not found,
  // 100 heartbeat or flow control, ...); 0 for an ordinary message.
  int status = 0;
  std::string status_description;

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

}  // namespace nats_asio
