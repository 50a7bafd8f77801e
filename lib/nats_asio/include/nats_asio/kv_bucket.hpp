// A JetStream key-value bucket. Reads are direct gets, writes are JetStream
// publishes, watches are ordered push consumers: nothing blocks a thread.
// Executors (by default the jetstream's), cancellation, "request errors",
// lifetimes and thread safety: README, "Asynchronous operations"; the
// comments below add what is particular. Keys and values are copied.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_config.hpp"
#include "nats_asio/kv_entry.hpp"
#include "nats_asio/kv_watcher.hpp"

namespace nats_asio {

// Keys: [-/_=.A-Za-z0-9], not starting or ending with '.'.
bool is_valid_kv_key(std::string_view key) noexcept;
bool is_valid_bucket_name(std::string_view name) noexcept;

class kv_bucket {
 public:
  using executor_type = boost::asio::any_io_executor;

  // A placeholder to assign a bucket to: it has no executor, and its
  // operations must not be called.
  kv_bucket() = default;
  kv_bucket(jetstream js, std::string name) : js_(std::move(js)), name_(std::move(name)) {}

  executor_type get_executor() const noexcept { return js_->get_executor(); }
  const std::string& name() const noexcept { return name_; }
  std::string stream_name() const { return "KV_" + name_; }
  std::string subject_of(std::string_view key) const {
    return "$KV." + name_ + "." + std::string(key);
  }

  // Latest value. Handler: void(error_code, kv_entry). Errors:
  // errc::key_not_found (absent, deleted or purged), errc::invalid_argument
  // (malformed key), errc::bad_response, and the request errors (waits up
  // to the jetstream's api_timeout()).
  // Cancellation: terminal, partial, total (read-only).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_get(std::string_view key, Token&& token = {}) {
    return initiate<kv_entry>(std::forward<Token>(token),
                              [this, k = std::string(key)](auto c) { start_get(k, c); });
  }

  // Stores a value. Handler: void(error_code, std::uint64_t revision).
  // Errors: errc::invalid_argument (malformed key), and those of
  // jetstream::async_publish (e.g. the server's err_code for a value over
  // max_value_size).
  // Cancellation: terminal, partial: may still happen: the value is stored.
  // total: ignored.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_put(std::string_view key, std::string_view value, Token&& token = {}) {
    return initiate<std::uint64_t>(
        std::forward<Token>(token),
        [this, k = std::string(key), v = std::string(value)](auto c) { start_put(k, v, c); });
  }

  // Stores a value only if the key has none (a deleted or purged key counts
  // as none; the key is then read before the write). Handler:
  // void(error_code, std::uint64_t revision). Errors: errc::key_exists
  // otherwise, and those of async_put. Cancellation as for async_put.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_create(std::string_view key, std::string_view value, Token&& token = {}) {
    return initiate<std::uint64_t>(
        std::forward<Token>(token),
        [this, k = std::string(key), v = std::string(value)](auto c) { start_create(k, v, c); });
  }

  // Compare-and-set. Handler: void(error_code, std::uint64_t revision).
  // Errors: errc::wrong_last_revision when the key's revision is not
  // `expected`, and those of async_put. Cancellation as for async_put.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_update(std::string_view key, std::string_view value, std::uint64_t expected,
                    Token&& token = {}) {
    return initiate<std::uint64_t>(std::forward<Token>(token),
                                   [this, k = std::string(key), v = std::string(value),
                                    expected](auto c) { start_update(k, v, expected, c); });
  }

  // Deletes (writes a delete marker, even for an absent key). Handler:
  // void(error_code, std::uint64_t revision), the marker's. Errors and
  // cancellation as for async_put.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_erase(std::string_view key, Token&& token = {}) {
    return initiate<std::uint64_t>(std::forward<Token>(token),
                                   [this, k = std::string(key)](auto c) { start_erase(k, c); });
  }

  // Every key with a value (a headers-only watch of the whole bucket).
  // Handler: void(error_code, std::vector<std::string>). Errors: those of
  // kv_watcher::async_next.
  // Cancellation: terminal, partial, total (read-only).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_keys(Token&& token = {}) {
    return initiate<std::vector<std::string>>(std::forward<Token>(token),
                                              [this](auto c) { start_keys(c); });
  }

  // Watches keys matching `pattern` ("*" and ">" wildcards). Handler:
  // void(error_code, kv_watcher). Contacts no server: the watcher's first
  // async_next makes its consumer and reports what fails. Errors:
  // errc::invalid_argument (empty pattern). `pattern` and `options` are
  // copied. Cancellation: terminal, partial, total (nothing happened yet).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_watch(std::string_view pattern, Token&& token = {}) {
    return async_watch(pattern, watch_options(), std::forward<Token>(token));
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_watch(std::string_view pattern, const watch_options& options, Token&& token = {}) {
    return initiate<kv_watcher>(
        std::forward<Token>(token),
        [this, p = std::string(pattern), options](auto c) { start_watch(p, options, c); });
  }

 private:
  template <typename T, typename Token, typename Start>
  auto initiate(Token&& token, Start start) {
    return boost::asio::async_initiate<Token, void(error_code, T)>(
        [this, start = std::move(start)](auto handler) mutable {
          auto c = detail::make_completion<T>(std::move(handler), get_executor());
          start(c);
        },
        token);
  }

  void start_get(const std::string& key, const detail::completion_ptr<kv_entry>& c);
  void start_put(const std::string& key, const std::string& value,
                 const detail::completion_ptr<std::uint64_t>& c);
  void start_create(const std::string& key, const std::string& value,
                    const detail::completion_ptr<std::uint64_t>& c);
  void start_update(const std::string& key, const std::string& value, std::uint64_t expected,
                    const detail::completion_ptr<std::uint64_t>& c);
  void start_erase(const std::string& key, const detail::completion_ptr<std::uint64_t>& c);
  void start_keys(const detail::completion_ptr<std::vector<std::string>>& c);
  void start_watch(const std::string& pattern, watch_options options,
                   const detail::completion_ptr<kv_watcher>& c);

  std::optional<jetstream> js_;
  std::string name_;
};

// Opens the bucket, creating it (or updating its settings) as `config` says.
// Handler: void(error_code, kv_bucket), on `js`'s executor by default.
// Errors: errc::invalid_argument (bucket name not [-_A-Za-z0-9]+, history
// not 1..64; `diag` says which), and those of jetstream::async_ensure_stream.
// `diag` must stay valid until the handler runs; `config` and `js` are
// copied (`js` need only exist at initiation).
// Cancellation as for jetstream::async_ensure_stream.
template <typename Token = boost::asio::default_completion_token_t<jetstream::executor_type>>
auto async_create_key_value(jetstream& js, const kv_config& config, diagnostics& diag,
                            Token&& token = {});

// Opens an existing bucket. Handler: void(error_code, kv_bucket), on `js`'s
// executor by default. Errors: errc::bucket_not_found when there is none;
// errc::invalid_argument (malformed name, or a stream that does not allow
// direct gets, so not a bucket); the API errors of
// jetstream::async_stream_info. `js` need only exist at initiation.
// Cancellation: terminal, partial, total (read-only).
template <typename Token = boost::asio::default_completion_token_t<jetstream::executor_type>>
auto async_open_key_value(jetstream& js, std::string_view bucket, Token&& token = {});

namespace detail {
void start_create_key_value(jetstream& js, kv_config config, diagnostics* diag,
                            const completion_ptr<kv_bucket>& c);
void start_open_key_value(jetstream& js, std::string bucket, const completion_ptr<kv_bucket>& c);
}  // namespace detail

template <typename Token>
auto async_create_key_value(jetstream& js, const kv_config& config, diagnostics& diag,
                            Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, kv_bucket)>(
      [&js, &diag](auto handler, kv_config cfg) {
        auto c = detail::make_completion<kv_bucket>(std::move(handler), js.get_executor());
        detail::start_create_key_value(js, std::move(cfg), &diag, c);
      },
      token, config);
}

template <typename Token>
auto async_open_key_value(jetstream& js, std::string_view bucket, Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, kv_bucket)>(
      [&js](auto handler, std::string name) {
        auto c = detail::make_completion<kv_bucket>(std::move(handler), js.get_executor());
        detail::start_open_key_value(js, std::move(name), c);
      },
      token, std::string(bucket));
}

}  // namespace nats_asio
