// historian::detail::open_sqlite_store as an Asio operation with a
// completion token, for tests that must not depend on the PostgreSQL side
// (which async_open_store links too).
#pragma once

#include <boost/asio/async_result.hpp>
#include <memory>
#include <string>

#include "historian/open_store.hpp"

namespace test_support {

template <class Token>
auto async_open_sqlite_store(boost::asio::any_io_executor ex, std::string path,
                             storage::diagnostics& diag, Token&& token,
                             historian::store_options options = {}) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code,
                                                 std::shared_ptr<historian::measurement_store>)>(
      [](auto handler, boost::asio::any_io_executor e, std::string p, storage::diagnostics* d,
         historian::store_options o) {
        storage::database_url url{storage::database_url::kind::sqlite, p, "sqlite:" + p};
        historian::detail::open_sqlite_store(std::move(e), std::move(url), o, d,
                                             std::move(handler));
      },
      token, std::move(ex), std::move(path), &diag, options);
}

}  // namespace test_support
