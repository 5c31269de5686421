// Test helpers that reach a store's SQLite file from another connection, as a
// second process or an operator would.
#ifndef SWITCHBOARD_TESTS_SERVER_SQLITE_TEST_UTIL_H_
#define SWITCHBOARD_TESTS_SERVER_SQLITE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

namespace switchboard {
namespace server {

// Holds the write lock of the database at `path` while it lives.
class WriteLock {
 public:
  explicit WriteLock(const std::filesystem::path& path) {
    sqlite3_open(path.string().c_str(), &db_);
    sqlite3_busy_timeout(db_, 10000);  // the store's checkpointer may hold a short lock
    ok_ = sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~WriteLock() {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;
  bool ok() const { return ok_; }

 private:
  sqlite3* db_ = nullptr;
  bool ok_ = false;
};

// Runs `sql` (a table, a trigger, ...) on the database at `path`.
inline void CreateTable(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.string().c_str(), &db);
  sqlite3_busy_timeout(db, 10000);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_TESTS_SERVER_SQLITE_TEST_UTIL_H_
