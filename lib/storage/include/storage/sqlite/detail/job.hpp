// Work queued for a database thread, type-erased.
#pragma once

#include <boost/system/error_code.hpp>
#include <memory>

namespace storage::sqlite {
class connection;
}

namespace storage::sqlite::detail {

class job {
 public:
  virtual ~job() = default;
  // On a database thread, with the connection that thread may use (null
  // when it has none: the database is not open).
  virtual void run(connection* c) = 0;
  // Instead of run(): the database closed, or never opened.
  virtual void abandon(boost::system::error_code ec) = 0;
};

using job_ptr = std::unique_ptr<job>;

}  // namespace storage::sqlite::detail
