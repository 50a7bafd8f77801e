// The end of every long-running program's main: run its coroutine on the
// io_context until it finishes, SIGINT/SIGTERM asking it to stop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>

#include "logger.hpp"

namespace apps {

// Returns the coroutine's exit code; 1 (logged) if it threw.
int run_until_done(boost::asio::io_context& ioc, boost::asio::awaitable<int> work,
                   const std::function<void()>& stop, const logger& log);

}  // namespace apps
