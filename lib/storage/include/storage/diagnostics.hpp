// The database's own text for the last failure of an operation, beside its
// error_code (as Boost.MySQL's diagnostics): what a one-line message shows.
#pragma once

#include <string>

namespace storage {

class diagnostics {
 public:
  const std::string& message() const noexcept { return message_; }
  void assign(std::string message) { message_ = std::move(message); }
  void clear() noexcept { message_.clear(); }

 private:
  std::string message_;
};

}  // namespace storage
