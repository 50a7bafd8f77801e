// The publish buffer's rules, without a server: room and its order, the
// pause and resume, retries, giving up and the counts.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "iot/publish_backlog.hpp"

using iot::publish_backlog;
using admission = iot::publish_backlog::admission;
using namespace std::chrono_literals;

TEST_CASE("measurements go while there is room; the first loop that must wait pauses measuring") {
  publish_backlog b(2);
  CHECK(b.admit() == admission::go);
  b.handed_over();
  CHECK(b.admit() == admission::go);
  b.handed_over();
  CHECK(b.waiting() == 2);
  CHECK(b.admit() == admission::wait_and_pause);
  CHECK(b.paused());
  CHECK(b.admit() == admission::wait);  // paused already: logged once
  CHECK(b.in_line() == 2);
}

TEST_CASE("each freed place wakes one loop, first come first served, and is held for it") {
  publish_backlog b(1);
  CHECK(b.admit() == admission::go);
  b.handed_over();
  CHECK(b.admit() == admission::wait_and_pause);  // loop A
  CHECK(b.admit() == admission::wait);            // loop B
  CHECK(b.settled(true));                         // wake A; the place is A's
  CHECK(b.in_line() == 1);
  // A newcomer does not take the held place, nor overtake B.
  CHECK(b.admit() == admission::wait);
  CHECK(b.in_line() == 2);
  CHECK_FALSE(b.take_held_place());  // A goes; others still in line: still paused
  b.handed_over();
  CHECK(b.paused());
  CHECK(b.settled(true));  // wake B
  CHECK_FALSE(b.take_held_place());
  b.handed_over();
  CHECK(b.settled(true));      // wake the newcomer, the last in line
  CHECK(b.take_held_place());  // measuring resumes
  CHECK_FALSE(b.paused());
  CHECK(b.in_line() == 0);
}

TEST_CASE("a settle that leaves no room wakes nobody") {
  publish_backlog b(1);
  b.handed_over();
  b.handed_over();  // a correction beyond the capacity
  CHECK(b.admit() == admission::wait_and_pause);
  CHECK_FALSE(b.settled(true));  // 1 still waits: no room yet
  CHECK(b.settled(false));       // now there is
  CHECK(b.acknowledged() == 1);
}

TEST_CASE("a capacity of 0 is taken as 1") {
  publish_backlog b(0);
  CHECK(b.admit() == admission::go);
  b.handed_over();
  CHECK(b.admit() == admission::wait_and_pause);
}

TEST_CASE("once admitting stops, nobody waits and settles wake nobody") {
  publish_backlog b(1);
  b.handed_over();
  CHECK(b.admit() == admission::wait_and_pause);
  b.stop_admitting();
  CHECK(b.admit() == admission::go);
  CHECK_FALSE(b.settled(true));
}

TEST_CASE("retries wait 250 ms, doubling up to 2 s") {
  auto p = publish_backlog::retry_pause(0ms);
  CHECK(p == 250ms);
  std::vector<std::chrono::milliseconds> pauses{p};
  for (int i = 0; i < 5; ++i) pauses.push_back(p = publish_backlog::retry_pause(p));
  CHECK(pauses ==
        std::vector<std::chrono::milliseconds>{250ms, 500ms, 1000ms, 2000ms, 2000ms, 2000ms});
}

TEST_CASE("a run of failures is reported once at its start and once at its end") {
  publish_backlog b(4);
  CHECK_FALSE(b.publish_succeeded());
  CHECK(b.publish_failed());
  CHECK_FALSE(b.publish_failed());
  CHECK_FALSE(b.publish_failed());
  CHECK(b.publish_succeeded());
  CHECK_FALSE(b.publish_succeeded());
  CHECK(b.publish_failed());
}

TEST_CASE("at the end of the grace, what still waits is given up and counted by message id") {
  publish_backlog idle(4);
  CHECK_FALSE(idle.give_up_rest());
  CHECK_FALSE(idle.giving_up());

  publish_backlog b(4);
  b.handed_over();
  b.handed_over();
  b.settled(true);
  CHECK(b.give_up_rest());
  CHECK(b.giving_up());
  b.given_up("s-1:42");
  b.settled(false);
  CHECK(b.waiting() == 0);
  CHECK(b.acknowledged() == 1);
  CHECK(b.given_up() == std::vector<std::string>{"s-1:42"});
}
