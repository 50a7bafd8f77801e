#include "iot/publish_backlog.hpp"

#include <algorithm>
#include <utility>

namespace iot {

namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds first_retry_pause = 250ms;
constexpr std::chrono::milliseconds longest_retry_pause = 2s;

}  // namespace

publish_backlog::publish_backlog(std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 1)) {}

publish_backlog::admission publish_backlog::admit() {
  // Nobody overtakes the loops in line, even when a place is free for a moment.
  if (stopped_ || (room() && in_line_ == 0)) return admission::go;
  ++in_line_;
  if (paused_) return admission::wait;
  paused_ = true;
  return admission::wait_and_pause;
}

bool publish_backlog::take_held_place() {
  if (held_ > 0) --held_;
  if (!paused_ || in_line_ > 0 || held_ > 0) return false;
  paused_ = false;
  return true;
}

bool publish_backlog::settled(bool stored) {
  --waiting_;
  if (stored) ++acknowledged_;
  if (stopped_ || in_line_ == 0 || !room()) return false;
  --in_line_;
  ++held_;
  return true;
}

bool publish_backlog::publish_failed() { return !std::exchange(failing_, true); }

bool publish_backlog::publish_succeeded() { return std::exchange(failing_, false); }

std::chrono::milliseconds publish_backlog::retry_pause(std::chrono::milliseconds previous) {
  if (previous <= 0ms) return first_retry_pause;
  return std::min(previous * 2, longest_retry_pause);
}

bool publish_backlog::give_up_rest() {
  if (waiting_ > 0) giving_up_ = true;
  return giving_up_;
}

}  // namespace iot
