// SqliteStore against a real SQLite file: durability answers, group commit,
// exactly-once own-database rows, the outbox life cycle.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_test_util.h"
#include "store.h"

namespace switchboard {
namespace server {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("switchboard-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    SqliteOptions options;
    options.path = (dir_ / "test.db").string();
    options.busy_timeout_ms = 200;
    options.max_pending_events = max_pending_events_;
    options.wal_idle_bytes = wal_idle_bytes_;
    auto opened = OpenSqliteStore(options);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened.value());
  }
  int64_t CountRows(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2((dir_ / "test.db").string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      n = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }

  fs::path dir_;
  size_t max_pending_events_ = 1000;
  int64_t wal_idle_bytes_ = int64_t{64} << 20;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, AcceptsOnceThenReportsDuplicate) {
  auto first = store_->Accept("EV1", "message.received", "{}", 1000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, AcceptOutcome::kAccepted);
  auto second = store_->Accept("EV1", "message.received", "{}", 2000);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, AcceptOutcome::kDuplicate);
  auto pending = store_->PendingEvents(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].received_ms, 1000);
}

// Two servers on one database would both claim its due actions (replies sent
// twice): a second store on the same file is refused while the first is open.
//
// The refusal must not touch the database file: closing any descriptor of it
// drops every fcntl lock the process holds there, SQLite's own included (a
// connection in another process could then take the WAL away).
bool AnotherProcessSeesSqlitesSharedLock(const std::string& path) {
  pid_t child = fork();
  if (child == 0) {
    int fd = open(path.c_str(), O_RDWR);
    struct flock probe = {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 0x40000000 + 2;  // SQLite's SHARED lock range
    probe.l_len = 510;
    _exit(fd >= 0 && fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(SqliteStoreTest, ASecondStoreOnTheSameFileIsRefused) {
  SqliteOptions options;
  options.path = (dir_ / "test.db").string();
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
  ASSERT_TRUE(AnotherProcessSeesSqlitesSharedLock(options.path));
  auto second = OpenSqliteStore(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another switchboard server"),
            std::string::npos)
      << second.status().message();
  EXPECT_TRUE(AnotherProcessSeesSqlitesSharedLock(options.path))
      << "the refused store dropped the open store's SQLite locks";
  store_.reset();
  auto after = OpenSqliteStore(options);
  EXPECT_TRUE(after.ok()) << after.status().message();
}

TEST_F(SqliteStoreTest, AcceptedEventsSurviveReopen) {
  ASSERT_TRUE(store_->Accept("EV1", "t", "{\"id\":\"EV1\"}", 1).ok());
  Reopen();
  auto event = store_->GetEvent("EV1");
  ASSERT_TRUE(event.ok());
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ((*event)->body, "{\"id\":\"EV1\"}");
}

TEST_F(SqliteStoreTest, ConcurrentAcceptsAllCommitAndDuplicatesAreDetected) {
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};
  std::atomic<int> duplicates{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        // Threads overlap on half of the ids.
        std::string id = "EV" + std::to_string((t % 2) * 1000 + (t / 2) * 100 + i);
        auto r = store_->Accept(id, "t", "{}", i);
        ASSERT_TRUE(r.ok()) << r.status().message();
        (*r == AcceptOutcome::kAccepted ? accepted : duplicates)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted + duplicates, 800);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events"), accepted.load());
}

TEST_F(SqliteStoreTest, CommitProcessedWritesOutboxThrottleAndOwnRowsTogether) {
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
  ProcessedEvent p;
  p.event_id = "EV1";
  p.trace = "{\"fired\":[]}";
  p.processed_ms = 5000;
  StoredAction action;
  action.event_id = "EV1";
  action.rule_id = "r";
  action.type = "http";
  action.params = "{}";
  action.redacted_params = "{}";
  action.status = "pending";
  action.next_attempt_ms = 5000;
  p.actions.push_back(action);
  p.firings.emplace_back("r", "+15555550100");
  p.inserts.push_back({"opt_outs", {{"contact", "+15555550100"}, {"text", "STOP"}}});
  ASSERT_TRUE(store_->CommitProcessed(&p).ok());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status='processed'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions WHERE status='pending'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM opt_outs WHERE contact='+15555550100'"), 1);
  // A later row with a new column extends the table.
  p.inserts = {{"opt_outs", {{"contact", "+1"}, {"line", "PN1"}}}};
  p.actions.clear();
  ASSERT_TRUE(store_->CommitProcessed(&p).ok());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM opt_outs WHERE line='PN1'"), 1);
}

ProcessedEvent ProcessedWithEverything(const std::string& event_id) {
  ProcessedEvent p;
  p.event_id = event_id;
  p.trace = "{\"fired\":[\"r\"]}";
  p.processed_ms = 5000;
  StoredAction send;
  send.event_id = event_id;
  send.rule_id = "r";
  send.type = "http";
  send.params = send.redacted_params = "{}";
  send.status = "pending";
  p.actions.push_back(send);
  StoredAction row = send;
  row.type = "sqlite";
  row.index = 1;
  row.status = "done";
  p.actions.push_back(row);
  p.inserts.push_back({"opt_outs", {{"contact", "+15555550100"}}, /*action=*/1});
  p.firings.emplace_back("r", "+15555550100");
  return p;
}

TEST_F(SqliteStoreTest, FailedCommitLeavesNothingBehind) {
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
  ProcessedEvent p = ProcessedWithEverything("EV1");
  {
    WriteLock lock(dir_ / "test.db");
    ASSERT_TRUE(lock.ok());
    Status s = store_->CommitProcessed(&p);
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.message();
  }
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status='pending'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM sqlite_master WHERE name='opt_outs'"), 0);
}

// The count of pending events, which the overload answer reads, followed the
// rolled-back processing of an event down: the event stayed pending, was
// counted down again when processed later, and the overload answer came late.
TEST_F(SqliteStoreTest, ProcessingThatRollsBackLeavesTheEventCountedAsPending) {
  max_pending_events_ = 1;
  Reopen();
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());  // pending, unprocessed
  CreateTable(dir_ / "test.db",
              "CREATE TRIGGER refuse BEFORE INSERT ON switchboard_actions "
              "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  ProcessedEvent p = ProcessedWithEverything("EV1");
  EXPECT_FALSE(store_->CommitProcessed(&p).ok());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status='pending'"), 1);
  CreateTable(dir_ / "test.db", "DROP TRIGGER refuse");
  // One event waits: at the limit of one, the next webhook is refused.
  auto refused = store_->Accept("EV2", "t", "{}", 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  // Processed, it no longer counts.
  p = ProcessedWithEverything("EV1");
  ASSERT_TRUE(store_->CommitProcessed(&p).ok());
  auto accepted = store_->Accept("EV2", "t", "{}", 2);
  ASSERT_TRUE(accepted.ok()) << accepted.status().message();
  EXPECT_EQ(*accepted, AcceptOutcome::kAccepted);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status='pending'"), 1);
}

// A bad row takes only its own action with it (an issue: one bad row rolled back every
// `sqlite` row of its event and dead-lettered their actions with its error).
TEST_F(SqliteStoreTest, RowThatCannotBeInsertedDeadLettersItsActionAndKeepsTheRest) {
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
  ProcessedEvent p = ProcessedWithEverything("EV1");
  StoredAction row = p.actions[1];
  p.actions.resize(1);
  p.inserts.clear();
  // Good, bad, good: rows into a new table around one into an incompatible one.
  for (const char* table : {"good", "bad", "good"}) {
    row.index = static_cast<int>(p.actions.size());
    p.inserts.push_back({table, {{"a", "1"}}, static_cast<int>(p.actions.size())});
    p.actions.push_back(row);
  }
  // A table that exists with an incompatible schema makes the insert fail.
  CreateTable(dir_ / "test.db",
              "CREATE TABLE bad (id INTEGER PRIMARY KEY, created_at TEXT, "
              "a TEXT NOT NULL CHECK (a = 'x'))");
  Status s = store_->CommitProcessed(&p);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(p.actions[0].status, "pending");
  EXPECT_EQ(p.actions[1].status, "done") << p.actions[1].last_error;
  EXPECT_EQ(p.actions[2].status, "dead");
  EXPECT_NE(p.actions[2].last_error.find("'bad'"), std::string::npos) << p.actions[2].last_error;
  EXPECT_EQ(p.actions[3].status, "done") << p.actions[3].last_error;
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status='processed'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions WHERE type='sqlite' AND "
                      "status='dead' AND last_error LIKE '%bad%'"),
            1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions WHERE type='sqlite' AND "
                      "status='done' AND last_error=''"),
            2);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions WHERE status='pending'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM good"), 2);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM bad"), 0);
}

TEST_F(SqliteStoreTest, AcceptWithProcessingCommitsTheEventProcessedWithEverything) {
  ProcessedEvent p = ProcessedWithEverything("EV1");
  int calls = 0;
  auto process = [&]() -> ProcessedEvent* {
    ++calls;
    return &p;
  };
  int discarded = 0;
  auto discard = [&] { ++discarded; };
  auto first = store_->Accept("EV1", "t", "{\"id\":\"EV1\"}", 1000, process, discard);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*first, AcceptOutcome::kAccepted);
  EXPECT_EQ(calls, 1);
  auto stored = store_->GetEvent("EV1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->status, "processed");
  EXPECT_EQ((*stored)->trace, p.trace);
  EXPECT_EQ((*stored)->body, "{\"id\":\"EV1\"}");
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions WHERE status='pending'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions WHERE status='done'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM opt_outs"), 1);
  auto pending = store_->PendingEvents(10);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  // A redelivery is a duplicate and processes nothing.
  auto second = store_->Accept("EV1", "t", "{}", 2000, process, discard);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, AcceptOutcome::kDuplicate);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM opt_outs"), 1);
  // So is the id of an event stored pending.
  ASSERT_TRUE(store_->Accept("EV2", "t", "{}", 3000).ok());
  auto third = store_->Accept("EV2", "t", "{}", 3000, process, discard);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, AcceptOutcome::kDuplicate);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(discarded, 0) << "what committed (or was a duplicate) is never discarded";
}

TEST_F(SqliteStoreTest, AcceptWithProcessingOnABusyDatabaseStoresNothing) {
  ProcessedEvent p = ProcessedWithEverything("EV1");
  int discarded = 0;
  auto discard = [&] { ++discarded; };
  {
    WriteLock lock(dir_ / "test.db");
    ASSERT_TRUE(lock.ok());
    auto r = store_->Accept("EV1", "t", "{}", 1, [&] { return &p; }, discard);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
    EXPECT_EQ(discarded, 1);
  }
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 0);
  // The webhook's retry is accepted once the lock is gone.
  auto retry = store_->Accept("EV1", "t", "{}", 1, [&] { return &p; }, discard);
  ASSERT_TRUE(retry.ok()) << retry.status().message();
  EXPECT_EQ(*retry, AcceptOutcome::kAccepted);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM opt_outs"), 1);
  EXPECT_EQ(discarded, 1);
}

// Holds the store's writer inside a transaction (the processing of event
// "HOLD") until Release(): the writes queued meanwhile make up the next
// batch, in the order they were queued.
class HeldWriter {
 public:
  explicit HeldWriter(Store* store) {
    thread_ = std::thread([this, store] {
      p_.event_id = "HOLD";
      p_.trace = "{}";
      auto r = store->Accept("HOLD", "t", "{}", 1, [&] {
        held_ = true;
        while (!released_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return &p_;
      }, nullptr);
      EXPECT_TRUE(r.ok()) << r.status().message();
    });
    while (!held_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~HeldWriter() { Release(); }
  void Release() {
    released_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  ProcessedEvent p_;
  std::atomic<bool> held_{false};
  std::atomic<bool> released_{false};
  std::thread thread_;
};

// Accepts `id` on a thread of its own, processed into `p`, recording in
// `seen` (in the order the writer runs them) its processing and its discard.
std::thread AcceptAsync(Store* store, const std::string& id, ProcessedEvent* p,
                        std::vector<std::string>* seen, std::mutex* mu, Status* result) {
  return std::thread([=] {
    auto r = store->Accept(id, "t", "{}", 1, [=] {
      std::lock_guard<std::mutex> lock(*mu);
      seen->push_back("process " + id);
      return p;
    }, [=] {
      std::lock_guard<std::mutex> lock(*mu);
      seen->push_back("discarded " + id);
    });
    *result = r.ok() ? Status::OK() : r.status();
  });
}

// The processor records throttle firings in memory when it evaluates, inside
// the transaction: when that transaction does not commit, it is told before
// the writer runs the next write, so that no later event counts them (an
// issue: it learned only once the failed request's thread saw the error, and
// events evaluated meanwhile were throttled by a firing that was never stored).
TEST_F(SqliteStoreTest, ProcessingThatDoesNotCommitIsReportedDiscardedOnce) {
  CreateTable(dir_ / "test.db",
              "CREATE TRIGGER refuse BEFORE INSERT ON switchboard_actions "
              "WHEN NEW.event_id = 'EV1' BEGIN SELECT RAISE(ABORT, 'injected'); END");
  std::vector<std::string> seen;
  std::mutex mu;
  ProcessedEvent p1 = ProcessedWithEverything("EV1");
  ProcessedEvent p2 = ProcessedWithEverything("EV2");
  Status r1, r2;
  {
    HeldWriter held(store_.get());  // EV1 and EV2 go into one batch, EV1 first
    std::thread t1 = AcceptAsync(store_.get(), "EV1", &p1, &seen, &mu, &r1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::thread t2 = AcceptAsync(store_.get(), "EV2", &p2, &seen, &mu, &r2);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.Release();
    t1.join();
    t2.join();
  }
  EXPECT_FALSE(r1.ok()) << "the trigger refuses EV1's outbox row";
  EXPECT_TRUE(r2.ok()) << r2.message();
  EXPECT_EQ(seen, (std::vector<std::string>{"process EV1", "discarded EV1", "process EV2"}));
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE id != 'HOLD'"), 1);

  // A pending event whose commit fails, in its statements or at BEGIN.
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
  int discarded = 0;
  EXPECT_FALSE(store_->CommitProcessedAsync(&p1, [&] { ++discarded; }).get().ok());
  EXPECT_EQ(discarded, 1);
  CreateTable(dir_ / "test.db", "DROP TRIGGER refuse");
  p1 = ProcessedWithEverything("EV1");
  {
    WriteLock lock(dir_ / "test.db");
    ASSERT_TRUE(lock.ok());
    EXPECT_FALSE(store_->CommitProcessedAsync(&p1, [&] { ++discarded; }).get().ok());
  }
  EXPECT_EQ(discarded, 2);
  p1 = ProcessedWithEverything("EV1");
  EXPECT_TRUE(store_->CommitProcessedAsync(&p1, [&] { ++discarded; }).get().ok());
  EXPECT_EQ(discarded, 2);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 2);
}

// A review: an error that rolls back the whole transaction (a full disk, an
// I/O error, here a trigger's RAISE(ROLLBACK)) took the batch's earlier jobs
// with it while they were answered as stored, and the next job's SAVEPOINT
// opened a transaction that its RELEASE committed while its caller was told
// it failed. Now nothing of the batch is stored, and every job is told so.
TEST_F(SqliteStoreTest, ATransactionRolledBackAsAWholeFailsItsWholeBatch) {
  CreateTable(dir_ / "test.db",
              "CREATE TRIGGER roll_back BEFORE INSERT ON switchboard_events "
              "WHEN NEW.id = 'EVBAD' BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
  std::vector<std::string> seen;
  std::mutex mu;
  ProcessedEvent before = ProcessedWithEverything("EV1");
  ProcessedEvent bad = ProcessedWithEverything("EVBAD");
  ProcessedEvent after = ProcessedWithEverything("EV2");
  Status r_before, r_bad, r_after;
  {
    HeldWriter held(store_.get());
    std::thread t1 = AcceptAsync(store_.get(), "EV1", &before, &seen, &mu, &r_before);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::thread t2 = AcceptAsync(store_.get(), "EVBAD", &bad, &seen, &mu, &r_bad);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::thread t3 = AcceptAsync(store_.get(), "EV2", &after, &seen, &mu, &r_after);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.Release();
    t1.join();
    t2.join();
    t3.join();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"process EV1", "process EVBAD", "discarded EVBAD",
                                            "discarded EV1", "discarded EV2"}));
  EXPECT_FALSE(r_bad.ok());
  EXPECT_EQ(r_before.code(), StatusCode::kUnavailable) << r_before.message();
  EXPECT_EQ(r_after.code(), StatusCode::kUnavailable) << r_after.message();
  EXPECT_NE(r_after.message().find("rolled back with the transaction of another write ("),
            std::string::npos)
      << r_after.message();
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE id != 'HOLD'"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM sqlite_master WHERE name = 'opt_outs'"), 0);
  // Their retries are stored.
  EXPECT_TRUE(store_->Accept("EV1", "t", "{}", 1, [&] { return &before; }, nullptr).ok());
  EXPECT_TRUE(store_->Accept("EV2", "t", "{}", 1, [&] { return &after; }, nullptr).ok());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE id != 'HOLD'"), 2);
}

// A second review: an event whose processing failed (memory ran out) was not
// stored at all, the sender's retries its only copy. It is stored pending,
// acknowledged, for the inbox; what its processing did in memory is taken back.
TEST_F(SqliteStoreTest, AnEventWhoseProcessingFailedIsStoredPending) {
  max_pending_events_ = 1;
  Reopen();
  ProcessedEvent p = ProcessedWithEverything("EV1");
  p.error = Status::Unavailable("out of memory while processing the event");
  int discarded = 0;
  auto r = store_->Accept("EV1", "t", "{}", 1, [&] { return &p; }, [&] {
    ++discarded;
    EXPECT_EQ(p.firings.size(), 1u) << "told before the firings are dropped";
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, AcceptOutcome::kAccepted);
  EXPECT_EQ(discarded, 1);
  EXPECT_TRUE(p.firings.empty());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status = 'pending'"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 0);
  auto pending = store_->PendingEvents(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  // It counts as waiting: at the limit of one, the next webhook is refused.
  auto refused = store_->Accept("EV2", "t", "{}", 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
}

// A second review: the rollback came from a `sqlite` action's row, which the
// store goes on from (its action is committed dead), and each statement after
// it committed on its own: every retry of the event queued its actions again.
TEST_F(SqliteStoreTest, ARowThatRollsBackTheTransactionStoresNothingOfItsEffects) {
  CreateTable(dir_ / "test.db",
              "CREATE TABLE opt_outs (id INTEGER PRIMARY KEY, created_at TEXT, contact TEXT)");
  CreateTable(dir_ / "test.db",
              "CREATE TRIGGER roll_back BEFORE INSERT ON opt_outs "
              "BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
  for (int attempt = 0; attempt < 2; ++attempt) {
    ProcessedEvent p = ProcessedWithEverything("EV1");
    Status s = store_->CommitProcessed(&p);
    // The row's doing, with the row's code: no busy database (kUnavailable),
    // which the inbox would not hold against the event.
    EXPECT_EQ(s.code(), StatusCode::kIoError) << s.message();
    EXPECT_EQ(s.message(),
              "the database rolled back the transaction (inserting into table 'opt_outs': "
              "injected)");
  }
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status = 'pending'"), 1);
  // A new event whose rows do the same is stored pending, in a transaction of
  // its own, and acknowledged: answered 503, its sender would retry it for a
  // day and then give it up. Its effects are not stored, and what it was
  // processed into says why.
  ProcessedEvent fresh = ProcessedWithEverything("EV2");
  int discarded = 0;
  auto accepted = store_->Accept("EV2", "t", "{}", 1, [&] { return &fresh; },
                                 [&] { ++discarded; });
  ASSERT_TRUE(accepted.ok()) << accepted.status().message();
  EXPECT_EQ(*accepted, AcceptOutcome::kAccepted);
  EXPECT_EQ(discarded, 1);
  EXPECT_EQ(fresh.error.message(),
            "the database rolled back the transaction (inserting into table 'opt_outs': "
            "injected)");
  EXPECT_TRUE(fresh.actions.empty());
  EXPECT_TRUE(fresh.firings.empty());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events WHERE status = 'pending'"), 2);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_actions"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_throttle"), 0);
  // Its id is taken: the sender's retry is a duplicate.
  ProcessedEvent again = ProcessedWithEverything("EV2");
  auto duplicate = store_->Accept("EV2", "t", "{}", 1, [&] { return &again; }, nullptr);
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(*duplicate, AcceptOutcome::kDuplicate);
}

// A table the store created and cached, then dropped behind its back, is
// created again for the next row (not an error for every row until a restart);
// SQL names ignore case: "Notes"."Contact" is notes.contact.
TEST_F(SqliteStoreTest, SqliteRowsRecreateADroppedTableAndIgnoreNameCase) {
  SqlInsert row;
  row.table = "notes";
  row.values = {{"contact", "+15555550100"}};
  ASSERT_TRUE(store_->InsertRow(row, 1000).ok());
  SqlInsert other_case;
  other_case.table = "Notes";
  other_case.values = {{"Contact", "+15555550101"}, {"Extra", "x"}};
  Status mixed = store_->InsertRow(other_case, 1001);
  ASSERT_TRUE(mixed.ok()) << mixed.message();
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM notes WHERE contact LIKE '+1555555010_'"), 2);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "test.db").string().c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 2000);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE notes", nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  Status again = store_->InsertRow(row, 1002);
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM notes"), 1);
}

TEST_F(SqliteStoreTest, BusyDatabaseIsUnavailable) {
  {
    WriteLock lock(dir_ / "test.db");
    ASSERT_TRUE(lock.ok());
    auto r = store_->Accept("EV1", "t", "{}", 1);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
  }
  EXPECT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
}

TEST_F(SqliteStoreTest, OutboxLifecycleAndSentCount) {
  ASSERT_TRUE(store_->Accept("EV1", "t", "{}", 1).ok());
  ProcessedEvent p;
  p.event_id = "EV1";
  p.processed_ms = 100;
  StoredAction a;
  a.event_id = "EV1";
  a.rule_id = "r";
  a.type = "openphone.send_message";
  a.params = a.redacted_params = "{}";
  a.contact = "+15555550100";
  a.status = "pending";
  a.next_attempt_ms = 100;
  p.actions.push_back(a);
  ASSERT_TRUE(store_->CommitProcessed(&p).ok());
  auto due = store_->DueActions(99, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
  due = store_->DueActions(100, 10);
  ASSERT_EQ(due->size(), 1u);
  // While a send is in flight the dispatcher asks for the other actions only.
  auto not_sends = store_->DueActions(100, 10, /*sends=*/false);
  ASSERT_TRUE(not_sends.ok());
  EXPECT_TRUE(not_sends->empty());
  int64_t id = (*due)[0].id;
  ASSERT_TRUE(store_->UpdateAction(id, "dead", 1, 0, "HTTP 400", 200).ok());
  auto dead = store_->ListActions("dead", 10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].last_error, "HTTP 400");
  EXPECT_EQ(*store_->CountSentTo("+15555550100", 0), 0);
  ASSERT_TRUE(store_->UpdateAction(id, "done", 2, 0, "", 300).ok());
  EXPECT_EQ(*store_->CountSentTo("+15555550100", 250), 1);
  EXPECT_EQ(*store_->CountSentTo("+15555550100", 301), 0);
}

TEST_F(SqliteStoreTest, PruneDropsOldProcessedEventsButKeepsDeadLetters) {
  ASSERT_TRUE(store_->Accept("OLD", "t", "{}", 1).ok());
  ASSERT_TRUE(store_->Accept("DEAD", "t", "{}", 1).ok());
  ASSERT_TRUE(store_->Accept("NEW", "t", "{}", 10000).ok());
  for (const char* id : {"OLD", "DEAD", "NEW"}) {
    ProcessedEvent p;
    p.event_id = id;
    p.processed_ms = 10000;
    if (std::string(id) == "DEAD") {
      StoredAction a;
      a.event_id = id;
      a.rule_id = "r";
      a.type = "http";
      a.params = a.redacted_params = "{}";
      a.status = "dead";
      p.actions.push_back(a);
    }
    ASSERT_TRUE(store_->CommitProcessed(&p).ok());
  }
  ASSERT_TRUE(store_->Prune(5000, 0).ok());
  EXPECT_FALSE(store_->GetEvent("OLD")->has_value());
  EXPECT_TRUE(store_->GetEvent("DEAD")->has_value());
  EXPECT_TRUE(store_->GetEvent("NEW")->has_value());
}

// Regression: the checkpointer's connection had never read the database, so its
// checkpoints did nothing and the WAL grew without bound (10 GB in a 10-minute soak).
TEST_F(SqliteStoreTest, WalIsCheckpointedIntoTheDatabaseInTheBackground) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store_->Accept("EV" + std::to_string(i), "t", std::string(2000, 'x'), i).ok());
  }
  fs::path db = dir_ / "test.db";
  for (int i = 0; i < 50 && fs::file_size(db) < 200 * 2000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(fs::file_size(db), 200u * 2000u) << "the WAL was not checkpointed";
}

// A reader that holds the WAL while the checkpointer would truncate it: the
// TRUNCATE checkpoint held the write lock for its busy timeout (5 s), and every
// write waited behind it.
TEST_F(SqliteStoreTest, TruncatingTheWalDoesNotHoldWritesBehindAReader) {
  wal_idle_bytes_ = 0;
  Reopen();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->Accept("EV" + std::to_string(i), "t", std::string(2000, 'x'), i).ok());
  }
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / "test.db").string().c_str(), &reader, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT COUNT(*) FROM switchboard_events;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // idle rounds try to truncate
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(store_->Accept("EVw" + std::to_string(i), "t", "{}", 100 + i).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
}

// The WAL keeps its size while writes go on (its blocks are reused) and gives
// the space back once they pause.
TEST_F(SqliteStoreTest, WalIsTruncatedOnceWritesPause) {
  wal_idle_bytes_ = 0;
  Reopen();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store_->Accept("EV" + std::to_string(i), "t", std::string(2000, 'x'), i).ok());
  }
  const fs::path wal = dir_ / "test.db-wal";
  ASSERT_GT(fs::file_size(wal), 50u * 2000u);
  for (int i = 0; i < 60 && fs::file_size(wal) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(fs::file_size(wal), 0u) << "the WAL was not truncated after the writes";
  // Everything is in the database, and it goes on working.
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events"), 50);
  ASSERT_TRUE(store_->Accept("EVafter", "t", "{}", 100).ok());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM switchboard_events"), 51);
}

// Under writes that never pause, passive checkpoints never find the WAL fully
// copied, so it never restarts from its beginning and only grows. The writer
// finishes each round of checkpoints between two transactions: the WAL header's
// checkpoint sequence number counts the restarts.
TEST_F(SqliteStoreTest, WalRestartsUnderWritesThatNeverPause) {
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      while (!stop) {
        int i = next++;
        ProcessedEvent p;
        p.event_id = "EV" + std::to_string(i);
        p.trace = "{}";
        auto r = store_->Accept(p.event_id, "t", std::string(1000, 'x'), i, [&] { return &p; },
                                nullptr);
        if (!r.ok()) ++failures;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  stop = true;
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  std::ifstream wal(dir_ / "test.db-wal", std::ios::binary);
  unsigned char header[16] = {};
  ASSERT_TRUE(wal.read(reinterpret_cast<char*>(header), sizeof header)) << "no WAL header";
  uint32_t restarts = (uint32_t{header[12]} << 24) | (uint32_t{header[13]} << 16) |
                      (uint32_t{header[14]} << 8) | header[15];
  EXPECT_GE(restarts, 2u) << "the WAL did not restart while " << next.load()
                          << " events were written";
}

}  // namespace
}  // namespace server
}  // namespace switchboard
