#include "nats_asio/service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "nats_asio/connection.hpp"
#include "nats_asio/detail/access.hpp"
#include "nats_asio/detail/native_message.hpp"
#include "nats_asio/detail/service_naming.hpp"
#include "nats_asio/detail/service_state.hpp"

namespace nats_asio {
namespace detail {
namespace {

using boost::asio::awaitable;
using boost::asio::use_awaitable;

// Discovery requests waiting to be answered; beyond that the askers time out.
constexpr std::size_t discovery_capacity = 1024;
constexpr std::size_t endpoint_capacity = 65536;

enum class verb { ping, info, stats };

std::string_view to_string(verb v) {
  switch (v) {
    case verb::ping:
      return "PING";
    case verb::info:
      return "INFO";
    case verb::stats:
      return "STATS";
  }
  return "PING";
}

std::string reply_to(const service_state& s, verb v) {
  switch (v) {
    case verb::ping:
      return ping_response(s.config, s.id);
    case verb::info:
      return info_response(s.config, s.id, s.reports());
    case verb::stats:
      return stats_response(s.config, s.id, s.started, s.reports());
  }
  return {};
}

template <typename Token>
auto async_receive_from(const std::shared_ptr<subscription_state<message>>& sub,
                        boost::asio::any_io_executor ex, Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, message)>(
      [sub, ex](auto handler) {
        auto c = make_completion<message>(std::move(handler), ex);
        sub->queue().receive(c);
      },
      token);
}

// Answers one discovery subject until the service stops or the connection
// closes (both end the subscription).
awaitable<void> answer_discovery(std::shared_ptr<service_state> service,
                                 std::shared_ptr<subscription_state<message>> sub, verb v) {
  auto ex = co_await boost::asio::this_coro::executor;
  while (true) {
    auto [ec, msg] = co_await async_receive_from(sub, ex, boost::asio::as_tuple(use_awaitable));
    if (ec == errc::queue_overflow) continue;  // those askers time out
    if (ec || service->stopped.load()) co_return;
    if (msg.reply.empty()) continue;
    auto core = sub->core();
    if (!core) co_return;
    // A reply that cannot be sent shows to the asker as a timeout.
    (void)core->publish(msg.reply, {}, {}, reply_to(*service, v));
  }
}

}  // namespace

std::vector<endpoint_report> service_state::reports() const {
  std::lock_guard lock(mutex);
  std::vector<endpoint_report> out;
  out.reserve(endpoints.size());
  for (const auto& e : endpoints) out.push_back({e->config, e->stats->snapshot()});
  return out;
}

void service_state::stop() {
  if (stopped.exchange(true)) return;
  for (auto& sub : discovery) sub->close();
  std::vector<std::shared_ptr<endpoint_state>> list;
  {
    std::lock_guard lock(mutex);
    list.swap(endpoints);
  }
  for (auto& e : list) e->stop();
}

void endpoint_state::stop() {
  if (requests) requests->close();
  if (auto s = service.lock()) {
    std::lock_guard lock(s->mutex);
    std::erase_if(s->endpoints, [this](const auto& e) { return e.get() == this; });
  }
}

}  // namespace detail

// --- service_request ---

service_request::~service_request() {
  if (stats_)  // dropped unanswered: still a request
    stats_->record(std::chrono::steady_clock::now() - received_, std::nullopt);
}

service_request& service_request::operator=(service_request&& other) noexcept {
  if (this != &other) {
    if (stats_) stats_->record(std::chrono::steady_clock::now() - received_, std::nullopt);
    msg_ = std::move(other.msg_);
    stats_ = std::move(other.stats_);
    core_ = std::move(other.core_);
    received_ = other.received_;
  }
  return *this;
}

error_code service_request::respond(std::string_view payload, const header_list& headers) {
  return answer(payload, headers, {});
}

error_code service_request::respond_error(int code, std::string_view description,
                                          std::string_view payload) {
  std::string text(description);
  for (auto& c : text)
    if (c == '\r' || c == '\n') c = ' ';  // would end the header line
  const std::string code_text = std::to_string(code);
  const header_list headers{{std::string(service_error_header), text},
                            {std::string(service_error_code_header), code_text}};
  return answer(payload, headers, code_text + ":" + text);
}

error_code service_request::answer(std::string_view payload, const header_list& headers,
                                   std::string error) {
  if (!stats_) return errc::invalid_argument;
  const auto took = std::chrono::steady_clock::now() - received_;
  auto stats = std::move(stats_);  // answered: nothing more to answer
  // Recorded before the reply leaves, so that STATS asked after the reply
  // has arrived includes it.
  const bool is_error = !error.empty();
  stats->record(took, is_error ? std::optional(std::move(error)) : std::nullopt);
  if (msg_.reply.empty()) return {};
  auto core = core_.lock();
  const error_code ec = core ? core->publish(msg_.reply, {}, headers, payload)
                             : make_error_code(errc::connection_closed);
  if (ec && !is_error) stats->record_error(ec.message());
  return ec;
}

// --- service_endpoint ---

service_endpoint::~service_endpoint() { stop(); }

service_endpoint& service_endpoint::operator=(service_endpoint&& other) noexcept {
  if (this != &other) {
    stop();
    executor_ = std::move(other.executor_);
    state_ = std::move(other.state_);
  }
  return *this;
}

void service_endpoint::stop() {
  if (state_) state_->stop();
  state_.reset();
}

void service_endpoint::start_receive(const detail::completion_ptr<service_request>& c) {
  if (!state_ || !state_->requests) {
    c->fail(errc::subscription_closed);
    return;
  }
  state_->requests->queue().receive(c);
}

// --- service ---

service::~service() { stop(); }

service& service::operator=(service&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

service service::start(connection& conn, service_config config, error_code& ec) {
  service out;
  if (!detail::valid_service_name(config.name) || !detail::valid_semver(config.version)) {
    ec = errc::invalid_argument;
    return out;
  }
  const auto& core = detail::access::core(conn);
  if (!core || core->native() == nullptr) {
    ec = errc::not_connected;
    return out;
  }
  auto state = std::make_shared<detail::service_state>();
  state->executor = conn.get_executor();
  state->core = core;
  state->config = std::move(config);
  state->id = detail::new_service_id();
  state->started = std::chrono::system_clock::now();

  std::vector<detail::verb> verbs;
  for (auto v : {detail::verb::ping, detail::verb::info, detail::verb::stats}) {
    const std::string all = "$SRV." + std::string(detail::to_string(v));
    const std::string kind = all + "." + state->config.name;
    for (const auto& subject : {all, kind, kind + "." + state->id}) {
      auto sub = detail::subscription_state<message>::open(
          core, subject, {}, detail::discovery_capacity,
          [](natsMsg* msg) { return std::optional<message>(detail::copy_message(msg)); }, ec);
      if (ec) {
        state->stop();
        return out;
      }
      state->discovery.push_back(std::move(sub));
      verbs.push_back(v);
    }
  }
  for (std::size_t i = 0; i < verbs.size(); ++i) {
    boost::asio::co_spawn(state->executor,
                          detail::answer_discovery(state, state->discovery[i], verbs[i]),
                          [](std::exception_ptr e) {
                            if (e) std::rethrow_exception(e);  // a bug: out of run()
                          });
  }
  out.state_ = std::move(state);
  ec = {};
  return out;
}

service_endpoint service::add_endpoint(endpoint_config config, error_code& ec) {
  if (!state_ || state_->stopped.load()) {
    ec = errc::subscription_closed;
    return service_endpoint(state_ ? state_->executor : service_endpoint::executor_type{});
  }
  service_endpoint closed(state_->executor);
  if (!detail::valid_service_name(config.name) || !detail::valid_endpoint_subject(config.subject) ||
      !detail::valid_queue_group(config.queue_group)) {
    ec = errc::invalid_argument;
    return closed;
  }
  auto core = state_->core.lock();
  if (!core) {
    ec = errc::not_connected;
    return closed;
  }
  auto endpoint = std::make_shared<detail::endpoint_state>();
  endpoint->config = std::move(config);
  endpoint->service = state_;
  endpoint->requests = detail::subscription_state<service_request>::open(
      core, endpoint->config.subject, endpoint->config.queue_group, detail::endpoint_capacity,
      [stats = endpoint->stats, weak_core = std::weak_ptr(core)](natsMsg* msg) {
        const auto received = std::chrono::steady_clock::now();
        return std::optional<service_request>(
            detail::access::make_request(detail::copy_message(msg), stats, weak_core, received));
      },
      ec);
  if (ec) return closed;
  {
    std::lock_guard lock(state_->mutex);
    state_->endpoints.push_back(endpoint);
  }
  return service_endpoint(state_->executor, std::move(endpoint));
}

const std::string& service::id() const noexcept {
  static const std::string none;
  return state_ ? state_->id : none;
}

const std::string& service::name() const noexcept {
  static const std::string none;
  return state_ ? state_->config.name : none;
}

bool service::is_running() const noexcept { return state_ && !state_->stopped.load(); }

void service::stop() {
  if (state_) state_->stop();
}

}  // namespace nats_asio
