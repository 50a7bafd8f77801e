// Conversions between nats.c messages and owned `message` values.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string_view>

#include "nats_asio/error.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio::detail {

struct nats_msg_deleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
using unique_nats_msg = std::unique_ptr<natsMsg, nats_msg_deleter>;

// Copies subject, reply, headers, payload and status out of a nats.c message.
message copy_message(natsMsg* msg);

// Builds a nats.c message ready to publish.
error_code make_native_message(unique_nats_msg& out, std::string_view subject,
                               std::string_view reply, const header_list& headers,
                               std::string_view payload);

}  // namespace nats_asio::detail
