#include "nats_asio/jetstream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/json/serialize.hpp>

#include "nats_asio/detail/access.hpp"
#include "nats_asio/detail/consumer_activity.hpp"
#include "nats_asio/detail/js_api.hpp"
#include "nats_asio/detail/pub_ack.hpp"
#include "nats_asio/detail/push_consumer.hpp"

namespace nats_asio {

namespace detail {

boost::asio::awaitable<api_response> api_call(std::shared_ptr<connection_core> core,
                                              std::string api, std::string body,
                                              std::chrono::milliseconds timeout) {
  auto [ec, reply] =
      co_await async_core_request(core, "$JS.API." + api, {}, std::move(body), timeout,
                                  boost::asio::as_tuple(boost::asio::use_awaitable));
  if (ec) {
    api_response r;
    r.error = ec;
    if (ec == errc::no_responders)
      r.description = "no JetStream responder: JetStream disabled on the server or account";
    else if (ec == errc::permission_denied && core->replies_denied())
      r.description = "permission denied: this user may not subscribe to its reply subjects " +
                      core->reply_subject_pattern() + " (set the inbox prefix it may use)";
    else if (ec == errc::permission_denied)
      r.description = "permission denied: this user may not publish to $JS.API." + api;
    else
      r.description = ec.message();
    co_return r;
  }
  co_return parse_api_response(reply.payload);
}

void delete_consumer_later(const std::shared_ptr<connection_core>& core, const std::string& stream,
                           const std::string& consumer) {
  auto ignore = make_inline_completion<message>(core->executor(), [](error_code, message) {});
  core->request("$JS.API.CONSUMER.DELETE." + stream + "." + consumer, {}, "",
                std::chrono::seconds(5), ignore);
}

namespace {

using boost::json::serialize;
using std::chrono::milliseconds;

void set_text(const std::shared_ptr<std::string>& text, std::string value) {
  if (text) *text = std::move(value);
}

// A request that got no answer from JetStream (timeout, no responders, the
// connection gone): not a refusal, so no sign that configurations clash, and
// worth retrying while a cluster elects its leaders.
bool unanswered(const error_code& ec) {
  return ec && ec.category() != jetstream_category() && ec != errc::permission_denied;
}

}  // namespace

boost::asio::awaitable<std::pair<error_code, stream_info>> ensure_stream(
    std::shared_ptr<connection_core> core, stream_config cfg, milliseconds timeout,
    std::shared_ptr<std::string> text, std::shared_ptr<operation_state> op) {
  const std::string& name = cfg.name;
  auto found = co_await api_call(core, "STREAM.INFO." + name, "", timeout);
  if (found.error == make_jetstream_error(js_err::stream_not_found)) {
    op->commit();
    auto created =
        co_await api_call(core, "STREAM.CREATE." + name, serialize(to_json(cfg)), timeout);
    if (created.error) {
      set_text(text, "create stream " + name + ": " + created.description);
      co_return std::pair{created.error, stream_info{}};
    }
    co_return std::pair{error_code{}, stream_info_from_json(created.body)};
  }
  if (found.error) {
    set_text(text, "stream " + name + ": " + found.description);
    co_return std::pair{found.error, stream_info{}};
  }
  auto existing = stream_info_from_json(found.body);
  const auto differences = describe_differences(existing.config, cfg);
  if (differences.empty()) co_return std::pair{error_code{}, existing};
  op->commit();
  auto updated = co_await api_call(core, "STREAM.UPDATE." + name, serialize(to_json(cfg)), timeout);
  if (unanswered(updated.error)) {
    set_text(text, "update stream " + name + ": " + updated.description);
    co_return std::pair{updated.error, stream_info{}};
  }
  if (updated.error) {
    set_text(text, "stream " + name + " exists and cannot be changed: " + differences + " (" +
                       updated.description + ")");
    // A user who may not update streams learns that, not that they clash.
    co_return std::pair{updated.error == errc::permission_denied
                            ? updated.error
                            : make_error_code(errc::stream_incompatible),
                        stream_info{}};
  }
  co_return std::pair{error_code{}, stream_info_from_json(updated.body)};
}

namespace {

boost::asio::awaitable<std::pair<error_code, consumer_info>> create_consumer(
    std::shared_ptr<connection_core> core, const std::string& stream, const consumer_config& cfg,
    milliseconds timeout, operation_state& op, std::string* description = nullptr) {
  boost::json::object body;
  body["stream_name"] = stream;
  body["config"] = to_json(cfg);
  const std::string api = cfg.durable_name.empty()
                              ? "CONSUMER.CREATE." + stream
                              : "CONSUMER.DURABLE.CREATE." + stream + "." + cfg.durable_name;
  op.commit();
  auto created = co_await api_call(core, api, serialize(body), timeout);
  if (description) *description = created.description;
  if (created.error) co_return std::pair{created.error, consumer_info{}};
  co_return std::pair{error_code{}, consumer_info_from_json(created.body)};
}

}  // namespace

boost::asio::awaitable<std::pair<error_code, consumer_info>> ensure_consumer(
    std::shared_ptr<connection_core> core, std::string stream, consumer_config cfg,
    milliseconds timeout, std::shared_ptr<std::string> text, std::shared_ptr<operation_state> op) {
  if (!op) op = std::make_shared<operation_state>();  // nobody follows its progress
  if (!cfg.durable_name.empty()) {
    auto found =
        co_await api_call(core, "CONSUMER.INFO." + stream + "." + cfg.durable_name, "", timeout);
    if (!found.error) {
      auto existing = consumer_info_from_json(found.body);
      auto differences = describe_differences(existing.config, cfg);
      if (cfg.deliver_subject != existing.config.deliver_subject)
        differences += (differences.empty() ? "" : ", ") + std::string("deliver_subject");
      if (differences.empty()) co_return std::pair{error_code{}, existing};
      std::string why;
      auto [ec, info] = co_await create_consumer(core, stream, cfg, timeout, *op, &why);
      if (unanswered(ec)) {
        set_text(text, "update consumer " + cfg.durable_name + " on " + stream + ": " + why);
        co_return std::pair{ec, consumer_info{}};
      }
      if (ec) {
        set_text(text, "consumer " + cfg.durable_name + " on " + stream +
                           " exists and cannot be changed: " + differences + " (" + why + ")");
        co_return std::pair{
            ec == errc::permission_denied ? ec : make_error_code(errc::consumer_incompatible),
            consumer_info{}};
      }
      co_return std::pair{error_code{}, std::move(info)};
    }
    if (found.error != make_jetstream_error(js_err::consumer_not_found)) {
      set_text(text, "consumer " + cfg.durable_name + " on " + stream + ": " + found.description);
      co_return std::pair{found.error, consumer_info{}};
    }
  }
  std::string why;
  auto [ec, info] = co_await create_consumer(core, stream, cfg, timeout, *op, &why);
  if (ec) set_text(text, "create consumer on " + stream + ": " + why);
  co_return std::pair{ec, std::move(info)};
}

}  // namespace detail

jetstream::jetstream(const connection& conn, std::chrono::milliseconds api_timeout)
    : executor_(conn.get_executor()),
      core_(detail::access::core(conn)),
      api_timeout_(api_timeout) {}

void jetstream::start_publish(std::string subject, std::string payload, header_list headers,
                              publish_options options, const detail::completion_ptr<pub_ack>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  if (!options.msg_id.empty()) headers.emplace_back("Nats-Msg-Id", options.msg_id);
  if (options.expected_last_sequence)
    headers.emplace_back("Nats-Expected-Last-Sequence",
                         std::to_string(*options.expected_last_sequence));
  if (options.expected_last_subject_sequence)
    headers.emplace_back("Nats-Expected-Last-Subject-Sequence",
                         std::to_string(*options.expected_last_subject_sequence));
  if (!options.expected_stream.empty())
    headers.emplace_back("Nats-Expected-Stream", options.expected_stream);

  auto core = core_;
  auto ex = executor_;
  // Sends once a slot of the window is held; the acknowledgment frees it.
  auto send = [core, c, ex](std::string_view subject, const header_list& headers,
                            std::string_view payload, std::chrono::milliseconds timeout) {
    auto reply = detail::make_inline_completion<message>(ex, [core, c](error_code ec, message m) {
      core->publish_window().release();
      if (ec) {
        c->fail(ec);
        return;
      }
      auto [error, ack] = detail::parse_pub_ack(m.payload);
      if (error) {
        c->fail(error);
        return;
      }
      c->complete({}, std::move(ack));
    });
    c->on_finish([reply] { reply->fail(boost::asio::error::operation_aborted); });
    c->commit();  // sent: a total cancellation can no longer promise nothing happened
    core->request(subject, headers, payload, timeout, reply);
  };
  if (core->publish_window().try_acquire()) {  // the usual case: no waiting, no copy
    send(subject, headers, payload, options.timeout);
    return;
  }
  struct request {
    std::string subject, payload;
    header_list headers;
    std::chrono::milliseconds timeout;
  };
  auto slot = detail::make_inline_completion<>(
      ex, [core, c, send,
           req = request{std::move(subject), std::move(payload), std::move(headers),
                         options.timeout}](error_code ec) {
        if (ec) {
          c->fail(ec);
          return;
        }
        if (c->done()) {  // cancelled while waiting for the slot
          core->publish_window().release();
          return;
        }
        send(req.subject, req.headers, req.payload, req.timeout);
      });
  c->on_finish([slot] { slot->fail(boost::asio::error::operation_aborted); });
  core->publish_window().acquire(slot);
}

namespace {
// Copies the operation's server text into the caller's diagnostics on the
// handler's executor, just before the handler runs.
std::shared_ptr<std::string> attach_diagnostics(diagnostics* diag, auto& c) {
  if (!diag) return nullptr;
  auto text = std::make_shared<std::string>();
  c->before_handler([diag, text] { diag->assign(*text); });
  return text;
}
}  // namespace

void jetstream::start_ensure_stream(stream_config config, diagnostics* diag,
                                    const detail::completion_ptr<stream_info>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  auto text = attach_diagnostics(diag, c);
  detail::spawn_into(executor_,
                     detail::ensure_stream(core_, std::move(config), api_timeout_, text, c), c);
}

void jetstream::start_stream_info(std::string name, const detail::completion_ptr<stream_info>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  auto work = [](auto core, std::string name,
                 auto timeout) -> boost::asio::awaitable<std::pair<error_code, stream_info>> {
    auto r = co_await detail::api_call(core, "STREAM.INFO." + name, "", timeout);
    if (r.error) co_return std::pair{r.error, stream_info{}};
    co_return std::pair{error_code{}, detail::stream_info_from_json(r.body)};
  };
  detail::spawn_into(executor_, work(core_, std::move(name), api_timeout_), c);
}

void jetstream::start_delete_stream(std::string name, const detail::completion_ptr<>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  c->commit();  // the request goes out at once
  auto work = [](auto core, std::string name, auto timeout) -> boost::asio::awaitable<error_code> {
    auto r = co_await detail::api_call(core, "STREAM.DELETE." + name, "", timeout);
    co_return r.error;
  };
  detail::spawn_into(executor_, work(core_, std::move(name), api_timeout_), c);
}

void jetstream::start_ensure_consumer(std::string stream, consumer_config config, diagnostics* diag,
                                      const detail::completion_ptr<consumer_info>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  auto text = attach_diagnostics(diag, c);
  detail::spawn_into(
      executor_,
      detail::ensure_consumer(core_, std::move(stream), std::move(config), api_timeout_, text, c),
      c);
}

void jetstream::start_consumer_info(std::string stream, std::string name,
                                    const detail::completion_ptr<consumer_info>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  auto work = [](auto core, std::string api,
                 auto timeout) -> boost::asio::awaitable<std::pair<error_code, consumer_info>> {
    auto r = co_await detail::api_call(core, api, "", timeout);
    if (r.error) co_return std::pair{r.error, consumer_info{}};
    co_return std::pair{error_code{}, detail::consumer_info_from_json(r.body)};
  };
  detail::spawn_into(executor_, work(core_, "CONSUMER.INFO." + stream + "." + name, api_timeout_),
                     c);
}

void jetstream::start_delete_consumer(std::string stream, std::string name,
                                      const detail::completion_ptr<>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  c->commit();  // the request goes out at once
  auto work = [](auto core, std::string api, auto timeout) -> boost::asio::awaitable<error_code> {
    auto r = co_await detail::api_call(core, api, "", timeout);
    co_return r.error;
  };
  detail::spawn_into(executor_, work(core_, "CONSUMER.DELETE." + stream + "." + name, api_timeout_),
                     c);
}

namespace {

boost::asio::awaitable<std::pair<error_code, js_subscription>> subscribe_push(
    std::shared_ptr<detail::connection_core> core, boost::asio::any_io_executor ex,
    std::string stream, consumer_config cfg, std::size_t capacity,
    std::chrono::milliseconds timeout, std::shared_ptr<detail::consumer_activity> activity,
    js_subscription sub, std::shared_ptr<detail::operation_state> op) {
  const bool ephemeral = cfg.durable_name.empty();
  if (cfg.deliver_subject.empty() && !ephemeral) {
    auto found = co_await detail::api_call(core, "CONSUMER.INFO." + stream + "." + cfg.durable_name,
                                           "", timeout);
    if (!found.error)
      cfg.deliver_subject = detail::consumer_info_from_json(found.body).config.deliver_subject;
  }
  if (cfg.deliver_subject.empty()) cfg.deliver_subject = core->new_inbox();

  std::weak_ptr<detail::connection_core> weak = core;
  auto deliver = [weak, ex](message msg) {
    auto meta = parse_ack_subject(msg.reply).value_or(js_metadata{});
    return js_message(std::move(msg), std::move(meta), weak, ex);
  };
  auto [ec, consumer] = co_await detail::open_push_consumer<js_message>(
      core, std::move(stream), std::move(cfg), capacity, activity, deliver, timeout, op);
  if (ec) co_return std::pair{ec, js_subscription{}};
  detail::access::attach(sub, std::move(consumer.deliveries), std::move(activity),
                         std::move(consumer.info), ephemeral);
  co_return std::pair{error_code{}, std::move(sub)};
}

}  // namespace

void jetstream::start_subscribe(std::string stream, consumer_config config, std::size_t capacity,
                                const detail::completion_ptr<js_subscription>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  auto activity = std::make_shared<detail::consumer_activity>();
  activity->touch();
  detail::spawn_into(
      executor_,
      subscribe_push(core_, executor_, std::move(stream), std::move(config), capacity, api_timeout_,
                     activity, js_subscription(executor_), c),
      c);
}

}  // namespace nats_asio

namespace nats_asio {
namespace {

// Consumers come in pages of the server's choosing (256 by default).
boost::asio::awaitable<std::pair<error_code, std::vector<consumer_info>>> list_consumers(
    std::shared_ptr<detail::connection_core> core, std::string stream,
    std::chrono::milliseconds timeout) {
  std::vector<consumer_info> all;
  for (;;) {
    boost::json::object request;
    request["offset"] = all.size();
    auto r = co_await detail::api_call(core, "CONSUMER.LIST." + stream,
                                       boost::json::serialize(request), timeout);
    if (r.error) co_return std::pair{r.error, std::vector<consumer_info>{}};
    const auto* page = r.body.if_contains("consumers");
    if (page == nullptr || !page->is_array() || page->get_array().empty()) break;
    for (const auto& entry : page->get_array())
      if (entry.is_object()) all.push_back(detail::consumer_info_from_json(entry.get_object()));
    const auto* total = r.body.if_contains("total");
    if (total == nullptr || !total->is_number() || all.size() >= total->to_number<std::uint64_t>())
      break;
  }
  co_return std::pair{error_code{}, std::move(all)};
}

// RFC 4648 base64, as the server encodes stored payloads and headers;
// nullopt if `text` is not base64.
std::optional<std::string> decode_base64(std::string_view text) {
  auto value = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char ch : text) {
    const int v = value(ch);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

// "NATS/1.0\r\nName: value\r\n...\r\n\r\n" into fields.
header_list parse_header_block(std::string_view block) {
  header_list headers;
  bool first = true;
  while (!block.empty()) {
    const auto end = block.find("\r\n");
    const auto line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 2);
    if (std::exchange(first, false)) continue;  // the version line
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return headers;
}

boost::asio::awaitable<std::pair<error_code, stored_message>> get_message(
    std::shared_ptr<detail::connection_core> core, std::string stream, std::uint64_t sequence,
    std::string last_subject, std::chrono::milliseconds timeout) {
  boost::json::object request;
  if (last_subject.empty())
    request["seq"] = sequence;
  else
    request["last_by_subj"] = last_subject;
  auto r = co_await detail::api_call(core, "STREAM.MSG.GET." + stream,
                                     boost::json::serialize(request), timeout);
  if (r.error) co_return std::pair{r.error, stored_message{}};
  const auto* found = r.body.if_contains("message");
  if (found == nullptr || !found->is_object())
    co_return std::pair{make_error_code(errc::bad_response), stored_message{}};
  const auto& m = found->get_object();
  stored_message out;
  if (const auto* v = m.if_contains("subject"); v && v->is_string()) out.subject = v->get_string();
  if (const auto* v = m.if_contains("seq"); v && v->is_number())
    out.sequence = v->to_number<std::uint64_t>();
  std::optional<std::string> payload = std::string();
  if (const auto* v = m.if_contains("data"); v && v->is_string())
    payload = decode_base64(v->get_string());
  std::optional<std::string> headers = std::string();
  if (const auto* v = m.if_contains("hdrs"); v && v->is_string())
    headers = decode_base64(v->get_string());
  if (!payload || !headers)
    co_return std::pair{make_error_code(errc::bad_response), stored_message{}};
  out.payload = std::move(*payload);
  out.headers = parse_header_block(*headers);
  co_return std::pair{error_code{}, std::move(out)};
}

}  // namespace

void jetstream::start_list_consumers(std::string stream,
                                     const detail::completion_ptr<std::vector<consumer_info>>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  detail::spawn_into(executor_, list_consumers(core_, std::move(stream), api_timeout_), c);
}

void jetstream::start_get_message(std::string stream, std::uint64_t sequence,
                                  std::string last_subject,
                                  const detail::completion_ptr<stored_message>& c) {
  if (!core_) {
    c->fail(errc::not_connected);
    return;
  }
  detail::spawn_into(
      executor_,
      get_message(core_, std::move(stream), sequence, std::move(last_subject), api_timeout_), c);
}

}  // namespace nats_asio
