// Start-up against servers that are not ready yet: a cluster still forming,
// a stream electing its leader. Each start-up step (provisioning a stream or
// the bucket, reading or writing a config, creating a consumer) retries its
// transient failures with backoff until --start-timeout has passed since the
// step began; a permanent failure (permission denied, an incompatible stream
// or consumer, bad settings) ends it at once.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <tuple>

#include "logger.hpp"
#include "nats_asio/error.hpp"

namespace apps {

// Whether `ec` may pass by itself while servers start or elect leaders: no
// answer in time, nobody answering JetStream requests yet, JetStream or the
// cluster temporarily unavailable, no leader, peers not known yet.
bool transient_at_start(const boost::system::error_code& ec);

// `ec`'s text; for the JetStream codes transient_at_start() accepts, the
// server's meaning rather than a bare number.
std::string describe_start_failure(const boost::system::error_code& ec);

// When a failing step tries again and when it says so. Pure (the caller
// passes the time and the randomness), so that it can be tested without a
// clock or a server.
class start_schedule {
 public:
  using clock = std::chrono::steady_clock;
  // The backoff before jitter: 100 ms, doubling after each failure up to 2 s.
  static constexpr std::chrono::milliseconds first_pause{100};
  static constexpr std::chrono::milliseconds max_pause{2000};
  // A failing step logs its first failure, then at most one line this often.
  static constexpr std::chrono::milliseconds report_every{5000};

  start_schedule(clock::time_point began, std::chrono::milliseconds budget)
      : began_(began), deadline_(began + budget) {}

  // The backoff after `failures` failed attempts (1, 2, ...), before jitter.
  static std::chrono::milliseconds backoff(int failures);
  // After a transient failure at `now`: the pause before the next attempt, or
  // nullopt when the budget is spent. `jitter` in [0, 1) picks the pause in
  // [backoff / 2, backoff), so that clients started together do not retry in
  // step; a pause never ends after the deadline.
  std::optional<std::chrono::milliseconds> pause_after_failure(clock::time_point now,
                                                               double jitter);
  // Whether the failure at `now` gets a log line: the first one, then one per
  // report_every.
  bool report(clock::time_point now);
  bool reported() const { return last_report_.has_value(); }
  int failures() const { return failures_; }
  clock::time_point began() const { return began_; }

 private:
  clock::time_point began_;
  clock::time_point deadline_;
  int failures_ = 0;
  std::optional<clock::time_point> last_report_;
};

// A number in [0, 1) for start_schedule's jitter.
double start_jitter();

// One program's (or one sensor's) way of retrying its start-up steps.
class start_retry {
 public:
  // Waits are logged through `log` at `level`. While `stopping` is true no
  // new attempt starts; cancelling `pause` (which must outlive this object)
  // ends a pause at once.
  start_retry(std::chrono::milliseconds timeout, const logger& log, log_level level,
              const bool& stopping, boost::asio::steady_timer& pause)
      : timeout_(timeout), log_(log), level_(level), stopping_(stopping), pause_(pause) {}

  // co_awaits attempt() (a fresh operation each time; it yields a tuple whose
  // first element is the error_code) until it succeeds, fails permanently,
  // the time is up or the program stops; returns the last result. `step`
  // names what is waited for: "stream MEASUREMENTS_STREAM".
  template <typename Attempt>
  auto run(std::string step, Attempt attempt) -> decltype(attempt()) {
    gave_up_ = false;
    start_schedule schedule(start_schedule::clock::now(), timeout_);
    for (;;) {
      auto result = co_await attempt();
      const auto& ec = std::get<0>(result);
      const auto now = start_schedule::clock::now();
      if (!ec || !transient_at_start(ec) || stopping_) {
        if (!ec && schedule.reported()) ready(step, schedule);
        co_return result;
      }
      const auto pause = schedule.pause_after_failure(now, start_jitter());
      if (!pause) {
        gave_up_ = true;
        co_return result;
      }
      if (schedule.report(now)) waiting(step, ec, schedule);
      pause_.expires_after(*pause);
      co_await pause_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (stopping_) co_return result;
    }
  }

  // " (gave up after 1m of retries; --start-timeout)" when the last run()
  // ended because its time was up, else "".
  std::string gave_up_note() const;
  // The setting the log and the note name as the limit ("" for none).
  void name_limit(std::string setting) { limit_name_ = std::move(setting); }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  void waiting(const std::string& step, const boost::system::error_code& ec,
               const start_schedule& schedule) const;
  void ready(const std::string& step, const start_schedule& schedule) const;

  std::chrono::milliseconds timeout_;
  const logger& log_;
  log_level level_;
  const bool& stopping_;
  boost::asio::steady_timer& pause_;
  std::string limit_name_ = "--start-timeout";
  bool gave_up_ = false;
};

}  // namespace apps
