// The platform's streams and bucket (as iot-sensor provisions them), removed
// so that a run starts from nothing: no consumers or stored data of earlier
// runs add to the server's cost. Only on a server the benchmark started.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "bench_env.hpp"

namespace bench {

boost::asio::awaitable<void> reset_platform(const bench_env& env);

}  // namespace bench
