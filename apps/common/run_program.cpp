#include "run_program.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <exception>
#include <string>

namespace apps {

int run_until_done(boost::asio::io_context& ioc, boost::asio::awaitable<int> work,
                   const std::function<void()>& stop, const logger& log) {
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](auto ec, int) {
    if (!ec) stop();
  });
  int rc = 1;
  boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e, int code) {
    signals.cancel();
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log.error(std::string("unexpected failure: ") + ex.what());
      }
      rc = 1;
    } else {
      rc = code;
    }
  });
  ioc.run();
  return rc;
}

}  // namespace apps
