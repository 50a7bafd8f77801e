#include "bench_env.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <fstream>

namespace bench {

const std::string& sample_payload() {
  static const std::string payload =
      R"({"sensor_id":"bench-1","seq":1234567,"lecture_id":123456,"value":21.37,)"
      R"("unit":"C","timestamp":"2024-05-01T12:00:00.000Z"})";
  return payload;
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

double rounded(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

boost::asio::awaitable<nats_asio::connection> connect(const bench_env& env,
                                                      nats_asio::connect_options options) {
  nats_asio::connection conn(co_await boost::asio::this_coro::executor);
  options.servers = {env.url};
  if (options.name.empty()) options.name = "iot-bench";
  options.max_reconnect_attempts = 0;
  auto [ec, detail] =
      co_await conn.async_connect(options, boost::asio::as_tuple(boost::asio::use_awaitable));
  if (ec)
    throw std::runtime_error("cannot connect to " + nats_asio::redact_url(env.url) + ": " +
                             ec.message() + (detail.empty() ? "" : " (" + detail + ")"));
  co_return conn;
}

boost::asio::awaitable<nats_asio::connection> connect(const bench_env& env) {
  nats_asio::connect_options options;
  co_return co_await connect(env, std::move(options));
}

namespace detail {

void drive(boost::asio::io_context& ioc, const bool& finished, std::chrono::seconds limit) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!finished && !ioc.stopped() && std::chrono::steady_clock::now() < deadline)
    ioc.run_one_until(deadline);
  if (!finished)
    throw timeout_error("did not finish within " + std::to_string(limit.count()) + " s");
  ioc.run_for(std::chrono::seconds(2));
}

}  // namespace detail
}  // namespace bench
