#include "nats_asio/kv_bucket.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nats_asio/detail/access.hpp"
#include "nats_asio/detail/js_api.hpp"
#include "nats_asio/detail/kv_codec.hpp"
#include "nats_asio/detail/watch_state.hpp"

namespace nats_asio {

bool is_valid_kv_key(std::string_view key) noexcept {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  return std::all_of(key.begin(), key.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '/' || ch == '_' ||
           ch == '=' || ch == '.';
  });
}

bool is_valid_bucket_name(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

namespace {

using boost::asio::awaitable;
using boost::asio::use_awaitable;

bool is_absent(const kv_entry& e) { return e.operation != kv_operation::put; }

// Reads the latest entry for `key` into `c`. With `markers_as_absent`, a
// delete or purge marker completes with errc::key_not_found instead.
void start_direct_get(const std::shared_ptr<detail::connection_core>& core,
                      const std::string& bucket, const std::string& key,
                      std::chrono::milliseconds timeout, const detail::completion_ptr<kv_entry>& c,
                      bool markers_as_absent) {
  auto reply = detail::make_inline_completion<message>(
      core->executor(), [c, bucket, key, markers_as_absent](error_code ec, message m) {
        kv_entry e;
        if (!ec) ec = detail::entry_from_direct_get(bucket, key, m, e);
        if (!ec && markers_as_absent && is_absent(e)) ec = errc::key_not_found;
        c->complete(ec, ec ? kv_entry{} : std::move(e));
      });
  c->on_finish([reply] { reply->fail(boost::asio::error::operation_aborted); });
  core->request("$JS.API.DIRECT.GET.KV_" + bucket + ".$KV." + bucket + "." + key, {}, {}, timeout,
                reply);
}

// The latest entry for `key`, markers included.
template <typename Token>
auto async_direct_get(const std::shared_ptr<detail::connection_core>& core, std::string bucket,
                      std::string key, std::chrono::milliseconds timeout, Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, kv_entry)>(
      [core, bucket = std::move(bucket), key = std::move(key), timeout](auto handler) {
        auto c = detail::make_completion<kv_entry>(std::move(handler), core->executor());
        start_direct_get(core, bucket, key, timeout, c, false);
      },
      token);
}

// Publishes a write (put, update, erase) for `c`, then calls `done` with
// the outcome. The write may go out at any moment from here, so a total
// cancellation is ignored; a terminal or partial one also ends the inner
// publish's wait.
template <typename Done>
void publish_write(jetstream& js, std::string subject, std::string value, header_list headers,
                   const publish_options& options, const detail::completion_ptr<std::uint64_t>& c,
                   Done done) {
  c->commit();
  auto link = detail::link_inner(js.get_executor(), *c);
  js.async_publish(subject, value, headers, options,
                   boost::asio::bind_cancellation_slot(
                       link->slot(), [link, done = std::move(done)](error_code ec, pub_ack ack) {
                         link->finished();
                         done(ec, ack);
                       }));
}

}  // namespace

void kv_bucket::start_get(const std::string& key, const detail::completion_ptr<kv_entry>& c) {
  if (!is_valid_kv_key(key)) {
    c->fail(errc::invalid_argument);
    return;
  }
  start_direct_get(detail::access::core(*js_), name_, key, js_->api_timeout(), c, true);
}

void kv_bucket::start_put(const std::string& key, const std::string& value,
                          const detail::completion_ptr<std::uint64_t>& c) {
  if (!is_valid_kv_key(key)) {
    c->fail(errc::invalid_argument);
    return;
  }
  publish_write(*js_, subject_of(key), value, {}, {}, c,
                [c](error_code ec, pub_ack ack) { c->complete(ec, ack.sequence); });
}

void kv_bucket::start_update(const std::string& key, const std::string& value,
                             std::uint64_t expected,
                             const detail::completion_ptr<std::uint64_t>& c) {
  if (!is_valid_kv_key(key)) {
    c->fail(errc::invalid_argument);
    return;
  }
  publish_options opts;
  opts.expected_last_subject_sequence = expected;
  publish_write(*js_, subject_of(key), value, {}, opts, c, [c](error_code ec, pub_ack ack) {
    if (ec == make_jetstream_error(js_err::wrong_last_sequence)) ec = errc::wrong_last_revision;
    c->complete(ec, ack.sequence);
  });
}

void kv_bucket::start_create(const std::string& key, const std::string& value,
                             const detail::completion_ptr<std::uint64_t>& c) {
  if (!is_valid_kv_key(key)) {
    c->fail(errc::invalid_argument);
    return;
  }
  auto work = [](kv_bucket self, std::string key,
                 std::string value) -> awaitable<std::pair<error_code, std::uint64_t>> {
    publish_options opts;
    opts.expected_last_subject_sequence = 0;
    auto [ec, ack] = co_await self.js_->async_publish(self.subject_of(key), value, opts,
                                                      boost::asio::as_tuple(use_awaitable));
    if (ec != make_jetstream_error(js_err::wrong_last_sequence))
      co_return std::pair{ec, ack.sequence};
    // The key has history: creating is still allowed over a delete marker.
    auto [gec, entry] =
        co_await async_direct_get(detail::access::core(*self.js_), self.name_, key,
                                  self.js_->api_timeout(), boost::asio::as_tuple(use_awaitable));
    if (gec) co_return std::pair{gec, std::uint64_t{0}};  // not known to exist: say why
    if (!is_absent(entry)) co_return std::pair{make_error_code(errc::key_exists), std::uint64_t{0}};
    opts.expected_last_subject_sequence = entry.revision;
    auto [uec, uack] = co_await self.js_->async_publish(self.subject_of(key), value, opts,
                                                        boost::asio::as_tuple(use_awaitable));
    if (uec == make_jetstream_error(js_err::wrong_last_sequence)) uec = errc::key_exists;
    co_return std::pair{uec, uack.sequence};
  };
  c->commit();  // the first publish goes out at once
  detail::spawn_into(get_executor(), work(*this, key, value), c);
}

void kv_bucket::start_erase(const std::string& key,
                            const detail::completion_ptr<std::uint64_t>& c) {
  if (!is_valid_kv_key(key)) {
    c->fail(errc::invalid_argument);
    return;
  }
  publish_write(*js_, subject_of(key), "", {{"KV-Operation", "DEL"}}, {}, c,
                [c](error_code ec, pub_ack ack) { c->complete(ec, ack.sequence); });
}

namespace {
std::shared_ptr<detail::watch_state> make_watch_state(const jetstream& js,
                                                      const std::string& bucket,
                                                      const std::string& pattern,
                                                      watch_options options) {
  auto w = std::make_shared<detail::watch_state>();
  w->core = detail::access::core(js);
  w->bucket = bucket;
  w->stream = "KV_" + bucket;
  w->filter = "$KV." + bucket + "." + pattern;
  w->options = options;
  w->api_timeout = js.api_timeout();
  return w;
}
}  // namespace

void kv_bucket::start_watch(const std::string& pattern, watch_options options,
                            const detail::completion_ptr<kv_watcher>& c) {
  if (pattern.empty()) {
    c->fail(errc::invalid_argument);
    return;
  }
  // The consumer is made by the first async_next, so opening cannot fail late.
  c->complete({}, kv_watcher(get_executor(), make_watch_state(*js_, name_, pattern, options)));
}

void kv_bucket::start_keys(const detail::completion_ptr<std::vector<std::string>>& c) {
  watch_options options;
  options.headers_only = true;
  options.ignore_deletes = true;
  auto work = [](kv_watcher watcher) -> awaitable<std::pair<error_code, std::vector<std::string>>> {
    std::vector<std::string> keys;
    while (true) {
      auto [ec, entry] = co_await watcher.async_next(boost::asio::as_tuple(use_awaitable));
      if (ec) co_return std::pair{ec, std::vector<std::string>{}};
      if (entry.operation == kv_operation::initial_done) break;
      keys.push_back(std::move(entry.key));
    }
    co_return std::pair{error_code{}, std::move(keys)};
  };
  detail::spawn_into(get_executor(),
                     work(kv_watcher(get_executor(), make_watch_state(*js_, name_, ">", options))),
                     c);
}

namespace detail {

namespace {
stream_config stream_config_for(const kv_config& cfg) {
  stream_config s;
  s.name = "KV_" + cfg.bucket;
  s.subjects = {"$KV." + cfg.bucket + ".>"};
  s.description = cfg.description;
  s.max_msgs_per_subject = cfg.history;
  s.max_bytes = cfg.max_bytes;
  s.max_msg_size = cfg.max_value_size;
  s.max_age = cfg.ttl;
  s.storage = cfg.memory_storage ? storage_type::memory : storage_type::file;
  s.replicas = cfg.replicas;
  s.discard = discard_policy::new_messages;
  s.allow_rollup = true;
  s.deny_delete = true;
  s.allow_direct = true;
  s.duplicate_window = std::chrono::minutes(2);
  if (cfg.ttl.count() > 0 && cfg.ttl < s.duplicate_window) s.duplicate_window = cfg.ttl;
  return s;
}
}  // namespace

void start_create_key_value(jetstream& js, kv_config config, diagnostics* diag,
                            const completion_ptr<kv_bucket>& c) {
  if (!is_valid_bucket_name(config.bucket) || config.history < 1 || config.history > 64) {
    if (diag) diag->assign("bucket name must be [-_A-Za-z0-9]+ and history 1..64");
    c->fail(errc::invalid_argument);
    return;
  }
  auto work =
      [](jetstream js, kv_config cfg, std::shared_ptr<std::string> text,
         std::shared_ptr<operation_state> op) -> awaitable<std::pair<error_code, kv_bucket>> {
    auto [ec, info] = co_await ensure_stream(access::core(js), stream_config_for(cfg),
                                             js.api_timeout(), text, op);
    if (ec) co_return std::pair{ec, kv_bucket{}};
    co_return std::pair{error_code{}, kv_bucket(js, cfg.bucket)};
  };
  // Copied into the caller's diagnostics just before the handler runs, never
  // later: after a cancellation the caller may have dropped them.
  auto text = std::make_shared<std::string>();
  if (diag) c->before_handler([diag, text] { diag->assign(*text); });
  spawn_into(js.get_executor(), work(js, std::move(config), text, c), c);
}

void start_open_key_value(jetstream& js, std::string bucket, const completion_ptr<kv_bucket>& c) {
  if (!is_valid_bucket_name(bucket)) {
    c->fail(errc::invalid_argument);
    return;
  }
  auto work = [](jetstream js, std::string bucket) -> awaitable<std::pair<error_code, kv_bucket>> {
    auto [ec, info] =
        co_await js.async_stream_info("KV_" + bucket, boost::asio::as_tuple(use_awaitable));
    if (ec == make_jetstream_error(js_err::stream_not_found))
      co_return std::pair{make_error_code(errc::bucket_not_found), kv_bucket{}};
    if (ec) co_return std::pair{ec, kv_bucket{}};
    if (!info.config.allow_direct)  // reads here are direct gets
      co_return std::pair{make_error_code(errc::invalid_argument), kv_bucket{}};
    co_return std::pair{error_code{}, kv_bucket(js, std::move(bucket))};
  };
  spawn_into(js.get_executor(), work(js, std::move(bucket)), c);
}

}  // namespace detail
}  // namespace nats_asio
