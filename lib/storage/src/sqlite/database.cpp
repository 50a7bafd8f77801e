#include "storage/sqlite/database.hpp"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "storage/sqlite/detail/job_queue.hpp"
#include "storage/sqlite/error.hpp"

namespace storage::sqlite {
namespace detail {

// What the database's threads share; each thread holds it, so that it
// outlives a database destroyed from one of them.
class database_core {
 public:
  database_core(database_options options, std::size_t threads)
      : options_(std::move(options)), running_(threads) {}

  job_queue writes, reads;

  void open(const std::filesystem::path& path) {
    if (writer_) {
      throw database_error(make_sqlite_error(SQLITE_MISUSE), "the database is open already");
    }
    auto writer = std::make_unique<connection>(path, connection::mode::read_write, options_.writer);
    {
      auto mode = writer->prepare("PRAGMA journal_mode = WAL");
      if (!mode->step() || mode->column_text(0) != "wal") {
        throw database_error(make_sqlite_error(SQLITE_ERROR),
                             "cannot switch database " + path.string() + " to WAL mode");
      }
    }
    const bool own_thread = options_.checkpoint_interval.count() > 0;
    writer->exec("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = " +
                 std::to_string(own_thread ? 0 : options_.wal_autocheckpoint_pages));
    std::vector<std::unique_ptr<connection>> readers;
    for (std::size_t i = 0; i < options_.readers; ++i) {
      readers.push_back(
          std::make_unique<connection>(path, connection::mode::read_only, options_.reader));
    }
    std::unique_ptr<connection> checkpointer;
    if (own_thread) {
      checkpointer =
          std::make_unique<connection>(path, connection::mode::read_write, connection_options{});
    }
    writer_ = std::move(writer);
    std::lock_guard lock(mutex_);
    idle_readers_ = std::move(readers);
    checkpointer_ = std::move(checkpointer);
  }

  void write_loop() {
    while (auto j = writes.pop()) j->run(writer_.get());
    thread_exited();
  }

  // The checkpoint thread (database_options::checkpoint_interval).
  void checkpoint_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.checkpoint_interval);
      if (stopping_ || !checkpointer_) continue;
      auto* c = checkpointer_.get();  // destroyed only once this thread has exited
      lock.unlock();
      checkpoint(*c);
      lock.lock();
    }
    lock.unlock();
    thread_exited();
  }

  void stop_checkpoints() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
  }

  void read_loop() {
    while (auto j = reads.pop()) {
      auto c = lease();
      j->run(c.get());
      give_back(std::move(c));
    }
    thread_exited();
  }

  // `done` runs once every thread has left its loop and every connection is closed.
  void when_closed(job_ptr done) {
    {
      std::lock_guard lock(mutex_);
      if (!closed_) {
        waiting_close_.push_back(std::move(done));
        return;
      }
    }
    done->run(nullptr);
  }

 private:
  std::unique_ptr<connection> lease() {
    std::lock_guard lock(mutex_);
    if (idle_readers_.empty()) return nullptr;  // not open (as many readers as threads)
    auto c = std::move(idle_readers_.back());
    idle_readers_.pop_back();
    return c;
  }

  void give_back(std::unique_ptr<connection> c) {
    if (!c) return;
    std::lock_guard lock(mutex_);
    idle_readers_.push_back(std::move(c));
  }

  // Copies what the WAL holds without waiting for the writer; empties the
  // WAL, waiting for the writer, once it has grown past the limit. A busy
  // or failing checkpoint is tried again the next time.
  void checkpoint(connection& c) {
    try {
      auto passive = c.prepare("PRAGMA wal_checkpoint(PASSIVE)");
      if (passive->step() && passive->column_int64(1) > options_.wal_autocheckpoint_pages) {
        passive->reset();
        c.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      }
    } catch (const database_error&) {
    }
  }

  void thread_exited() {
    if (running_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // The last thread: nobody uses a connection any more.
    std::vector<job_ptr> waiting;
    {
      std::lock_guard lock(mutex_);
      idle_readers_.clear();
      checkpointer_.reset();
    }
    writer_.reset();  // last: closing the last connection checkpoints the WAL
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      waiting.swap(waiting_close_);
    }
    for (auto& j : waiting) j->run(nullptr);
  }

  database_options options_;
  std::unique_ptr<connection> writer_;  // used by the writer thread only
  std::atomic<std::size_t> running_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<connection>> idle_readers_;
  std::unique_ptr<connection> checkpointer_;  // used by the checkpoint thread only
  std::condition_variable wake_;              // the checkpoint thread's, with mutex_
  bool stopping_ = false;
  bool closed_ = false;
  std::vector<job_ptr> waiting_close_;
};

}  // namespace detail

database::database(executor_type ex, database_options options) : executor_(std::move(ex)) {
  if (options.readers == 0) options.readers = 1;
  const auto readers = options.readers;
  const bool checkpoints = options.checkpoint_interval.count() > 0;
  core_ = std::make_shared<detail::database_core>(std::move(options),
                                                  readers + 1 + (checkpoints ? 1 : 0));
  threads_.emplace_back([core = core_] { core->write_loop(); });
  for (std::size_t i = 0; i < readers; ++i) {
    threads_.emplace_back([core = core_] { core->read_loop(); });
  }
  if (checkpoints) threads_.emplace_back([core = core_] { core->checkpoint_loop(); });
}

database::~database() {
  core_->writes.close();
  core_->reads.close();
  core_->stop_checkpoints();
  for (auto& t : threads_) {
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // destroyed by its own callable: the thread holds the core
    } else {
      t.join();
    }
  }
}

std::function<void(connection*)> database::open_callable(std::filesystem::path path) {
  return [core = core_, path = std::move(path)](connection*) { core->open(path); };
}

void database::push_write(detail::job_ptr j) {
  if (auto refused = core_->writes.push(std::move(j))) refused->abandon(errc::closed);
}

void database::push_read(detail::job_ptr j) {
  if (auto refused = core_->reads.push(std::move(j))) refused->abandon(errc::closed);
}

void database::close(detail::job_ptr done) {
  core_->writes.close();
  core_->reads.close();
  core_->stop_checkpoints();
  core_->when_closed(std::move(done));
}

}  // namespace storage::sqlite
