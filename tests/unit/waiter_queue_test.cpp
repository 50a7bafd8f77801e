// detail::waiter_queue: waiters woken in order, cancelled ones skipped and
// gone from the queue, and "wake one or else" decided under one lock.
#include "nats_asio/detail/waiter_queue.hpp"

#include <doctest/doctest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <vector>

namespace asio = boost::asio;
using nats_asio::error_code;
using nats_asio::detail::make_completion;
using nats_asio::detail::waiter_queue;

namespace {

// A waiter that records (id, error) when its handler runs.
struct record {
  std::vector<std::pair<int, error_code>>* seen;
  int id;
  void operator()(error_code ec) const { seen->emplace_back(id, ec); }
};

}  // namespace

TEST_CASE("wake_one completes the longest waiting; with nobody left it runs the fallback") {
  asio::io_context ioc;
  waiter_queue q;
  std::vector<std::pair<int, error_code>> seen;
  q.add(make_completion<>(record{&seen, 1}, ioc.get_executor()));
  q.add(make_completion<>(record{&seen, 2}, ioc.get_executor()));
  int fallbacks = 0;
  CHECK(q.wake_one_or([&] { ++fallbacks; }));
  CHECK(q.size() == 1);
  CHECK(q.wake_one_or([&] { ++fallbacks; }));
  CHECK_FALSE(q.wake_one_or([&] { ++fallbacks; }));
  CHECK(fallbacks == 1);
  CHECK(seen.empty());  // handlers are posted, not run inside the wake
  ioc.run();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::pair{1, error_code{}});
  CHECK(seen[1] == std::pair{2, error_code{}});
}

TEST_CASE("a cancelled waiter leaves the queue and is never woken") {
  asio::io_context ioc;
  waiter_queue q;
  std::vector<std::pair<int, error_code>> seen;
  asio::cancellation_signal cancel;
  q.add(make_completion<>(asio::bind_cancellation_slot(cancel.slot(), record{&seen, 1}),
                          ioc.get_executor()));
  q.add(make_completion<>(record{&seen, 2}, ioc.get_executor()));
  cancel.emit(asio::cancellation_type::terminal);
  CHECK(q.size() == 1);
  CHECK(q.wake_one());
  ioc.run();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::pair{1, error_code{asio::error::operation_aborted}});
  CHECK(seen[1] == std::pair{2, error_code{}});
}

TEST_CASE("add_unless and try_take serve the caller at once only while nobody waits") {
  asio::io_context ioc;
  waiter_queue q;
  std::vector<std::pair<int, error_code>> seen;
  int free = 1;
  auto take = [&] { return free > 0 ? (--free, true) : false; };
  CHECK_FALSE(q.add_unless(take, make_completion<>(record{&seen, 1}, ioc.get_executor())));
  CHECK(q.add_unless(take, make_completion<>(record{&seen, 2}, ioc.get_executor())));
  free = 1;  // a unit comes back while 2 waits: it is not taken past the waiter
  CHECK_FALSE(q.try_take(take));
  CHECK(q.add_unless(take, make_completion<>(record{&seen, 3}, ioc.get_executor())));
  CHECK(q.size() == 2);
  CHECK(free == 1);
}

TEST_CASE("destroying the queue ends every pending wait with operation_aborted") {
  asio::io_context ioc;
  std::vector<std::pair<int, error_code>> seen;
  {
    waiter_queue q;
    q.add(make_completion<>(record{&seen, 1}, ioc.get_executor()));
    q.add(make_completion<>(record{&seen, 2}, ioc.get_executor()));
  }
  ioc.run();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].second == asio::error::operation_aborted);
  CHECK(seen[1].second == asio::error::operation_aborted);
}
