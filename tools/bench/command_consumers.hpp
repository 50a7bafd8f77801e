// A fleet publishes before its command consumer exists (iot-sensor creates
// it afterwards): commands sent earlier wait in the work queue. Scenarios
// that time commands, or report when a fleet is ready for them, wait here.
// (The benchmarks run one sensor, or one fleet, at a time: one consumer.)
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "iot/wire.hpp"
#include "nats_asio/jetstream.hpp"
#include "program_process.hpp"
#include "program_stop.hpp"

namespace bench {

// Polls the command stream until it has a consumer, `sensor` has exited or
// `deadline` has passed; returns the count last seen (-1: unknown).
inline boost::asio::awaitable<int> wait_for_command_consumer(
    nats_asio::jetstream& js, program_process& sensor,
    std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono_literals;
  const iot::wire_names names;
  for (;;) {
    auto [ec, info] = co_await js.async_stream_info(
        names.commands_stream, boost::asio::as_tuple(boost::asio::use_awaitable));
    const int seen = ec ? -1 : static_cast<int>(info.state.consumer_count);
    if (seen >= 1 || sensor.exit_code() || std::chrono::steady_clock::now() > deadline)
      co_return seen;
    co_await sleep_for(100ms);
  }
}

}  // namespace bench
