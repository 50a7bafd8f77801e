// Opens the measurement store a URL names, creating or migrating its
// schema first (one process at a time; a newer schema is refused).
#pragma once

#include <memory>

#include "historian/measurement_store.hpp"
#include "storage/database_url.hpp"

namespace historian {

struct store_options {
  std::size_t readers = 2;  // query threads (SQLite) or connections (PostgreSQL)
};

using open_handler =
    asio::any_completion_handler<void(error_code, std::shared_ptr<measurement_store>)>;

namespace detail {
void open_sqlite_store(asio::any_io_executor ex, storage::database_url url, store_options options,
                       storage::diagnostics* diag, open_handler h);
void open_postgres_store(asio::any_io_executor ex, storage::database_url url, store_options options,
                         storage::diagnostics* diag, open_handler h);
}  // namespace detail

// void(error_code, std::shared_ptr<measurement_store>); operations complete
// on `ex` unless their handler has its own executor.
template <class Token>
auto async_open_store(asio::any_io_executor ex, const storage::database_url& url,
                      store_options options, storage::diagnostics& diag, Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::shared_ptr<measurement_store>)>(
      [](auto handler, asio::any_io_executor e, storage::database_url u, store_options o,
         storage::diagnostics* d) {
        if (u.type == storage::database_url::kind::sqlite) {
          detail::open_sqlite_store(std::move(e), std::move(u), o, d, std::move(handler));
        } else {
          detail::open_postgres_store(std::move(e), std::move(u), o, d, std::move(handler));
        }
      },
      token, std::move(ex), url, options, &diag);
}

}  // namespace historian
