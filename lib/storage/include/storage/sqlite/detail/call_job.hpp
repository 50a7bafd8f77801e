// A callable run on a database thread whose result completes an Asio
// handler, following Asio's c_callback_wrapper example: a work guard keeps
// the handler's executor alive while the job waits, the result (or the
// error with the database's text for diagnostics) is moved out, and the
// handler is dispatched to its executor: from a database thread, which is
// never inside that executor, this queues it there.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "storage/diagnostics.hpp"
#include "storage/sqlite/detail/job.hpp"
#include "storage/sqlite/error.hpp"

namespace storage::sqlite::detail {

// The completion signature of an operation whose callable returns R.
template <class R>
struct signature_of {
  using type = void(boost::system::error_code, R);
};
template <>
struct signature_of<void> {
  using type = void(boost::system::error_code);
};

// What an exception thrown by the callable means for its handler. A bug
// (anything but a system_error or bad_alloc) must not pass for an error the
// caller could handle: it is rethrown from a handler queued on `ex`, so it
// leaves io_context::run() as a handler's own exception would.
template <class Executor>
boost::system::error_code exception_to_error(std::exception_ptr e, std::string& text,
                                             const Executor& ex) {
  try {
    std::rethrow_exception(e);
  } catch (const database_error& failure) {
    text = failure.text();
    return failure.code();
  } catch (const boost::system::system_error& failure) {
    text = failure.what();
    return failure.code();
  } catch (const std::bad_alloc&) {
    return make_error_code(boost::system::errc::not_enough_memory);
  } catch (...) {
    boost::asio::dispatch(ex, [e] { std::rethrow_exception(e); });
    return make_error_code(boost::system::errc::state_not_recoverable);
  }
}

// Fn: R(connection*), where the pointer is null when there is no
// connection to give (the database is not open).
template <class Fn, class Handler, class R>
class call_job final : public job {
  using value_type = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  using executor_type = boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;

 public:
  call_job(Fn fn, Handler handler, diagnostics* diag, const boost::asio::any_io_executor& io_ex)
      : fn_(std::move(fn)),
        handler_(std::move(handler)),
        work_(boost::asio::get_associated_executor(handler_, io_ex)),
        diag_(diag) {}

  void run(connection* c) override {
    value_type value{};
    boost::system::error_code ec;
    std::string text;
    try {
      if constexpr (std::is_void_v<R>) {
        fn_(c);
      } else {
        value = fn_(c);
      }
    } catch (...) {
      ec = exception_to_error(std::current_exception(), text, work_.get_executor());
      value = value_type{};
    }
    complete(ec, std::move(text), std::move(value));
  }

  void abandon(boost::system::error_code ec) override { complete(ec, {}, value_type{}); }

 private:
  void complete(boost::system::error_code ec, std::string text, value_type value) {
    // Held until dispatch() has returned: the queued handler then keeps the
    // executor's context running, and not before.
    auto work = std::move(work_);
    boost::asio::dispatch(work.get_executor(),
                          [handler = std::move(handler_), diag = diag_, ec, text = std::move(text),
                           value = std::move(value)]() mutable {
                            if (diag) {
                              if (ec)
                                diag->assign(text.empty() ? ec.message() : std::move(text));
                              else
                                diag->clear();
                            }
                            if constexpr (std::is_void_v<R>) {
                              std::move(handler)(ec);
                            } else {
                              std::move(handler)(ec, std::move(value));
                            }
                          });
  }

  Fn fn_;
  Handler handler_;
  boost::asio::executor_work_guard<executor_type> work_;
  diagnostics* diag_;
};

template <class R, class Fn, class Handler>
job_ptr make_call_job(Fn fn, Handler handler, diagnostics* diag,
                      const boost::asio::any_io_executor& io_ex) {
  return std::make_unique<call_job<Fn, std::decay_t<Handler>, R>>(std::move(fn), std::move(handler),
                                                                  diag, io_ex);
}

}  // namespace storage::sqlite::detail
