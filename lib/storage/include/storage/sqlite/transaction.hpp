// A transaction for the length of a scope: rolled back unless committed.
#pragma once

namespace storage::sqlite {

class connection;

class transaction {
 public:
  enum class kind {
    deferred,   // takes locks as statements need them (reads)
    immediate,  // takes the write lock at once, so it never fails half-way with SQLITE_BUSY
  };

  explicit transaction(connection& c, kind k = kind::immediate);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  void commit();

 private:
  connection& c_;
  bool open_ = true;
};

}  // namespace storage::sqlite
