#include "fleet_commands.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "../common/provision.hpp"
#include "iot/dead_letter.hpp"
#include "iot/sensor_id.hpp"

namespace sensor {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

fleet_commands::fleet_commands(sensor_context& context, std::string fleet,
                               const std::vector<std::unique_ptr<sensor_runtime>>& members,
                               const apps::logger& log)
    : ctx_(context),
      fleet_(std::move(fleet)),
      subject_prefix_(ctx_.settings.names.commands_of(fleet_) + "."),
      consumer_(iot::wire_names::command_consumer(members.front()->id())),
      members_(members),
      log_(log),
      tasks_done_(ctx_.js.get_executor()) {}

asio::awaitable<bool> fleet_commands::subscribe(apps::start_retry& retry, const bool& stopping) {
  // Room for every message the consumer may have out at once, so that none
  // is dropped for want of it.
  auto subscription = co_await subscribe_to_commands(
      ctx_, members_.front()->id(), apps::fleet_commands_in_flight, retry, log_, stopping);
  if (!subscription) co_return false;
  subscription_ = std::move(*subscription);
  co_return true;
}

void fleet_commands::stop() {
  if (stopping_) return;
  stopping_ = true;
  stop_receiving_.emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> fleet_commands::run() {
  while (!stopping_) {
    auto [ec, msg] = co_await subscription_.async_receive(
        asio::bind_cancellation_slot(stop_receiving_.slot(), as_tuple(use_awaitable)));
    if (ec == nats_asio::errc::queue_overflow) {  // not final: they come back after ack_wait
      log_.warn("commands dropped for want of room: " + ec.message());
      continue;
    }
    if (ec) {
      if (!stopping_) log_.error("command consumer ended: " + ec.message());
      break;
    }
    route(std::move(msg));
  }
  while (tasks_ > 0) co_await tasks_done_.async_wait(as_tuple(use_awaitable));
}

// "<prefix><n>" with n in 1..N written without leading zeros names member n.
sensor_runtime* fleet_commands::member_of(const std::string& subject) const {
  if (!subject.starts_with(subject_prefix_)) return nullptr;
  const std::string_view token = std::string_view(subject).substr(subject_prefix_.size());
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
  if (ec != std::errc{} || end != token.data() + token.size() || token.starts_with('0'))
    return nullptr;
  if (n == 0 || n > members_.size()) return nullptr;
  return members_[n - 1].get();
}

void fleet_commands::route(nats_asio::js_message msg) {
  auto* member = member_of(msg.subject());
  if (!member) {
    spawn(dead_letter(std::move(msg)));
    return;
  }
  auto [line, idle] = waiting_.try_emplace(member);
  line->second.push_back(std::move(msg));
  if (idle) spawn(work(*member));
}

asio::awaitable<void> fleet_commands::work(sensor_runtime& member) {
  // However this ends, the member's next command starts a new line.
  struct close_line {
    fleet_commands& self;
    sensor_runtime& member;
    ~close_line() { self.waiting_.erase(&member); }
  } at_end{*this, member};
  // Entries of an unordered_map stay where they are while others come and go.
  auto& line = waiting_.at(&member);
  while (!line.empty() && !stopping_) {
    auto msg = std::move(line.front());
    line.pop_front();
    co_await member.apply_in_order(std::move(msg));
  }
}

// A message on the consumer's subjects that names no member of this fleet
// (a fleet started with a smaller --count, a mistyped id) would otherwise
// come back forever: it is kept in the dead-letter stream and terminated. A
// message that did not come from the consumer at all was put on its deliver
// subject through a reply subject (see iot/command_fsm.hpp) and is ignored.
asio::awaitable<void> fleet_commands::dead_letter(nats_asio::js_message msg) {
  const auto& names = ctx_.settings.names;
  const auto& meta = msg.metadata();
  if (meta.stream != names.commands_stream || meta.consumer != consumer_) {
    log_.warn("ignored a message on " + msg.subject() + " that did not come from consumer " +
              consumer_);
    co_return;
  }
  const auto named = std::string_view(msg.subject())
                         .substr(std::min(msg.subject().size(), names.commands_subject.size() + 1));
  iot::dead_letter letter;
  letter.sensor_id = iot::is_valid_sensor_id(named) ? std::string(named) : fleet_;
  letter.subject = msg.subject();
  letter.stream_sequence = meta.stream_sequence;
  letter.reason = "no member of fleet " + fleet_ + " (" + fleet_ + ".1 ... " + fleet_ + "." +
                  std::to_string(members_.size()) + ") has this subject";
  letter.payload = msg.payload();
  letter.received_at = iot::clock::now();
  log_.warn("rejected the command on " + msg.subject() + " (stream sequence " +
            std::to_string(meta.stream_sequence) + "): " + letter.reason);
  nats_asio::publish_options po;
  po.msg_id = iot::dead_letter_id(letter.sensor_id, meta.stream_sequence);
  auto [ec, ack] = co_await ctx_.js.async_publish(names.deadletter_of(letter.sensor_id),
                                                  iot::encode(letter), po, as_tuple(use_awaitable));
  if (ec) {  // kept: it comes back after ack_wait and is dead-lettered then
    log_.error("cannot store dead letter: " + ec.message() + "; command kept for redelivery");
    co_return;
  }
  co_await msg.async_term(as_tuple(use_awaitable));
}

void fleet_commands::spawn(asio::awaitable<void> task) {
  ++tasks_;
  asio::co_spawn(ctx_.js.get_executor(), std::move(task), [this](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log_.error(std::string("applying a command failed unexpectedly: ") + ex.what());
      }
    }
    --tasks_;
    tasks_done_.notify_all();
  });
}

}  // namespace sensor
