// A type-erased, one-shot completion that any thread may finish.
//
// nats.c calls back on its own threads; an operation's handler must run on its
// associated executor. `completion` bridges the two: the first `complete()`
// wins (later ones, e.g. a reply racing a timeout, are ignored), and the
// handler is always posted to its executor, never run inline. Cancellation
// through the handler's cancellation slot and an optional timeout both end in
// the same `complete()`.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include "nats_asio/detail/small_function.hpp"
#include "nats_asio/error.hpp"

namespace nats_asio::detail {

// What every completion shares, whatever its results: whether it finished,
// whether it may still be cancelled, and the hooks run when it finishes.
// Composed operations take it to record their progress (commit()).
class operation_state {
 public:
  virtual ~operation_state() = default;

  // Wins the right to finish (without running the on_finish hooks); false
  // if the operation had already finished.
  bool claim() noexcept { return !done_.exchange(true, std::memory_order_acq_rel); }
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }

  // The operation has sent what changes state on the server: from now on a
  // `total` cancellation, which promises that nothing happened, is ignored.
  void commit() noexcept { committed_.store(true, std::memory_order_release); }
  bool committed() const noexcept { return committed_.load(std::memory_order_acquire); }
  // For operations that cannot be cancelled at all (close, drain).
  void ignore_cancellation() noexcept { cancellable_.store(false, std::memory_order_release); }

  // Whether a cancellation of `type` ends the operation, as Asio's own
  // operations decide: terminal and partial always (what may still happen
  // on the server is the operation's to document), total only while nothing
  // has been committed.
  bool honours(boost::asio::cancellation_type type) const noexcept {
    using boost::asio::cancellation_type;
    if (!cancellable_.load(std::memory_order_acquire)) return false;
    if ((type & (cancellation_type::terminal | cancellation_type::partial)) !=
        cancellation_type::none)
      return true;
    return (type & cancellation_type::total) != cancellation_type::none && !committed();
  }

  // Runs once when the operation finishes, however it finishes (reply,
  // timeout, cancellation), unless it was finished with claim(): the place
  // to unregister it from a map or queue, or to cancel its inner steps.
  // Hooks added run in order.
  void on_finish(small_function hook) {
    std::lock_guard lock(mutex_);
    for (auto& slot : first_hooks_) {
      if (!slot) {
        slot = std::move(hook);
        return;
      }
    }
    more_hooks_.push_back(std::move(hook));
  }

 protected:
  void run_finish_hooks() {
    std::array<small_function, 2> first;
    std::vector<small_function> more;
    {
      std::lock_guard lock(mutex_);
      first.swap(first_hooks_);
      more.swap(more_hooks_);
    }
    for (auto& hook : first)
      if (hook) hook();
    for (auto& hook : more) hook();
  }

 private:
  std::atomic<bool> done_{false};
  std::atomic<bool> committed_{false};
  std::atomic<bool> cancellable_{true};
  std::mutex mutex_;
  // Most operations have one or two hooks: kept inline, no allocation.
  std::array<small_function, 2> first_hooks_;
  std::vector<small_function> more_hooks_;
};

// Completes with `void(error_code, Results...)`.
template <typename... Results>
class completion : public operation_state,
                   public std::enable_shared_from_this<completion<Results...>> {
 public:
  // Finishes the operation once; returns false if it had already finished.
  bool complete(error_code ec, Results... results) {
    if (!this->claim()) return false;
    this->run_finish_hooks();
    deliver(ec, std::move(results)...);
    return true;
  }

  // Completes with `ec` and default-constructed results.
  bool fail(error_code ec) { return complete(ec, Results{}...); }

  // Two-step completion for owners that must decide under their own lock:
  // `claim()` wins the right to finish (without running the on_finish hooks),
  // then `finish()` delivers the result outside that lock.
  void finish(error_code ec, Results... results) { deliver(ec, std::move(results)...); }

  // Fails the operation with errc::timeout after `d` unless it finished first.
  // Call from the handler's executor (normally during initiation).
  void expire_after(std::chrono::steady_clock::duration d) {
    timer_.emplace(executor(), d);
    timer_->async_wait([weak = this->weak_from_this()](error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->fail(make_error_code(errc::timeout));
    });
  }

  // Runs on the handler's executor right before the handler: the place to
  // copy results into objects the caller owns (e.g. diagnostics).
  void before_handler(std::function<void()> fn) { before_handler_ = std::move(fn); }

  virtual boost::asio::any_io_executor executor() const = 0;

 protected:
  virtual void deliver(error_code ec, Results... results) = 0;

  bool has_timer() const noexcept { return timer_.has_value(); }
  void run_before_handler() {
    if (before_handler_) std::exchange(before_handler_, nullptr)();
  }

  // Called on the handler's executor: the timer is destroyed there, because
  // the last reference to a completion may be dropped on a nats.c thread.
  void stop_timer() { timer_.reset(); }

 private:
  std::function<void()> before_handler_;
  std::optional<boost::asio::steady_timer> timer_;
};

template <typename... Results>
using completion_ptr = std::shared_ptr<completion<Results...>>;

template <typename Handler, typename IoExecutor, typename... Results>
class handler_completion final : public completion<Results...> {
  using executor_type = boost::asio::associated_executor_t<Handler, IoExecutor>;

 public:
  handler_completion(Handler handler, const IoExecutor& io_ex)
      : handler_(std::move(handler)),
        work_(boost::asio::get_associated_executor(handler_, io_ex)) {}

  boost::asio::any_io_executor executor() const override { return work_.get_executor(); }

  // Connects the handler's cancellation slot: a cancellation the operation
  // honours (operation_state::honours) ends it with operation_aborted.
  void bind_cancellation() {
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (!slot.is_connected()) return;
    slot.assign([weak = this->weak_from_this()](boost::asio::cancellation_type type) {
      auto self = weak.lock();
      if (self && self->honours(type)) self->fail(boost::asio::error::operation_aborted);
    });
  }

 private:
  void deliver(error_code ec, Results... results) override {
    auto self = std::static_pointer_cast<handler_completion>(this->shared_from_this());
    auto ex = work_.get_executor();
    // Held until post() has returned: otherwise the handler could run, the
    // io_context run out of work and be destroyed while this (possibly
    // foreign) thread is still inside post().
    auto posting = work_;
    boost::asio::post(ex, [self = std::move(self),
                           result = std::make_tuple(ec, std::move(results)...)]() mutable {
      self->stop_timer();
      self->run_before_handler();
      auto slot = boost::asio::get_associated_cancellation_slot(self->handler_);
      if (slot.is_connected()) slot.clear();
      auto handler = std::move(self->handler_);
      auto work = std::move(self->work_);
      // Released before the handler runs, so that an operation it starts may
      // reuse the memory (unless a late reply or timer still holds it).
      self.reset();
      std::apply(std::move(handler), std::move(result));
    });
    posting.reset();
  }

  Handler handler_;
  boost::asio::executor_work_guard<executor_type> work_;
};

// Wraps an Asio completion handler; call from the operation's initiation.
// The state is allocated with the handler's associated allocator.
template <typename... Results, typename Handler, typename IoExecutor>
completion_ptr<Results...> make_completion(Handler&& handler, const IoExecutor& io_ex) {
  using impl = handler_completion<std::decay_t<Handler>, IoExecutor, Results...>;
  auto alloc = boost::asio::get_associated_allocator(handler);
  auto c = std::allocate_shared<impl>(alloc, std::forward<Handler>(handler), io_ex);
  c->bind_cancellation();
  return c;
}

}  // namespace nats_asio::detail

namespace nats_asio::detail {

// An internal continuation: runs `fn` on whichever thread completes it
// (often a nats.c thread), without a post. `fn` must be thread-safe and
// must not call user code; timeouts still use `ex`.
template <typename Fn, typename... Results>
class inline_completion final : public completion<Results...> {
 public:
  inline_completion(boost::asio::any_io_executor ex, Fn fn)
      : executor_(std::move(ex)), fn_(std::move(fn)) {}
  boost::asio::any_io_executor executor() const override { return executor_; }

 private:
  void deliver(error_code ec, Results... results) override {
    if (this->has_timer() && ec != errc::timeout) {
      // The timer belongs to the executor; destroy it there (see
      // handler_completion::deliver for why the work guard outlives post()).
      auto posting = boost::asio::make_work_guard(executor_);
      boost::asio::post(executor_, [self = this->shared_from_this()] {
        static_cast<inline_completion*>(self.get())->stop_timer();
      });
      posting.reset();
    }
    auto fn = std::move(fn_);
    fn(ec, std::move(results)...);
  }

  boost::asio::any_io_executor executor_;
  Fn fn_;
};

template <typename... Results, typename Fn>
completion_ptr<Results...> make_inline_completion(boost::asio::any_io_executor ex, Fn fn) {
  return std::make_shared<inline_completion<Fn, Results...>>(std::move(ex), std::move(fn));
}

}  // namespace nats_asio::detail
