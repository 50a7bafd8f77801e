// detail::deadline_queue: the earliest deadline of the requests still
// pending, across timeouts, with finished requests pruned.
#include "nats_asio/detail/deadline_queue.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace std::chrono_literals;
using nats_asio::detail::deadline_queue;
using clock_type = deadline_queue::clock;

namespace {

struct fixture {
  deadline_queue q;
  std::set<std::uint64_t> pending;
  clock_type::time_point t0 = clock_type::now();

  auto is_pending() {
    return [this](std::uint64_t t) { return pending.contains(t); };
  }
  void add(std::uint64_t token, std::chrono::milliseconds timeout, std::chrono::milliseconds at) {
    pending.insert(token);
    q.add(timeout, t0 + at + timeout, token, is_pending());
  }
};

}  // namespace

TEST_CASE("the earliest deadline is found across timeouts, whatever the order of adding") {
  fixture f;
  f.add(1, 600ms, 0ms);
  f.add(2, 100ms, 1ms);
  f.add(3, 300ms, 2ms);
  CHECK(f.q.earliest(f.is_pending()) == f.t0 + 101ms);
  f.pending.erase(2);  // answered
  CHECK(f.q.earliest(f.is_pending()) == f.t0 + 302ms);
  f.pending.clear();
  CHECK(f.q.earliest(f.is_pending()) == clock_type::time_point::max());
  CHECK(f.q.size() == 0);
}

TEST_CASE("pop_due expires exactly the pending requests whose deadline has come") {
  fixture f;
  f.add(1, 100ms, 0ms);
  f.add(2, 100ms, 10ms);
  f.add(3, 100ms, 20ms);
  f.add(4, 50ms, 0ms);
  f.pending.erase(1);  // answered before its deadline: not expired
  std::set<std::uint64_t> expired;
  f.q.pop_due(f.t0 + 110ms, f.is_pending(), [&](std::uint64_t t) {
    expired.insert(t);
    f.pending.erase(t);
  });
  CHECK(expired == std::set<std::uint64_t>{2, 4});
  CHECK(f.q.earliest(f.is_pending()) == f.t0 + 120ms);
}

TEST_CASE("requests answered in order are pruned as new ones come: the queue stays short") {
  fixture f;
  for (std::uint64_t token = 1; token <= 10'000; ++token) {
    f.add(token, 5000ms, std::chrono::milliseconds(token));
    if (token > 3) f.pending.erase(token - 3);  // three in flight at any time
  }
  CHECK(f.q.size() <= 4);
  CHECK(f.q.earliest(f.is_pending()) == f.t0 + 5000ms + 9998ms);
}
