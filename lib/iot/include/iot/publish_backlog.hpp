// The rules of a sensor process's publish buffer, without I/O: how many
// measurements may await the stream's acknowledgment, which measuring loop
// takes the next free place (first come, first served), how long a failed
// publish waits before it is retried, when the rest is given up, and what is
// counted. The program (measurement_publisher) performs the publishes and
// the waits, and asks these rules at each step.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace iot {

class publish_backlog {
 public:
  // At least one place.
  explicit publish_backlog(std::size_t capacity);

  // Room for one more measurement, asked by a measuring loop before it measures.
  enum class admission {
    go,              // measure now
    wait,            // wait in line until woken (see settled())
    wait_and_pause,  // the same, and measuring pauses now (log it)
  };
  admission admit();
  // A loop woken from its place in line takes the place held for it; true
  // when it was the last in line: measuring resumes (log it).
  bool take_held_place();

  // A measurement handed over for publishing (measured or a correction:
  // a correction takes a place even beyond the capacity, it is not held back).
  void handed_over() { ++waiting_; }
  // A handed-over measurement was stored (or given up): its place is free.
  // True when a loop in line must be woken (notify one); the place is held for it.
  bool settled(bool stored);

  // From now on nobody waits for room (shutdown); the loops in line must all be woken.
  void stop_admitting() { stopped_ = true; }

  // A publish failed: true on the first failure of a run of failures (log it then).
  bool publish_failed();
  // A publish succeeded: true when it ends a run of failures (log the recovery).
  bool publish_succeeded();
  // How long to wait before the next attempt, after `previous` (zero before the first retry):
  // 250 ms, doubling, at most 2 s.
  static std::chrono::milliseconds retry_pause(std::chrono::milliseconds previous);

  // At the end of the shutdown grace: what still waits is given up (its
  // publishing ends at its next failure). True if there is any.
  bool give_up_rest();
  bool giving_up() const { return giving_up_; }
  void given_up(std::string message_id) { given_up_.push_back(std::move(message_id)); }

  std::size_t waiting() const { return waiting_; }  // handed over, not yet settled
  std::size_t in_line() const { return in_line_; }  // loops waiting for room
  bool paused() const { return paused_; }
  std::uint64_t acknowledged() const { return acknowledged_; }
  const std::vector<std::string>& given_up() const { return given_up_; }

 private:
  bool room() const { return waiting_ + held_ < capacity_; }

  std::size_t capacity_;
  std::size_t waiting_ = 0;
  std::size_t in_line_ = 0;
  std::size_t held_ = 0;  // places held for woken loops that have not taken them yet
  bool paused_ = false;
  bool stopped_ = false;
  bool failing_ = false;
  bool giving_up_ = false;
  std::uint64_t acknowledged_ = 0;
  std::vector<std::string> given_up_;  // message ids
};

}  // namespace iot
