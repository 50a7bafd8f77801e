#include "command_send.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace apps {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

awaitable<std::optional<std::uint64_t>> publish_command(nats_asio::jetstream& js,
                                                        const iot::wire_names& names,
                                                        const std::string& sensor_id,
                                                        const iot::command& cmd, start_retry& retry,
                                                        std::string& error) {
  nats_asio::publish_options po;
  po.msg_id = cmd.command_uuid;
  const auto payload = iot::encode(cmd);
  const auto subject = names.commands_of(sensor_id);
  // Retried on no responders (no such stream, or a cluster electing its
  // leader) and timeouts; the message id keeps the command single.
  auto [pec, ack] = co_await retry.run("command stream " + names.commands_stream, [&] {
    return js.async_publish(subject, payload, po, as_tuple(use_awaitable));
  });
  if (pec == nats_asio::errc::no_responders) {
    auto [iec, info] =
        co_await js.async_stream_info(names.commands_stream, as_tuple(use_awaitable));
    if (iec == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found))
      error =
          "command stream " + names.commands_stream + " does not exist (no sensor has started yet)";
    else
      error = "command stream " + names.commands_stream + " has no leader (cluster unavailable?)";
    co_return std::nullopt;
  }
  if (pec) {
    error = "sending the command: " + pec.message();
    co_return std::nullopt;
  }
  co_return ack.sequence;
}

awaitable<unanswered_command> find_unanswered(nats_asio::jetstream& js,
                                              const iot::wire_names& names, std::uint64_t sequence,
                                              std::string& detail) {
  auto [ec, stored] =
      co_await js.async_get_message(names.commands_stream, sequence, as_tuple(use_awaitable));
  if (ec == nats_asio::make_jetstream_error(nats_asio::js_err::message_not_found))
    co_return unanswered_command::taken;
  if (ec) {
    detail = ec.message();
    co_return unanswered_command::unknown;
  }
  co_return unanswered_command::queued;
}

}  // namespace apps
