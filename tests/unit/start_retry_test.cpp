// Start-up retries (apps/common/start_retry.hpp): which failures are
// retried, the backoff schedule, when waits are logged, and the loop itself
// against made-up operations (no server).
#include "../../apps/common/start_retry.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using apps::start_schedule;
using nats_asio::errc;
using nats_asio::make_jetstream_error;

TEST_CASE("what passes by itself while a cluster forms is transient; the rest is not") {
  CHECK(apps::transient_at_start(errc::timeout));
  CHECK(apps::transient_at_start(errc::no_responders));
  CHECK(apps::transient_at_start(make_jetstream_error(10008)));  // temporarily unavailable
  CHECK(apps::transient_at_start(make_jetstream_error(10009)));  // no leader
  CHECK(apps::transient_at_start(make_jetstream_error(10005)));  // no peers yet

  CHECK_FALSE(apps::transient_at_start({}));
  CHECK_FALSE(apps::transient_at_start(errc::permission_denied));
  CHECK_FALSE(apps::transient_at_start(errc::stream_incompatible));
  CHECK_FALSE(apps::transient_at_start(errc::consumer_incompatible));
  CHECK_FALSE(apps::transient_at_start(errc::invalid_argument));
  CHECK_FALSE(apps::transient_at_start(errc::key_not_found));
  CHECK_FALSE(apps::transient_at_start(errc::bucket_not_found));
  CHECK_FALSE(apps::transient_at_start(errc::connection_closed));
  CHECK_FALSE(apps::transient_at_start(make_jetstream_error(nats_asio::js_err::stream_not_found)));
  CHECK_FALSE(apps::transient_at_start(
      make_jetstream_error(nats_asio::js_err::consumer_filter_not_unique)));
  // A code of another category with the same number is not a JetStream error.
  CHECK_FALSE(
      apps::transient_at_start(boost::system::error_code(10008, nats_asio::nats_category())));
}

TEST_CASE("a transient JetStream error is described by its meaning, not its number") {
  CHECK(apps::describe_start_failure(make_jetstream_error(10008)) ==
        "JetStream system temporarily unavailable");
  CHECK(apps::describe_start_failure(errc::timeout) ==
        boost::system::error_code(errc::timeout).message());
}

TEST_CASE("the backoff doubles from 100 ms up to 2 s") {
  CHECK(start_schedule::backoff(1) == 100ms);
  CHECK(start_schedule::backoff(2) == 200ms);
  CHECK(start_schedule::backoff(3) == 400ms);
  CHECK(start_schedule::backoff(4) == 800ms);
  CHECK(start_schedule::backoff(5) == 1600ms);
  CHECK(start_schedule::backoff(6) == 2000ms);
  CHECK(start_schedule::backoff(100) == 2000ms);
}

TEST_CASE("a pause is jittered within [backoff/2, backoff] and never ends past the deadline") {
  const start_schedule::clock::time_point t0{};
  SUBCASE("jitter spreads the pause") {
    start_schedule low(t0, 60s), high(t0, 60s);
    for (int failure = 1; failure <= 8; ++failure) {
      const auto full = start_schedule::backoff(failure);
      CHECK(low.pause_after_failure(t0, 0.0) == full / 2);
      const auto p = high.pause_after_failure(t0, 0.999);
      REQUIRE(p);
      CHECK(*p < full);
      CHECK(*p >= full * 99 / 100);
    }
  }
  SUBCASE("near the deadline the pause shrinks; at the deadline the step gives up") {
    start_schedule s(t0, 1s);
    for (int i = 0; i < 5; ++i) s.pause_after_failure(t0, 0.0);  // backoff now 1.6 s
    CHECK(s.pause_after_failure(t0 + 900ms, 0.5) == 100ms);
    CHECK(s.pause_after_failure(t0 + 1s, 0.0) == std::nullopt);
    CHECK(s.pause_after_failure(t0 + 5s, 0.0) == std::nullopt);
    CHECK(s.failures() == 8);
  }
}

TEST_CASE("a failing step is reported at its first failure, then every 5 s at most") {
  const start_schedule::clock::time_point t0{};
  start_schedule s(t0, 60s);
  CHECK_FALSE(s.reported());
  CHECK(s.report(t0 + 10ms));
  CHECK(s.reported());
  CHECK_FALSE(s.report(t0 + 2s));
  CHECK_FALSE(s.report(t0 + 5s));
  CHECK(s.report(t0 + 5s + 10ms));
  CHECK_FALSE(s.report(t0 + 9s));
  CHECK(s.report(t0 + 11s));
}

TEST_CASE("jitter is in [0, 1)") {
  for (int i = 0; i < 1000; ++i) {
    const double j = apps::start_jitter();
    CHECK(j >= 0.0);
    CHECK(j < 1.0);
  }
}

namespace {

// Runs start_retry::run over an operation that fails with `failures` in turn,
// then succeeds (or, `forever`, keeps failing with the last); records the
// result and counts the attempts.
struct loop_run {
  std::vector<boost::system::error_code> failures;
  bool forever = false;
  std::chrono::milliseconds timeout = 10s;
  bool stopping = false;
  std::optional<std::string> limit;  // the setting named as the limit
  int attempts = 0;
  boost::system::error_code result;
  std::string note;

  void run() {
    asio::io_context ioc;
    asio::steady_timer pause(ioc);
    apps::logger log("test", apps::log_level::info);
    apps::start_retry retry(timeout, log, apps::log_level::info, stopping, pause);
    if (limit) retry.name_limit(*limit);
    auto attempt = [&]() -> asio::awaitable<std::tuple<boost::system::error_code, int>> {
      co_await asio::post(ioc, asio::use_awaitable);
      const auto i = static_cast<std::size_t>(attempts++);
      if (i < failures.size()) co_return std::tuple{failures[i], 0};
      if (forever) co_return std::tuple{failures.back(), 0};
      co_return std::tuple{boost::system::error_code{}, 42};
    };
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto [ec, value] = co_await retry.run("thing", attempt);
          result = ec;
          if (!ec) CHECK(value == 42);
          note = retry.gave_up_note();
        },
        asio::detached);
    ioc.run();
  }
};

}  // namespace

TEST_CASE("the loop retries transient failures and returns the first success") {
  loop_run r;
  r.failures = {errc::timeout, errc::no_responders, make_jetstream_error(10008)};
  r.run();
  CHECK(r.attempts == 4);
  CHECK_FALSE(r.result);
  CHECK(r.note.empty());
}

TEST_CASE("the loop returns a permanent failure at once") {
  loop_run r;
  r.failures = {errc::timeout, errc::permission_denied};
  r.run();
  CHECK(r.attempts == 2);
  CHECK(r.result == errc::permission_denied);
  CHECK(r.note.empty());
}

TEST_CASE("the loop gives up when its time is up, and says so") {
  loop_run r;
  r.timeout = 300ms;
  r.failures = {errc::timeout};
  r.forever = true;
  r.run();
  CHECK(r.result == errc::timeout);
  CHECK(r.attempts > 1);
  CHECK(r.note == " (gave up after 300ms of retries; --start-timeout)");
  r.limit = "--timeout";
  r.attempts = 0;
  r.run();
  CHECK(r.note == " (gave up after 300ms of retries; --timeout)");
}

TEST_CASE("a stopping program makes no further attempt") {
  loop_run r;
  r.stopping = true;
  r.failures = {errc::timeout, errc::timeout};
  r.run();
  CHECK(r.attempts == 1);
  CHECK(r.result == errc::timeout);
  CHECK(r.note.empty());
}
