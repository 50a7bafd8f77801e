// Runs an internal coroutine as the body of a public operation: its result
// completes the operation's completion, and the operation's end (a
// cancellation, most often) cancels the coroutine's current step, so that
// nothing is left running for a caller who stopped waiting.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <memory>
#include <utility>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/detail/exception_to_error.hpp"

namespace nats_asio::detail {

// The link from an operation to the coroutine doing its work.
class inner_cancellation {
 public:
  boost::asio::cancellation_slot slot() { return signal_.slot(); }
  // On the coroutine's executor: cancels its current step unless it ended.
  void cancel() {
    if (!finished_.load(std::memory_order_acquire))
      signal_.emit(boost::asio::cancellation_type::terminal);
  }
  void finished() { finished_.store(true, std::memory_order_release); }

 private:
  boost::asio::cancellation_signal signal_;
  std::atomic<bool> finished_{false};
};

// Links an inner operation to `op`: when `op` ends first (cancelled), the
// inner operation, whose handler is bound to the link's slot(), is
// cancelled with terminal on `ex`. The inner handler calls finished() first.
inline std::shared_ptr<inner_cancellation> link_inner(boost::asio::any_io_executor ex,
                                                      operation_state& op) {
  auto link = std::make_shared<inner_cancellation>();
  op.on_finish([ex = std::move(ex), link] { boost::asio::post(ex, [link] { link->cancel(); }); });
  return link;
}

// Runs `work` on `ex` and hands its outcome to `finish`, which finishes
// `op`. If `op` ends first (cancelled), the step the coroutine awaits is
// cancelled with terminal and its late result is dropped.
template <typename Result, typename Finish>
void spawn_linked(boost::asio::any_io_executor ex, boost::asio::awaitable<Result> work,
                  operation_state& op, Finish finish) {
  auto link = link_inner(ex, op);
  boost::asio::co_spawn(
      ex, std::move(work),
      boost::asio::bind_cancellation_slot(
          link->slot(), [link, finish = std::move(finish)](std::exception_ptr e, Result r) mutable {
            link->finished();
            finish(e, std::move(r));
          }));
}

// Runs an internal coroutine producing (error_code, T) and finishes `c` with
// it; an exception it lets out is mapped by exception_to_error.
template <typename T>
void spawn_into(boost::asio::any_io_executor ex,
                boost::asio::awaitable<std::pair<error_code, T>> work, completion_ptr<T> c) {
  spawn_linked(ex, std::move(work), *c, [c, ex](std::exception_ptr e, std::pair<error_code, T> r) {
    if (e)
      c->fail(exception_to_error(e, ex));
    else
      c->complete(r.first, std::move(r.second));
  });
}

inline void spawn_into(boost::asio::any_io_executor ex, boost::asio::awaitable<error_code> work,
                       completion_ptr<> c) {
  spawn_linked(ex, std::move(work), *c, [c, ex](std::exception_ptr e, error_code ec) {
    c->complete(e ? exception_to_error(e, ex) : ec);
  });
}

}  // namespace nats_asio::detail
