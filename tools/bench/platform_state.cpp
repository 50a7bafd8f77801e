#include "platform_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "iot/wire.hpp"
#include "nats_asio/jetstream.hpp"

namespace bench {

boost::asio::awaitable<void> reset_platform(const bench_env& env) {
  if (!env.owns_server) co_return;
  const iot::wire_names names;
  auto conn = co_await connect(env);
  nats_asio::jetstream js(conn, std::chrono::seconds(60));
  const std::vector<std::string> streams{names.commands_stream, names.measurements_stream,
                                         names.deadletter_stream, "KV_" + names.config_bucket};
  for (const auto& stream : streams) {
    auto [ec] =
        co_await js.async_delete_stream(stream, boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec && ec != nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found))
      throw std::runtime_error("deleting stream " + stream + ": " + ec.message());
  }
  co_await conn.async_close(boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace bench
