#include "nats_asio/detail/connection_core.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <charconv>
#include <vector>

#include "nats_asio/detail/native_message.hpp"

namespace nats_asio::detail {
namespace {

// nats.c's references to connection cores, keyed by the id its connection
// callbacks carry as closure. An entry lives from just before the connect to
// the closed callback; a callback that finds none (nats.c may still report a
// drain error after the close) is dropped.
class core_registry {
 public:
  std::uintptr_t add(std::shared_ptr<connection_core> core) {
    std::lock_guard lock(mutex_);
    const auto id = next_id_++;
    cores_.emplace(id, std::move(core));
    return id;
  }
  std::shared_ptr<connection_core> find(std::uintptr_t id) {
    std::lock_guard lock(mutex_);
    auto it = cores_.find(id);
    return it == cores_.end() ? nullptr : it->second;
  }
  // The caller drops the reference outside the lock: it may be the last.
  std::shared_ptr<connection_core> remove(std::uintptr_t id) {
    std::lock_guard lock(mutex_);
    auto it = cores_.find(id);
    if (it == cores_.end()) return nullptr;
    auto core = std::move(it->second);
    cores_.erase(it);
    return core;
  }

 private:
  std::mutex mutex_;
  std::uintptr_t next_id_ = 1;
  std::unordered_map<std::uintptr_t, std::shared_ptr<connection_core>> cores_;
};

// Never destroyed: nats.c's threads may call back while the process exits.
core_registry& registry() {
  static auto* instance = new core_registry;
  return *instance;
}

void* closure_of(std::uintptr_t id) { return reinterpret_cast<void*>(id); }
std::shared_ptr<connection_core> core_of(void* closure) {
  return registry().find(reinterpret_cast<std::uintptr_t>(closure));
}

std::string last_nats_error_text() {
  const char* text = nats_GetLastError(nullptr);
  return text ? text : "";
}

}  // namespace

boost::asio::any_io_executor blocking_executor() {
  // At exit, let queued connects and closes finish: thread_pool's own
  // destructor would drop them, leaving connections nats.c never closes.
  struct finishing_pool {
    boost::asio::thread_pool pool{2};
    ~finishing_pool() { pool.join(); }
  };
  static finishing_pool instance;
  return instance.pool.get_executor();
}

connection_core::connection_core(boost::asio::any_io_executor ex, connect_options options)
    : executor_(std::move(ex)),
      options_(std::move(options)),
      events_(options_.event_queue_capacity),
      publish_window_(options_.max_pending_publishes == 0 ? 1 : options_.max_pending_publishes) {}

// Runs once nats.c holds no reference: the connection, if any, is closed.
connection_core::~connection_core() {
  if (reply_sub_) natsSubscription_Destroy(reply_sub_);
  if (auto* nc = nc_.load(std::memory_order_acquire)) natsConnection_Destroy(nc);
}

error_code connection_core::build_options(natsOptions* opts, std::string& detail) {
  auto check = [&](natsStatus s, const char* what) {
    if (s != NATS_OK) detail = std::string(what) + ": " + last_nats_error_text();
    return s;
  };
  std::vector<const char*> urls;
  for (const auto& url : options_.servers) urls.push_back(url.c_str());
  natsStatus s = NATS_OK;
  if (!urls.empty())
    s = check(natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size())),
              "server list");
  if (s == NATS_OK && !options_.name.empty()) s = natsOptions_SetName(opts, options_.name.c_str());
  if (s == NATS_OK && !options_.user.empty())
    s = natsOptions_SetUserInfo(opts, options_.user.c_str(), options_.password.c_str());
  if (s == NATS_OK && !options_.token.empty())
    s = natsOptions_SetToken(opts, options_.token.c_str());
  if (s == NATS_OK && !options_.credentials_file.empty())
    s = check(
        natsOptions_SetUserCredentialsFromFiles(opts, options_.credentials_file.c_str(), nullptr),
        "credentials file");
  if (s == NATS_OK && !options_.nkey_seed_file.empty()) {
    std::string error;
    const auto public_key = nkey_public_key(options_.nkey_seed_file, error);
    if (!public_key) {
      detail = error;
      return errc::invalid_argument;
    }
    s = check(
        natsOptions_SetNKeyFromSeed(opts, public_key->c_str(), options_.nkey_seed_file.c_str()),
        "NKey seed file");
  }
  const auto& tls = options_.tls;
  const bool tls_url =
      std::any_of(options_.servers.begin(), options_.servers.end(),
                  [](const std::string& url) { return url.starts_with("tls://"); });
  if (s == NATS_OK && (tls.enabled || tls_url || !tls.ca_file.empty() || !tls.cert_file.empty()))
    s = check(natsOptions_SetSecure(opts, true), "TLS");
  if (s == NATS_OK && !tls.ca_file.empty())
    s = check(natsOptions_LoadCATrustedCertificates(opts, tls.ca_file.c_str()), "TLS CA file");
  if (s == NATS_OK && !tls.cert_file.empty())
    s = check(natsOptions_LoadCertificatesChain(opts, tls.cert_file.c_str(), tls.key_file.c_str()),
              "TLS certificate/key");
  if (s == NATS_OK && !tls.expected_hostname.empty())
    s = natsOptions_SetExpectedHostname(opts, tls.expected_hostname.c_str());
  if (s == NATS_OK && tls.skip_verify) s = natsOptions_SkipServerVerification(opts, true);

  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, options_.connect_timeout.count());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, options_.max_reconnect_attempts != 0);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, options_.max_reconnect_attempts);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, options_.reconnect_wait.count());
  if (s == NATS_OK)
    s = natsOptions_SetReconnectBufSize(opts, static_cast<int>(options_.reconnect_buffer_bytes));
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, options_.ping_interval.count());
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, options_.max_pings_out);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, options_.send_asap);
  if (s == NATS_OK) s = natsOptions_SetNoEcho(opts, options_.no_echo);
  if (s == NATS_OK && !options_.inbox_prefix.empty())
    s = check(natsOptions_SetCustomInboxPrefix(opts, options_.inbox_prefix.c_str()),
              "inbox prefix");
  if (s == NATS_OK)
    s = natsOptions_UseGlobalMessageDelivery(opts, options_.shared_delivery_threads);
  void* closure = closure_of(registry_id_);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &on_closed, closure);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, &on_disconnected, closure);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, &on_reconnected, closure);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, &on_error, closure);
  if (s == NATS_OK) s = natsOptions_SetLameDuckModeCB(opts, &on_lame_duck, closure);
  if (s != NATS_OK && detail.empty()) detail = last_nats_error_text();
  return make_nats_error(s);
}

error_code connection_core::connect_blocking(std::string& detail) {
  {
    std::lock_guard lock(close_mutex_);
    if (close_requested_) return errc::connection_closed;  // closed before it began
    connecting_ = true;
  }
  auto connect_failed = [this](error_code ec) {
    std::unique_lock lock(close_mutex_);
    connecting_ = false;
    if (close_requested_) ec = errc::connection_closed;
    lock.unlock();
    finish_close_if_done();
    return ec;
  };
  // Registered before connecting: nats.c may call back before Connect returns.
  registry_id_ = registry().add(shared_from_this());
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) {
    registry().remove(registry_id_);
    return connect_failed(make_nats_error(s));
  }
  error_code ec = build_options(opts, detail);
  natsConnection* nc = nullptr;
  if (!ec) {
    s = natsConnection_Connect(&nc, opts);
    if (s != NATS_OK) {
      detail = last_nats_error_text();
      ec = make_nats_error(s);
      nc = nullptr;
    }
  }
  natsOptions_Destroy(opts);
  if (ec) {
    // No connection, so no closed callback: nats.c's reference ends here.
    registry().remove(registry_id_);
    return connect_failed(ec);
  }

  s = subscribe_replies(nc);
  if (s != NATS_OK) {
    detail = last_nats_error_text();
    ec = make_nats_error(s);
  }
  bool close = false;
  {
    std::lock_guard lock(close_mutex_);
    nc_.store(nc, std::memory_order_release);
    connecting_ = false;
    if (close_requested_ || ec) close = close_started_ = close_called_ = true;
    if (close_requested_) ec = errc::connection_closed;
  }
  // We are on the blocking pool: close here. The closed callback ends it.
  if (close) natsConnection_Close(nc);
  return ec;
}

// One wildcard subscription on "<inbox>.*" carries every request's reply.
natsStatus connection_core::subscribe_replies(natsConnection* nc) {
  inbox_prefix_ = new_inbox();
  if (inbox_prefix_.empty()) return NATS_NO_MEMORY;
  // Registered first: the server's refusal may come back before Subscribe returns.
  watch_subscription(reply_subject_pattern(), [this] {
    {
      std::lock_guard lock(requests_mutex_);
      replies_denied_ = true;
    }
    fail_requests_if([](std::uint64_t, const pending_request&) { return true; },
                     errc::permission_denied);
  });
  const std::string wildcard = reply_subject_pattern();
  natsStatus s = natsConnection_Subscribe(&reply_sub_, nc, wildcard.c_str(), &on_reply, this);
  if (s != NATS_OK) return s;
  // Taken before OnComplete is set: it may run as soon as it is.
  reply_ref_ = shared_from_this();
  subscription_opened();
  s = natsSubscription_SetOnCompleteCB(reply_sub_, &on_reply_sub_complete, this);
  if (s != NATS_OK) {
    // nats.c closed it already (the connection closed): no OnComplete will
    // come. on_reply's closure stays valid while the registry holds this
    // object, that is until the closed callback.
    reply_ref_.reset();
    subscription_completed();
    return s;
  }
  natsSubscription_SetPendingLimits(reply_sub_, -1, -1);
  return NATS_OK;
}

void connection_core::close_async(completion_ptr<> done, bool let_drain_finish) {
  {
    std::lock_guard lock(close_mutex_);
    if (done) close_waiters_.push_back(std::move(done));
    if (nc_.load(std::memory_order_relaxed) == nullptr) close_requested_ = true;
  }
  // Before the connect there is nothing to close (the connect path closes
  // what it makes); after the closed callback, nothing left to wait for.
  finish_close_if_done();
  boost::asio::post(blocking_executor(), [self = shared_from_this(), let_drain_finish] {
    self->close_now(let_drain_finish);
  });
}

void connection_core::close_now(bool let_drain_finish) {
  natsConnection* nc = nullptr;
  {
    std::lock_guard lock(close_mutex_);
    nc = nc_.load(std::memory_order_relaxed);
    if (nc == nullptr || close_called_ || closed_) return;
    if (close_started_ && let_drain_finish) return;  // the drain closes when done
    close_started_ = close_called_ = true;
  }
  // Also cuts a drain under way short: a close asked for now, or the last
  // owner gone, must not wait for a drain that may stall (say, while
  // reconnecting to a server that is gone).
  natsConnection_Close(nc);
}

void connection_core::finish_close_if_done() {
  std::vector<completion_ptr<>> done;
  {
    std::lock_guard lock(close_mutex_);
    const bool never_connected = nc_.load(std::memory_order_relaxed) == nullptr && !connecting_;
    const bool closed = closed_ && live_subscriptions_ == 0;
    if (never_connected || closed) done.swap(close_waiters_);
  }
  for (auto& c : done) c->complete({});
}

bool connection_core::is_closed() const {
  std::lock_guard lock(close_mutex_);
  return closed_ || nc_.load(std::memory_order_relaxed) == nullptr;
}

error_code connection_core::start_drain(std::chrono::milliseconds timeout) {
  natsConnection* nc = nullptr;
  {
    std::lock_guard lock(close_mutex_);
    nc = nc_.load(std::memory_order_relaxed);
    if (nc == nullptr) return errc::not_connected;
    if (close_started_) return {};
    close_started_ = true;
  }
  const auto s = natsConnection_DrainTimeout(nc, timeout.count());
  if (s != NATS_OK) {  // no drain under way: a later close must close
    std::lock_guard lock(close_mutex_);
    close_started_ = false;
  }
  return make_nats_error(s);
}

void connection_core::subscription_opened() {
  std::lock_guard lock(close_mutex_);
  ++live_subscriptions_;
}

void connection_core::subscription_completed() {
  {
    std::lock_guard lock(close_mutex_);
    --live_subscriptions_;
  }
  finish_close_if_done();
}

void connection_core::keep_until_destroyed(std::shared_ptr<void> state) {
  std::lock_guard lock(close_mutex_);
  kept_states_.push_back(std::move(state));
}

error_code connection_core::publish(std::string_view subject, std::string_view reply,
                                    const header_list& headers, std::string_view payload) {
  auto* nc = native();
  if (nc == nullptr) return errc::not_connected;
  if (subject.empty()) return errc::invalid_argument;
  if (headers.empty()) {  // nats.c then needs no message of its own
    const c_string subj(subject);
    const auto size = static_cast<int>(payload.size());
    if (reply.empty())
      return make_nats_error(natsConnection_Publish(nc, subj.get(), payload.data(), size));
    const c_string rep(reply);
    return make_nats_error(
        natsConnection_PublishRequest(nc, subj.get(), rep.get(), payload.data(), size));
  }
  unique_nats_msg msg;
  if (auto ec = make_native_message(msg, subject, reply, headers, payload)) return ec;
  return make_nats_error(natsConnection_PublishMsg(nc, msg.get()));
}

void connection_core::request(std::string_view subject, const header_list& headers,
                              std::string_view payload, std::chrono::milliseconds timeout,
                              const completion_ptr<message>& c) {
  if (native() == nullptr) {
    c->fail(errc::not_connected);
    return;
  }
  std::uint64_t token = 0;
  bool arm = false;
  {
    std::lock_guard lock(requests_mutex_);
    if (requests_closed_) {
      c->fail(errc::connection_closed);
      return;
    }
    if (replies_denied_) {  // the answer could never arrive
      c->fail(errc::permission_denied);
      return;
    }
    token = next_token_++;
    auto deadline = std::chrono::steady_clock::time_point::max();
    if (timeout.count() > 0) {
      deadline = std::chrono::steady_clock::now() + timeout;
      deadlines_.add(timeout, deadline, token,
                     [this](std::uint64_t t) { return requests_.contains(t); });
      ++timed_requests_;
      if (deadline < armed_for_) {
        armed_for_ = deadline;
        arm = true;
      }
    }
    requests_.emplace(token, pending_request{c, std::string(subject), deadline});
  }
  if (arm) schedule_deadline_check();
  c->on_finish([weak = weak_from_this(), token] {
    auto self = weak.lock();
    if (!self) return;
    bool idle = false;
    {
      std::lock_guard lock(self->requests_mutex_);
      auto it = self->requests_.find(token);
      if (it == self->requests_.end()) return;
      self->take_request_locked(it);
      idle = self->deadline_timer_idle_locked();
    }
    if (idle) self->schedule_deadline_check();
  });
  // "<inbox>.<token>", without an allocation when it is short.
  std::array<char, 128> buffer;
  std::string long_reply;
  std::string_view reply;
  if (inbox_prefix_.size() + 22 <= buffer.size()) {
    char* end = std::copy(inbox_prefix_.begin(), inbox_prefix_.end(), buffer.data());
    *end++ = '.';
    end = std::to_chars(end, buffer.data() + buffer.size(), token).ptr;
    reply = std::string_view(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
  } else {
    long_reply = inbox_prefix_ + "." + std::to_string(token);
    reply = long_reply;
  }
  if (auto ec = publish(subject, reply, headers, payload)) c->fail(ec);
}

completion_ptr<message> connection_core::take_request_locked(request_map::iterator it) {
  if (it->second.deadline != std::chrono::steady_clock::time_point::max()) --timed_requests_;
  auto c = std::move(it->second.c);
  requests_.erase(it);
  return c;
}

bool connection_core::deadline_timer_idle_locked() {
  if (timed_requests_ > 0 || armed_for_ == std::chrono::steady_clock::time_point::max())
    return false;
  armed_for_ = std::chrono::steady_clock::time_point::max();
  return true;
}

void connection_core::schedule_deadline_check() {
  boost::asio::post(executor_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->check_deadlines();
  });
}

// One timer per connection, not one per request: a JetStream publish is a
// request, and arming, cancelling and completing an Asio timer for each
// cost more than the rest of the publish. Requests usually finish long
// before their deadline, so the timer seldom fires; when the last timed
// request finishes it is stopped, so that it keeps no io_context running.
void connection_core::check_deadlines() {
  std::vector<completion_ptr<message>> expired;
  std::shared_ptr<boost::asio::steady_timer> replaced;  // released after the lock
  {
    std::lock_guard lock(requests_mutex_);
    auto is_pending = [this](std::uint64_t t) { return requests_.contains(t); };
    deadlines_.pop_due(std::chrono::steady_clock::now(), is_pending, [&](std::uint64_t token) {
      expired.push_back(take_request_locked(requests_.find(token)));
    });
    const auto next = deadlines_.earliest(is_pending);
    armed_for_ = next;
    auto current = deadline_timer_.lock();
    if (!current || current->expiry() != next) {
      if (current) current->cancel();  // its handler ends with operation_aborted
      replaced = std::move(current);
      deadline_timer_.reset();
      if (next != std::chrono::steady_clock::time_point::max()) {
        auto timer = std::make_shared<boost::asio::steady_timer>(executor_, next);
        timer->async_wait([timer, self = shared_from_this()](error_code ec) {
          if (!ec) self->check_deadlines();
        });
        deadline_timer_ = timer;
      }
    }
  }
  for (auto& c : expired)
    if (c->claim()) c->finish(errc::timeout, message{});
}

void connection_core::fail_pending_requests(error_code ec) {
  request_map pending;
  bool idle = false;
  {
    std::lock_guard lock(requests_mutex_);
    requests_closed_ = true;
    pending.swap(requests_);
    deadlines_.clear();
    timed_requests_ = 0;
    idle = deadline_timer_idle_locked();
  }
  if (idle) schedule_deadline_check();
  for (auto& [token, r] : pending)
    if (r.c->claim()) r.c->finish(ec, message{});
}

void connection_core::fail_requests_if(
    const std::function<bool(std::uint64_t, const pending_request&)>& match, error_code ec) {
  std::vector<completion_ptr<message>> failed;
  bool idle = false;
  {
    std::lock_guard lock(requests_mutex_);
    for (auto it = requests_.begin(); it != requests_.end();) {
      auto here = it++;
      if (match(here->first, here->second)) failed.push_back(take_request_locked(here));
    }
    idle = deadline_timer_idle_locked();
  }
  if (idle) schedule_deadline_check();
  for (auto& c : failed)
    if (c->claim()) c->finish(ec, message{});
}

std::string connection_core::new_inbox() const {
  char* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return {};
  // nats.c makes "_INBOX.<nuid>"; keep the unique part under our own prefix.
  std::string_view unique(inbox);
  unique.remove_prefix(unique.find('.') + 1);
  std::string out = options_.inbox_prefix.empty() ? "_INBOX" : options_.inbox_prefix;
  out += '.';
  out += unique;
  natsInbox_Destroy(inbox);
  return out;
}

bool connection_core::replies_denied() const {
  std::lock_guard lock(requests_mutex_);
  return replies_denied_;
}

std::uint64_t connection_core::watch_subscription(std::string subject,
                                                  std::function<void()> on_denied) {
  std::lock_guard lock(watches_mutex_);
  const auto id = next_watch_++;
  watches_.emplace(id, subscription_watch{std::move(subject), std::move(on_denied)});
  return id;
}

void connection_core::unwatch_subscription(std::uint64_t id) {
  std::lock_guard lock(watches_mutex_);
  watches_.erase(id);
}

// The server answers a refused publish or subscription with an -ERR that
// names the subject, and otherwise carries on: without this, a request to a
// refused subject would wait for its timeout and a refused subscription
// would stay silent forever.
void connection_core::on_permission_violation(const permission_violation& v) {
  using kind = permission_violation::kind;
  const error_code denied = errc::permission_denied;
  switch (v.what) {
    case kind::publish:
      // Every pending request to that subject was refused: permissions are
      // the same for all of them.
      fail_requests_if([&](std::uint64_t, const pending_request& r) { return v.names(r.subject); },
                       denied);
      break;
    case kind::reply: {
      // Our reply subjects are "<inbox>.<token>".
      const std::string prefix = inbox_prefix_ + ".";
      if (v.truncated || !v.subject.starts_with(prefix)) break;
      std::uint64_t token = 0;
      const auto digits = std::string_view(v.subject).substr(prefix.size());
      if (std::from_chars(digits.data(), digits.data() + digits.size(), token).ec != std::errc{})
        break;
      fail_requests_if([token](std::uint64_t t, const pending_request&) { return t == token; },
                       denied);
      break;
    }
    case kind::subscribe: {
      std::vector<std::function<void()>> refused;
      {
        std::lock_guard lock(watches_mutex_);
        for (const auto& [id, w] : watches_)
          if (v.names(w.subject)) refused.push_back(w.on_denied);
      }
      for (const auto& fn : refused) fn();
      break;
    }
  }
}

std::string connection_core::connected_url() const {
  char buf[256] = {};
  // nats.c's URL keeps the user info given: never hand out the password.
  auto* nc = native();
  if (nc && natsConnection_GetConnectedUrl(nc, buf, sizeof buf) == NATS_OK) return redact_url(buf);
  return {};
}

void connection_core::on_reply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  unique_nats_msg owned(msg);
  auto* self = static_cast<connection_core*>(closure);
  std::string_view subject = natsMsg_GetSubject(msg);
  if (subject.size() <= self->inbox_prefix_.size() + 1) return;
  subject.remove_prefix(self->inbox_prefix_.size() + 1);
  std::uint64_t token = 0;
  if (std::from_chars(subject.data(), subject.data() + subject.size(), token).ec != std::errc{})
    return;
  completion_ptr<message> c;
  bool idle = false;
  {
    std::lock_guard lock(self->requests_mutex_);
    auto it = self->requests_.find(token);
    if (it == self->requests_.end()) return;  // timed out or cancelled: drop the late reply
    c = self->take_request_locked(it);
    idle = self->deadline_timer_idle_locked();
  }
  if (idle) self->schedule_deadline_check();
  if (!c->claim()) return;
  if (natsMsg_IsNoResponders(msg)) {
    c->finish(errc::no_responders, message{});
    return;
  }
  c->finish({}, copy_message(msg));
}

void connection_core::on_reply_sub_complete(void* closure) {
  auto* self = static_cast<connection_core*>(closure);
  auto last = std::move(self->reply_ref_);  // may destroy *self on return
  self->subscription_completed();
}

void connection_core::on_closed(natsConnection*, void* closure) {
  // nats.c's reference ends with this callback; `self` may be the last one.
  auto self = registry().remove(reinterpret_cast<std::uintptr_t>(closure));
  if (!self) return;
  self->fail_pending_requests(errc::connection_closed);
  bool asked;
  {
    std::lock_guard lock(self->close_mutex_);
    asked = self->close_started_;
  }
  connection_event ev{connection_event::kind::closed, {}, {}, {}};
  if (!asked) {
    ev.error = errc::connection_closed;
    ev.text = "connection closed: reconnect attempts exhausted";
  }
  self->events_.push_evicting(std::move(ev));
  self->events_.close(errc::connection_closed);
  {
    std::lock_guard lock(self->close_mutex_);
    self->closed_ = true;
  }
  self->finish_close_if_done();
}

void connection_core::on_disconnected(natsConnection*, void* closure) {
  if (auto self = core_of(closure))
    self->events_.push_evicting(
        {connection_event::kind::disconnected, {}, {}, "disconnected from server"});
}

void connection_core::on_reconnected(natsConnection*, void* closure) {
  if (auto self = core_of(closure))
    self->events_.push_evicting(
        {connection_event::kind::reconnected, {}, self->connected_url(), "reconnected"});
}

void connection_core::on_lame_duck(natsConnection*, void* closure) {
  auto self = core_of(closure);
  if (!self) return;
  self->events_.push_evicting({connection_event::kind::lame_duck,
                               {},
                               self->connected_url(),
                               "server entering lame duck mode"});
}

void connection_core::on_error(natsConnection* nc, natsSubscription* sub, natsStatus err,
                               void* closure) {
  auto self = core_of(closure);
  if (!self) return;
  std::string text;
  // nats.c 3.4 hands this thread the error's own text just before the call;
  // the connection's last error may already be a newer one.
  natsStatus own_status = NATS_OK;
  if (const char* own = nats_GetLastError(&own_status); own && own_status == err) text = own;
  const char* last = nullptr;
  if (text.empty() && natsConnection_GetLastError(nc, &last) != NATS_OK && last) text = last;
  if (text.empty()) text = natsStatus_GetText(err);
  if (err == NATS_NOT_PERMITTED)
    if (auto violation = parse_permission_violation(text))
      self->on_permission_violation(*violation);
  if (sub) {
    const char* subject = natsSubscription_GetSubject(sub);
    if (subject) text += std::string(" (subscription ") + subject + ")";
  }
  self->events_.push_evicting(
      {connection_event::kind::error, make_nats_error(err), self->connected_url(), text});
}

}  // namespace nats_asio::detail
