#include "storage/sqlite/detail/job_queue.hpp"

namespace storage::sqlite::detail {

job_ptr job_queue::push(job_ptr j) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return j;
    jobs_.push_back(std::move(j));
  }
  ready_.notify_one();
  return nullptr;
}

job_ptr job_queue::pop() {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return closed_ || !jobs_.empty(); });
  if (jobs_.empty()) return nullptr;
  auto j = std::move(jobs_.front());
  jobs_.pop_front();
  return j;
}

void job_queue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

}  // namespace storage::sqlite::detail
