// Conversions between nats.c messages and owned `message` values.
#pragma once

#include <nats/nats.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "nats_asio/error.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio::detail {

struct nats_msg_deleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
using unique_nats_msg = std::unique_ptr<natsMsg, nats_msg_deleter>;

// A NUL-terminated copy of `text` for nats.c, on the stack when it is short
// (subjects and inboxes are): no allocation per publish.
class c_string {
 public:
  explicit c_string(std::string_view text) {
    if (text.size() < inline_.size()) {
      text.copy(inline_.data(), text.size());
      inline_[text.size()] = '\0';
      ptr_ = inline_.data();
    } else {
      heap_.assign(text);
      ptr_ = heap_.c_str();
    }
  }
  c_string(const c_string&) = delete;
  c_string& operator=(const c_string&) = delete;
  const char* get() const noexcept { return ptr_; }

 private:
  std::array<char, 256> inline_;
  std::string heap_;
  const char* ptr_;
};

// Copies subject, reply, headers, payload and status out of a nats.c message.
message copy_message(natsMsg* msg);

// Builds a nats.c message ready to publish.
error_code make_native_message(unique_nats_msg& out, std::string_view subject,
                               std::string_view reply, const header_list& headers,
                               std::string_view payload);

}  // namespace nats_asio::detail
