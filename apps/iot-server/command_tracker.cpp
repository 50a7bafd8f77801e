#include "command_tracker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "../common/command_send.hpp"
#include "iot/command_result.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

std::string_view to_string(command_state s) {
  switch (s) {
    case command_state::queued:
      return "queued";
    case command_state::taken:
      return "taken";
    case command_state::applied:
      return "applied";
    case command_state::rejected:
      return "rejected";
    case command_state::failed:
      break;
  }
  return "failed";
}

command_tracker::command_tracker(nats_asio::connection& conn, nats_asio::jetstream& js,
                                 iot::wire_names names, const apps::logger& log,
                                 std::size_t capacity)
    : conn_(conn), js_(js), names_(std::move(names)), log_(log), capacity_(capacity) {}

void command_tracker::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (results_) results_->unsubscribe();
  // Sends waiting for a result answer now, with what they know.
  for (auto& [uuid, timer] : waiting_) timer->cancel();
}

command_record& command_tracker::remember(command_record r) {
  auto [it, added] = records_.try_emplace(r.command_uuid, std::move(r));
  if (!added) return it->second;
  order_.push_back(it->first);
  while (order_.size() > capacity_) {
    // Forget the oldest, unless a send still waits for it.
    if (waiting_.contains(order_.front())) break;
    records_.erase(order_.front());
    order_.pop_front();
  }
  return it->second;
}

const command_record* command_tracker::find(std::string_view uuid) const {
  const auto it = records_.find(std::string(uuid));
  return it == records_.end() ? nullptr : &it->second;
}

void command_tracker::answered(const std::string& payload) {
  iot::command_result result;
  if (!iot::decode_command_result(payload, result).empty() || result.command_uuid.empty()) return;
  command_record fresh;
  fresh.command_uuid = result.command_uuid;
  fresh.sensor_id = result.sensor_id;
  auto& r = remember(std::move(fresh));
  if (r.state == command_state::applied || r.state == command_state::rejected) return;  // a repeat
  r.state = result.applied ? command_state::applied : command_state::rejected;
  r.error = result.error;
  r.config = result.config;
  r.answered_at = iot::clock::now();
  ++(result.applied ? counters_.applied : counters_.rejected);
  if (on_result) on_result(r);
  if (auto w = waiting_.find(r.command_uuid); w != waiting_.end()) w->second->cancel();
}

awaitable<std::string> command_tracker::run() {
  nats_asio::error_code ec;
  results_.emplace(conn_.subscribe(names_.events_subject + ".>", ec));
  if (ec) co_return "subscribing to " + names_.events_subject + ".>: " + ec.message();
  if (stopping_) results_->unsubscribe();
  for (;;) {
    auto [rec, msg] = co_await results_->async_receive(as_tuple(use_awaitable));
    if (rec == nats_asio::errc::queue_overflow) {
      log_.warn("command results arrived faster than they could be read; some were missed");
      continue;
    }
    if (rec)
      co_return stopping_ || rec == nats_asio::errc::subscription_closed ? "" : rec.message();
    answered(msg.payload);
  }
}

awaitable<command_record> command_tracker::send(std::string sensor_id, iot::command cmd,
                                                std::chrono::milliseconds timeout) {
  const auto began = std::chrono::steady_clock::now();
  cmd.command_uuid = iot::new_uuid();
  cmd.issued_at = iot::clock::now();
  command_record out;
  out.command_uuid = cmd.command_uuid;
  out.sensor_id = sensor_id;
  out.kind = cmd.kind == iot::command_kind::update_config ? "update_config" : "edit_measurement";
  out.sent_at = cmd.issued_at;
  remember(out);
  // What is known of it now (a result may have come while this waited).
  auto current = [&] {
    if (const auto* r = find(out.command_uuid)) out = *r;
    return out.state;
  };

  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer deadline(ex), pause(ex);
  apps::start_retry retry(timeout, log_, apps::log_level::debug, stopping_, pause);
  std::string error;
  const auto sequence = co_await apps::publish_command(js_, names_, sensor_id, cmd, retry, error);
  if (!sequence) {
    ++counters_.failed;
    out.state = command_state::failed;
    out.error = std::move(error);
    if (auto it = records_.find(out.command_uuid); it != records_.end()) it->second = out;
    co_return out;
  }
  ++counters_.sent;
  if (auto it = records_.find(out.command_uuid); it != records_.end())
    it->second.stream_sequence = *sequence;
  if (current() == command_state::queued && !stopping_) {
    deadline.expires_at(began + timeout);
    waiting_[out.command_uuid] = &deadline;
    co_await deadline.async_wait(as_tuple(use_awaitable));
    waiting_.erase(out.command_uuid);
  }
  if (current() != command_state::queued) co_return out;
  ++counters_.unanswered;
  std::string detail;
  const auto where = co_await apps::find_unanswered(js_, names_, *sequence, detail);
  if (current() == command_state::queued && where == apps::unanswered_command::taken) {
    out.state = command_state::taken;
    if (auto it = records_.find(out.command_uuid); it != records_.end())
      it->second.state = command_state::taken;
  }
  co_return out;
}

}  // namespace server
