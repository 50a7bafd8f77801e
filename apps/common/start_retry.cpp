#include "start_retry.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "iot/duration.hpp"

namespace apps {

namespace {

// JetStream API errors a cluster answers with until it has formed or elected
// a leader (nats-server's errors.json).
struct transient_js_error {
  int code;
  const char* meaning;
};
constexpr transient_js_error transient_js_errors[] = {
    {10008, "JetStream system temporarily unavailable"},
    {10009, "JetStream cluster can not handle request (no leader)"},
    {10005, "no suitable peers for placement (cluster still forming)"},
};

const transient_js_error* find_transient(const boost::system::error_code& ec) {
  if (ec.category() != nats_asio::jetstream_category()) return nullptr;
  for (const auto& e : transient_js_errors)
    if (e.code == ec.value()) return &e;
  return nullptr;
}

// "2.5 s"
std::string seconds(std::chrono::steady_clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(d).count());
  return text;
}

}  // namespace

bool transient_at_start(const boost::system::error_code& ec) {
  return ec == nats_asio::errc::timeout || ec == nats_asio::errc::no_responders ||
         find_transient(ec) != nullptr;
}

std::string describe_start_failure(const boost::system::error_code& ec) {
  if (const auto* e = find_transient(ec)) return e->meaning;
  return ec.message();
}

std::chrono::milliseconds start_schedule::backoff(int failures) {
  auto pause = first_pause;
  for (int i = 1; i < failures && pause < max_pause; ++i) pause *= 2;
  return std::min(pause, max_pause);
}

std::optional<std::chrono::milliseconds> start_schedule::pause_after_failure(clock::time_point now,
                                                                             double jitter) {
  ++failures_;
  if (now >= deadline_) return std::nullopt;
  const auto full = backoff(failures_);
  auto pause =
      full / 2 + std::chrono::milliseconds(static_cast<std::int64_t>(
                     static_cast<double>((full / 2).count()) * std::clamp(jitter, 0.0, 1.0)));
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now);
  return std::min(pause, left);
}

bool start_schedule::report(clock::time_point now) {
  if (last_report_ && now - *last_report_ < report_every) return false;
  last_report_ = now;
  return true;
}

double start_jitter() {
  thread_local std::minstd_rand random(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(random);
}

std::string start_retry::gave_up_note() const {
  if (!gave_up_) return "";
  return " (gave up after " + iot::format_duration(timeout_) + " of retries" +
         (limit_name_.empty() ? "" : "; " + limit_name_) + ")";
}

void start_retry::waiting(const std::string& step, const boost::system::error_code& ec,
                          const start_schedule& schedule) const {
  if (!log_.enabled(level_)) return;
  const auto elapsed = start_schedule::clock::now() - schedule.began();
  if (schedule.failures() == 1)
    log_.at(level_, "waiting for " + step + ": " + describe_start_failure(ec) +
                        "; retrying for up to " + iot::format_duration(timeout_) +
                        (limit_name_.empty() ? "" : " (" + limit_name_ + ")"));
  else
    log_.at(level_, "still waiting for " + step + " after " + seconds(elapsed) + ": " +
                        describe_start_failure(ec));
}

void start_retry::ready(const std::string& step, const start_schedule& schedule) const {
  if (!log_.enabled(level_)) return;
  log_.at(level_,
          step + " ready after " + seconds(start_schedule::clock::now() - schedule.began()));
}

}  // namespace apps
