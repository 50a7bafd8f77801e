#include "nats_asio/message.hpp"

#include <string>

#include "nats_asio/detail/native_message.hpp"

namespace nats_asio {

std::optional<std::string_view> find_header(const header_list& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (key == name) return std::string_view(value);
  return std::nullopt;
}

namespace detail {

message copy_message(natsMsg* msg) {
  message out;
  out.subject = natsMsg_GetSubject(msg);
  if (const char* reply = natsMsg_GetReply(msg)) out.reply = reply;
  if (const char* data = natsMsg_GetData(msg))
    out.payload.assign(data, static_cast<std::size_t>(natsMsg_GetDataLength(msg)));

  const char** keys = nullptr;
  int key_count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &key_count) == NATS_OK) {
    for (int i = 0; i < key_count; ++i) {
      const char** values = nullptr;
      int value_count = 0;
      if (natsMsgHeader_Values(msg, keys[i], &values, &value_count) != NATS_OK) continue;
      for (int j = 0; j < value_count; ++j) out.headers.emplace_back(keys[i], values[j]);
      free(values);
    }
    free(keys);
  }
  // nats.c exposes the status line ("NATS/1.0 503") as pseudo headers.
  if (auto status = out.header("Status")) {
    try {
      out.status = std::stoi(std::string(*status));
    } catch (const std::exception&) {
      out.status = 0;
    }
    if (auto text = out.header("Description")) out.status_description = *text;
    std::erase_if(out.headers,
                  [](const auto& h) { return h.first == "Status" || h.first == "Description"; });
  }
  return out;
}

error_code make_native_message(unique_nats_msg& out, std::string_view subject,
                               std::string_view reply, const header_list& headers,
                               std::string_view payload) {
  const c_string subj(subject);
  const c_string rep(reply);
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subj.get(), reply.empty() ? nullptr : rep.get(),
                                payload.data(), static_cast<int>(payload.size()));
  if (s != NATS_OK) return make_nats_error(s);
  out.reset(raw);
  for (const auto& [key, value] : headers) {
    s = natsMsgHeader_Add(raw, key.c_str(), value.c_str());
    if (s != NATS_OK) return make_nats_error(s);
  }
  return {};
}

}  // namespace detail
}  // namespace nats_asio
