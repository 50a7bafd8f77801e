// The jobs waiting for a database thread. Closing lets the queued jobs run
// and refuses new ones.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

#include "storage/sqlite/detail/job.hpp"

namespace storage::sqlite::detail {

class job_queue {
 public:
  // Hands the job back when the queue is closed.
  job_ptr push(job_ptr j);
  // Waits for a job; nullptr once the queue is closed and empty.
  job_ptr pop();
  void close();

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<job_ptr> jobs_;
  bool closed_ = false;
};

}  // namespace storage::sqlite::detail
