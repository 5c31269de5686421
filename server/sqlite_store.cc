// SqliteStore: the embedded Store. One writer thread owns the write connection
// and commits whatever requests are waiting in one BEGIN IMMEDIATE transaction
// (group commit), so an fsync serves many webhooks. Reads use a second
// connection; WAL lets them run beside the writer.
#include <fcntl.h>
#include <linux/futex.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <thread>

#include "log.h"
#include "store.h"
#include "thread_name.h"
#include "time_format.h"

namespace switchboard {
namespace server {

namespace {

constexpr size_t kMaxBatch = 512;
constexpr size_t kMaxQueuedWrites = 4096;
// How often the checkpointer runs while the WAL holds frames, and otherwise.
constexpr std::chrono::milliseconds kCheckpointPeriodBusy{100};
constexpr std::chrono::milliseconds kCheckpointPeriodIdle{1000};
// Checkpoint passes in a row, each copying what was appended during the one
// before, until at most kFinishFrames came meanwhile: the writer copies those.
constexpr int kCheckpointPasses = 6;
constexpr int kFinishFrames = 256;
// WAL frames (about 4 KiB each) beyond which the checkpointer truncates the WAL,
// waiting for the writer: the safety valve for a WAL that never gets to restart
// (a reader that always holds an old snapshot, unending load).
constexpr int kWalTruncateFrames = 65536;
// How long a TRUNCATE checkpoint may wait for the writer and the readers.
constexpr int kTruncateBusyMs = 50;

const char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS switchboard_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  trace TEXT,
  processed_ms INTEGER
);
-- Partial indexes: a row enters only while it matters to the query that reads
-- it (pending events, pending and dead actions, messages sent to a contact), so
-- that most writes touch fewer B-trees.
DROP INDEX IF EXISTS switchboard_events_status;
CREATE INDEX IF NOT EXISTS switchboard_events_pending ON switchboard_events(received_ms)
  WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS switchboard_events_received ON switchboard_events(received_ms);
CREATE TABLE IF NOT EXISTS switchboard_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  type TEXT NOT NULL,
  params TEXT NOT NULL,
  redacted_params TEXT NOT NULL,
  contact TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
DROP INDEX IF EXISTS switchboard_actions_due;
DROP INDEX IF EXISTS switchboard_actions_contact;
CREATE INDEX IF NOT EXISTS switchboard_actions_pending ON switchboard_actions(next_attempt_ms)
  WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS switchboard_actions_dead ON switchboard_actions(id)
  WHERE status = 'dead';
CREATE INDEX IF NOT EXISTS switchboard_actions_event ON switchboard_actions(event_id);
CREATE INDEX IF NOT EXISTS switchboard_actions_sent ON switchboard_actions(contact, updated_ms)
  WHERE type = 'openphone.send_message';
CREATE TABLE IF NOT EXISTS switchboard_throttle (
  rule_id TEXT NOT NULL,
  key TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS switchboard_throttle_at ON switchboard_throttle(at_ms);
)sql";

Status SqlError(sqlite3* db, int rc, const std::string& what) {
  std::string message = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || (rc & 0xff) == SQLITE_BUSY) {
    return Status::Unavailable("database is busy (" + message + ")");
  }
  return Status(StatusCode::kIoError, message);
}

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    return SqlError(nullptr, rc, message);
  }
  return Status::OK();
}

// Prepared statements of one connection, kept for its lifetime: preparing is a
// large part of a small write's cost. Used by one thread at a time.
class StmtCache {
 public:
  StmtCache() = default;
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;
  ~StmtCache() { Clear(); }

  // The cached statement for `sql`, prepared on first use; sets *rc.
  sqlite3_stmt* Get(sqlite3* db, const char* sql, int* rc) {
    auto it = map_.find(sql);
    if (it != map_.end()) {
      *rc = SQLITE_OK;
      return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    *rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (*rc != SQLITE_OK) return nullptr;
    map_.emplace(sql, stmt);
    return stmt;
  }
  void Clear() {
    for (auto& [sql, stmt] : map_) sqlite3_finalize(stmt);
    map_.clear();
  }

 private:
  std::unordered_map<std::string, sqlite3_stmt*> map_;
};

// A statement with typed binds and column reads: from a StmtCache (reset when
// done) or prepared for this use alone (finalized when done).
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  Stmt(StmtCache* cache, sqlite3* db, const char* sql) : db_(db), cached_(cache != nullptr) {
    if (cache != nullptr) {
      stmt_ = cache->Get(db, sql, &rc_);
    } else {
      rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
    }
  }
  ~Stmt() {
    if (!cached_) {
      sqlite3_finalize(stmt_);
    } else if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Status status(const std::string& what) const { return SqlError(db_, rc_, what); }

  // Binds without a copy: `s` must outlive the statement's use (the Stmt
  // object); temporaries go through BindCopy.
  Stmt& Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(int i, std::string&& s) = delete;
  Stmt& BindCopy(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() {
    if (stmt_ == nullptr) return rc_ == SQLITE_OK ? SQLITE_MISUSE : rc_;
    rc_ = sqlite3_step(stmt_);
    if (rc_ == SQLITE_ROW || rc_ == SQLITE_DONE) {
      int rc = rc_;
      rc_ = SQLITE_OK;
      return rc;
    }
    return rc_;
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : "";
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
  bool cached_ = false;
};

// Runs a statement without results through `cache`.
Status ExecCached(StmtCache* cache, sqlite3* db, const char* sql) {
  Stmt s(cache, db, sql);
  if (!s.ok()) return s.status(sql);
  int rc = s.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return s.status(sql);
  return Status::OK();
}

Status Run(Stmt& s, const std::string& what) {
  if (!s.ok()) return s.status(what);
  int rc = s.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return s.status(what);
  return Status::OK();
}

const char kActionColumns[] =
    "id, event_id, rule_id, idx, type, params, redacted_params, contact, status, attempts, "
    "next_attempt_ms, last_error, created_ms, updated_ms";

StoredAction ReadAction(const Stmt& s) {
  StoredAction a;
  a.id = s.Int(0);
  a.event_id = s.Text(1);
  a.rule_id = s.Text(2);
  a.index = static_cast<int>(s.Int(3));
  a.type = s.Text(4);
  a.params = s.Text(5);
  a.redacted_params = s.Text(6);
  a.contact = s.Text(7);
  a.status = s.Text(8);
  a.attempts = static_cast<int>(s.Int(9));
  a.next_attempt_ms = s.Int(10);
  a.last_error = s.Text(11);
  a.created_ms = s.Int(12);
  a.updated_ms = s.Int(13);
  return a;
}

const char kEventColumns[] = "id, type, body, received_ms, status, COALESCE(trace, '')";

StoredEvent ReadEvent(const Stmt& s) {
  StoredEvent e;
  e.id = s.Text(0);
  e.type = s.Text(1);
  e.body = s.Text(2);
  e.received_ms = s.Int(3);
  e.status = s.Text(4);
  e.trace = s.Text(5);
  return e;
}

std::string QuoteIdentifier(const std::string& name) { return "\"" + name + "\""; }

// SQLite's names ignore ASCII case: "Notes" is the table "notes".
std::string SqlNameKey(const std::string& name) {
  std::string key = name;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

// Inserts a `sqlite` action's row, creating the table or columns it needs.
// `known_columns` caches each table's columns (names in lower case).
Status InsertSqlRowOnce(sqlite3* db, const SqlInsert& row, int64_t now_ms,
                        std::map<std::string, std::set<std::string>>* known_columns,
                        StmtCache* cache) {
    std::set<std::string>& columns = (*known_columns)[SqlNameKey(row.table)];
    if (columns.empty()) {
      std::string create = "CREATE TABLE IF NOT EXISTS " + QuoteIdentifier(row.table) +
                           " (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL)";
      Status s = Exec(db, create.c_str());
      if (!s.ok()) return s;
      Stmt info(db, ("PRAGMA table_info(" + QuoteIdentifier(row.table) + ")").c_str());
      while (info.Step() == SQLITE_ROW) columns.insert(SqlNameKey(info.Text(1)));
    }
    for (const auto& [column, value] : row.values) {
      if (columns.count(SqlNameKey(column))) continue;
      std::string alter = "ALTER TABLE " + QuoteIdentifier(row.table) + " ADD COLUMN " +
                          QuoteIdentifier(column) + " TEXT";
      Status s = Exec(db, alter.c_str());
      if (!s.ok()) return s;
      columns.insert(SqlNameKey(column));
    }
    std::string sql = "INSERT INTO " + QuoteIdentifier(row.table) + " (created_at";
    std::string marks = "?";
    for (const auto& [column, value] : row.values) {
      sql += ", " + QuoteIdentifier(column);
      marks += ", ?";
    }
    sql += ") VALUES (" + marks + ")";
    Stmt insert(cache, db, sql.c_str());
    insert.BindCopy(1, FormatMs(now_ms));
    int i = 2;
    for (const auto& [column, value] : row.values) insert.Bind(i++, value);
    return Run(insert, "inserting into table '" + row.table + "'");
  }

Status InsertSqlRow(sqlite3* db, const SqlInsert& row, int64_t now_ms,
                    std::map<std::string, std::set<std::string>>* known_columns,
                    StmtCache* cache = nullptr) {
  Status s = InsertSqlRowOnce(db, row, now_ms, known_columns, cache);
  // The table or a column was dropped since it was cached (by hand, by another
  // program): forget it and create it again, once.
  if (!s.ok() && (s.message().find("no such table") != std::string::npos ||
                  s.message().find("has no column named") != std::string::npos)) {
    known_columns->erase(SqlNameKey(row.table));
    s = InsertSqlRowOnce(db, row, now_ms, known_columns, cache);
  }
  return s;
}


class SqliteStore : public Store {
 public:
  explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

  ~SqliteStore() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    cv_checkpoint_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
    sqlite3_close(checkpointer_);
    writer_cache_.Clear();
    reader_cache_.Clear();
    sqlite3_close(writer_);
    sqlite3_close(reader_);
    if (lock_fd_ >= 0) close(lock_fd_);  // releases the lock
  }

  Status Open() {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    Status locked = LockDatabase();
    if (!locked.ok()) return locked;
    int rc = sqlite3_open_v2(options_.path.c_str(), &writer_, flags, nullptr);
    if (rc != SQLITE_OK) return SqlError(writer_, rc, "cannot open database '" + options_.path + "'");
    sqlite3_busy_timeout(writer_, options_.busy_timeout_ms);
    Status s = Exec(writer_, "PRAGMA journal_mode=WAL");
    if (s.ok()) s = Exec(writer_, "PRAGMA synchronous=FULL");
    // Checkpoints run on their own thread (below), not inside a commit that
    // webhooks are waiting for.
    if (s.ok()) s = Exec(writer_, "PRAGMA wal_autocheckpoint=0");
    // Savepoints journal into memory rather than a temporary file per transaction.
    if (s.ok()) s = Exec(writer_, "PRAGMA temp_store=MEMORY");
    if (s.ok()) {
      // The WAL restarts from its beginning once it has been checkpointed
      // completely: overwriting the blocks of a file is cheaper to sync than
      // appending to it (no file-system metadata), so the file keeps the size
      // it grew to while writes go on (what comes between two restarts: about
      // 10 MB at 5,000 webhooks/s, more while a reader holds an old snapshot).
      // A size limit (64 MiB, when restarts came once a second) truncated it at
      // every restart, and then every commit until the next one extended the
      // file again: its fsync wrote the inode too. The checkpointer truncates
      // it once writes pause (SqliteOptions::wal_idle_bytes).
      s = Exec(writer_, "PRAGMA journal_size_limit=-1");
    }
    if (s.ok()) s = Exec(writer_, kSchema);
    if (!s.ok()) return Status(s.code(), "database '" + options_.path + "': " + s.message());
    rc = sqlite3_open_v2(options_.path.c_str(), &reader_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                         nullptr);
    if (rc != SQLITE_OK) return SqlError(reader_, rc, "cannot open database '" + options_.path + "'");
    sqlite3_busy_timeout(reader_, options_.busy_timeout_ms);
    Stmt count(&reader_cache_, reader_, "SELECT COUNT(*) FROM switchboard_events WHERE status = 'pending'");
    if (count.Step() != SQLITE_ROW) return count.status("counting pending events");
    pending_events_ = count.Int(0);
    rc = sqlite3_open_v2(options_.path.c_str(), &checkpointer_,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return SqlError(checkpointer_, rc, "cannot open database '" + options_.path + "'");
    sqlite3_busy_timeout(checkpointer_, options_.busy_timeout_ms);
    // A connection that has never read the database does not know it is in WAL
    // mode, and its checkpoints silently do nothing: read once.
    s = Exec(checkpointer_, "SELECT COUNT(*) FROM sqlite_master");
    if (!s.ok()) return s;
    writer_thread_ = std::thread([this] { WriterLoop(); });
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    return Status::OK();
  }

  Result<AcceptOutcome> Accept(const std::string& id, const std::string& type,
                               const std::string& body, int64_t received_ms,
                               const ProcessNewEvent& process,
                               const Discarded& discarded) override {
    int64_t waiting = pending_events_.load();
    if (waiting >= static_cast<int64_t>(options_.max_pending_events)) {
      if (discarded) discarded();
      return Status::Unavailable("the inbox is overloaded (" + std::to_string(waiting) +
                                 " events wait to be processed)");
    }
    AcceptOutcome outcome = AcceptOutcome::kAccepted;
    bool stored_pending = !process;
    auto store_pending = [&](sqlite3* db) {
      Stmt insert(&writer_cache_, db,
                  "INSERT OR IGNORE INTO switchboard_events (id, type, body, received_ms) "
                  "VALUES (?, ?, ?, ?)");
      insert.Bind(1, id).Bind(2, type).Bind(3, body).Bind(4, received_ms);
      Status r = Run(insert, "storing the event");
      if (r.ok() && sqlite3_changes(db) == 0) outcome = AcceptOutcome::kDuplicate;
      return r;
    };
    ProcessedEvent* processed = nullptr;
    bool effects_rolled_back = false;  // the event's own rows undid the transaction
    auto store_processed = [&](sqlite3* db) {
      Stmt exists(&writer_cache_, db, "SELECT 1 FROM switchboard_events WHERE id = ?");
      exists.Bind(1, id);
      int rc = exists.Step();
      if (rc == SQLITE_ROW) {
        outcome = AcceptOutcome::kDuplicate;
        return Status::OK();
      }
      if (rc != SQLITE_DONE) return exists.status("looking up the event id");
      ProcessedEvent* p = process();
      processed = p;
      if (!p->error.ok()) {
        // Its processing failed (memory ran out): the event is stored pending,
        // acknowledged and durable, for the inbox to process later. What the
        // processing did in memory is taken back now, and only once.
        if (discarded) discarded();
        p->firings.clear();
        stored_pending = true;
        return store_pending(db);
      }
      Stmt insert(&writer_cache_, db,
                  "INSERT INTO switchboard_events (id, type, body, received_ms, status, trace, "
                  "processed_ms) VALUES (?, ?, ?, ?, 'processed', ?, ?)");
      insert.Bind(1, id).Bind(2, type).Bind(3, body).Bind(4, received_ms);
      insert.Bind(5, p->trace).Bind(6, p->processed_ms);
      Status r = Run(insert, "storing the event");
      if (!r.ok()) return r;
      r = WriteEffects(db, p);
      effects_rolled_back = !r.ok() && r.code() != StatusCode::kUnavailable &&
                            sqlite3_get_autocommit(db);
      return r;
    };
    Status s;
    if (process) {
      s = Write(store_processed, /*shed_when_full=*/true, /*single_statement=*/false,
                /*durable=*/true, discarded);
      if (!s.ok() && effects_rolled_back && processed != nullptr) {
        // Answered 503, the sender would try again for as long as it retries
        // (a day, for OpenPhone) and then give the event up: it is stored
        // pending instead, for the inbox to try again (and pace) until the
        // cause is fixed. `discarded` has run: the firings are taken back.
        processed->error = s;
        processed->actions.clear();
        processed->inserts.clear();
        processed->firings.clear();
        outcome = AcceptOutcome::kAccepted;
        stored_pending = true;
        s = Write(store_pending, /*shed_when_full=*/true, /*single_statement=*/true,
                  /*durable=*/true, nullptr);
      }
    } else {
      s = Write(store_pending, /*shed_when_full=*/true, /*single_statement=*/true,
                /*durable=*/true, discarded);
    }
    if (!s.ok()) return s;
    if (stored_pending && outcome == AcceptOutcome::kAccepted) ++pending_events_;
    return outcome;
  }

  Result<std::vector<StoredEvent>> PendingEvents(int limit) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    std::string sql = std::string("SELECT ") + kEventColumns +
                      " FROM switchboard_events WHERE status = 'pending' "
                      "ORDER BY received_ms, rowid LIMIT ?";
    Stmt s(&reader_cache_, reader_, sql.c_str());
    s.Bind(1, static_cast<int64_t>(limit));
    return ReadRows<StoredEvent>(s, ReadEvent, "reading pending events");
  }

  std::future<Status> CommitProcessedAsync(ProcessedEvent* processed,
                                           Discarded discarded) override {
    // Both run on the writer thread, one after the other.
    auto marked = std::make_shared<bool>(false);
    return WriteAsync(
        [this, processed, marked](sqlite3* db) -> Status {
          const ProcessedEvent& p = *processed;
          if (!p.error.ok()) return p.error;
          Stmt mark(&writer_cache_, db,
                    "UPDATE switchboard_events SET status = 'processed', trace = ?, "
                    "processed_ms = ? WHERE id = ? AND status = 'pending'");
          mark.Bind(1, p.trace).Bind(2, p.processed_ms).Bind(3, p.event_id);
          Status s = Run(mark, "marking the event processed");
          if (!s.ok()) return s;
          *marked = sqlite3_changes(db) > 0;
          return WriteEffects(db, processed);
        },
        // No longer pending once committed: a job or batch that rolls back
        // leaves the event pending, and counted (it was counted down before,
        // and again when it was processed later, until the count sank below
        // the events that wait and the overload answer came late).
        [this, marked] {
          if (*marked) --pending_events_;
        },
        std::move(discarded));
  }

  Status MarkPending(const std::string& event_id) override {
    bool marked = false;
    Status s = WriteDurable([&](sqlite3* db) {
      Stmt s(&writer_cache_, db, "UPDATE switchboard_events SET status = 'pending' WHERE id = ? AND status != 'pending'");
      s.Bind(1, event_id);
      Status r = Run(s, "marking the event for replay");
      marked = r.ok() && sqlite3_changes(db) > 0;
      return r;
    });
    // Counted once committed: a batch that rolls back leaves it processed.
    if (s.ok() && marked) ++pending_events_;
    return s;
  }

  Status RequeueAction(int64_t id, int64_t now_ms) override {
    return WriteDurable([&](sqlite3* db) {
      Stmt s(&writer_cache_, db,
             "UPDATE switchboard_actions SET status = 'pending', attempts = 0, "
             "next_attempt_ms = ?, created_ms = ?, updated_ms = ? WHERE id = ?");
      s.Bind(1, now_ms).Bind(2, now_ms).Bind(3, now_ms).Bind(4, id);
      return Run(s, "requeueing an action");
    });
  }

  Status InsertRow(const SqlInsert& row, int64_t now_ms) override {
    return Write([&](sqlite3* db) {
      return InsertSqlRow(db, row, now_ms, &known_columns_, &writer_cache_);
    });
  }

  Result<std::vector<StoredAction>> DueActions(int64_t now_ms, int limit,
                                               bool sends) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    // SPEC: a rule's actions are executed in order. An action waits while an
    // earlier one of the same firing (event, rule) is still pending, retries
    // included; once that one is done or dead-lettered, it is due.
    std::string sql = std::string("SELECT ") + kActionColumns +
                      " FROM switchboard_actions AS a WHERE status = 'pending' AND "
                      "next_attempt_ms <= ? AND NOT EXISTS (SELECT 1 FROM switchboard_actions AS b "
                      "WHERE b.event_id = a.event_id AND b.rule_id = a.rule_id AND b.idx < a.idx "
                      "AND b.status = 'pending') AND (? OR type <> 'openphone.send_message') "
                      "ORDER BY next_attempt_ms, id LIMIT ?";
    Stmt s(&reader_cache_, reader_, sql.c_str());
    s.Bind(1, now_ms).Bind(2, static_cast<int64_t>(sends ? 1 : 0));
    s.Bind(3, static_cast<int64_t>(limit));
    return ReadRows<StoredAction>(s, ReadAction, "reading due actions");
  }

  Status UpdateAction(int64_t id, const std::string& status, int attempts, int64_t next_attempt_ms,
                      const std::string& last_error, int64_t now_ms) override {
    return Write([&](sqlite3* db) {
      Stmt s(&writer_cache_, db,
             "UPDATE switchboard_actions SET status = ?, attempts = ?, next_attempt_ms = ?, "
             "last_error = ?, updated_ms = ? WHERE id = ?");
      s.Bind(1, status).Bind(2, static_cast<int64_t>(attempts)).Bind(3, next_attempt_ms);
      s.Bind(4, last_error).Bind(5, now_ms).Bind(6, id);
      return Run(s, "updating an action");
    });
  }

  Result<int> CountSentTo(const std::string& contact, int64_t since_ms) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    Stmt s(&reader_cache_, reader_,
           "SELECT COUNT(*) FROM switchboard_actions WHERE contact = ? AND status = 'done' AND "
           "type = 'openphone.send_message' AND updated_ms >= ?");
    s.Bind(1, contact).Bind(2, since_ms);
    if (s.Step() != SQLITE_ROW) return s.status("counting sent messages");
    return static_cast<int>(s.Int(0));
  }

  Result<std::vector<ThrottleFiring>> ThrottleFiringsSince(int64_t since_ms) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    Stmt s(&reader_cache_, reader_, "SELECT rule_id, key, at_ms FROM switchboard_throttle WHERE at_ms >= ?");
    s.Bind(1, since_ms);
    return ReadRows<ThrottleFiring>(
        s, [](const Stmt& r) { return ThrottleFiring{r.Text(0), r.Text(1), r.Int(2)}; },
        "reading throttle state");
  }

  Result<std::vector<StoredEvent>> ListEvents(const EventQuery& q) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    std::string sql = std::string("SELECT ") + kEventColumns +
                      " FROM switchboard_events WHERE (? = '' OR type = ?) AND received_ms >= ? "
                      "AND received_ms < ? ORDER BY received_ms DESC, rowid DESC LIMIT ?";
    Stmt s(&reader_cache_, reader_, sql.c_str());
    s.Bind(1, q.type).Bind(2, q.type).Bind(3, q.since_ms).Bind(4, q.until_ms);
    s.Bind(5, static_cast<int64_t>(q.limit));
    return ReadRows<StoredEvent>(s, ReadEvent, "listing events");
  }

  Result<std::optional<StoredEvent>> GetEvent(const std::string& id) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    std::string sql = std::string("SELECT ") + kEventColumns + " FROM switchboard_events WHERE id = ?";
    Stmt s(&reader_cache_, reader_, sql.c_str());
    s.Bind(1, id);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredEvent>();
    if (rc != SQLITE_ROW) return s.status("reading an event");
    return std::optional<StoredEvent>(ReadEvent(s));
  }

  Result<std::vector<StoredAction>> ActionsForEvent(const std::string& event_id) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    std::string sql = std::string("SELECT ") + kActionColumns +
                      " FROM switchboard_actions WHERE event_id = ? ORDER BY id";
    Stmt s(&reader_cache_, reader_, sql.c_str());
    s.Bind(1, event_id);
    return ReadRows<StoredAction>(s, ReadAction, "reading actions");
  }

  Result<std::vector<StoredAction>> ListActions(const std::string& status, int limit) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    std::string sql = std::string("SELECT ") + kActionColumns +
                      " FROM switchboard_actions WHERE (? = '' OR status = ?) ORDER BY id DESC LIMIT ?";
    Stmt s(&reader_cache_, reader_, sql.c_str());
    s.Bind(1, status).Bind(2, status).Bind(3, static_cast<int64_t>(limit));
    return ReadRows<StoredAction>(s, ReadAction, "listing actions");
  }

  Result<std::optional<StoredAction>> GetAction(int64_t id) override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    std::string sql = std::string("SELECT ") + kActionColumns + " FROM switchboard_actions WHERE id = ?";
    Stmt s(&reader_cache_, reader_, sql.c_str());
    s.Bind(1, id);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredAction>();
    if (rc != SQLITE_ROW) return s.status("reading an action");
    return std::optional<StoredAction>(ReadAction(s));
  }

  Result<Counts> Depths() override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    Stmt s(&reader_cache_, reader_,
           "SELECT (SELECT COUNT(*) FROM switchboard_events WHERE status = 'pending'), "
           "(SELECT COUNT(*) FROM switchboard_actions WHERE status = 'pending'), "
           "(SELECT COUNT(*) FROM switchboard_actions WHERE status = 'dead')");
    if (s.Step() != SQLITE_ROW) return s.status("counting queues");
    return Counts{s.Int(0), s.Int(1), s.Int(2)};
  }

  Status Prune(int64_t before_ms, int64_t throttle_before_ms) override {
    return Write([&](sqlite3* db) {
      Stmt actions(&writer_cache_, db,
                   "DELETE FROM switchboard_actions WHERE status = 'done' AND event_id IN "
                   "(SELECT id FROM switchboard_events WHERE status = 'processed' AND received_ms < ?)");
      actions.Bind(1, before_ms);
      Status s = Run(actions, "pruning actions");
      if (!s.ok()) return s;
      Stmt events(&writer_cache_, db,
                  "DELETE FROM switchboard_events WHERE status = 'processed' AND received_ms < ? "
                  "AND id NOT IN (SELECT event_id FROM switchboard_actions)");
      events.Bind(1, before_ms);
      s = Run(events, "pruning events");
      if (!s.ok()) return s;
      Stmt throttle(&writer_cache_, db, "DELETE FROM switchboard_throttle WHERE at_ms < ?");
      throttle.Bind(1, throttle_before_ms);
      return Run(throttle, "pruning throttle state");
    });
  }

  // One store per database file: two would both claim the outbox's due actions
  // (replies sent twice) and keep separate throttle state. An exclusive flock
  // on "<database>-lock", held while the store is open, keeps a second server
  // (another process, or this one) out; the kernel drops it when the process
  // dies. Not on the database file itself: closing any descriptor of that file
  // drops every fcntl lock the process holds on it, SQLite's own included.
  Status LockDatabase() {
    const std::string path = options_.path + "-lock";
    lock_fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) {
      return Status::Unavailable("cannot open '" + path + "': " + std::strerror(errno));
    }
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Status::Unavailable("database '" + options_.path +
                                   "' is in use by another switchboard server (one server "
                                   "per database file)");
      }
      return Status::Unavailable("cannot lock '" + path + "': " + std::strerror(errno));
    }
    return Status::OK();
  }

  // Syncs the database file through the checkpointer's own SQLite file handle
  // (a descriptor of our own would drop SQLite's locks when closed).
  void SyncDatabaseFile() {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(checkpointer_, "main", SQLITE_FCNTL_FILE_POINTER, &file) !=
            SQLITE_OK ||
        file == nullptr || file->pMethods == nullptr) {
      return;
    }
    // A failure shows again in SQLite's own sync before the WAL restarts.
    file->pMethods->xSync(file, SQLITE_SYNC_NORMAL | SQLITE_SYNC_DATAONLY);
  }

  Status Ping() override {
    std::lock_guard<std::mutex> lock(reader_mu_);
    Stmt s(&reader_cache_, reader_, "SELECT 1 FROM switchboard_events LIMIT 1");
    int rc = s.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return s.status("database check");
    return Status::OK();
  }

 private:
  // A write waiting for its commit. Its caller either holds a future (only
  // CommitProcessedAsync, which pipelines) or waits in Await() on `state`, a
  // futex word: the writer wakes the first waiting caller of a committed batch
  // and each woken caller wakes two more (a binary tree over the batch), so the
  // serial writer thread does not pay for every wake-up. A futex wake was its
  // most expensive system call: about a fifth of its time went to waking
  // callers one by one, two system calls each through std::promise.
  struct Job;
  using Batch = std::vector<std::shared_ptr<Job>>;
  enum : int { kWaiting = 0, kReleased = 1, kSleeping = 2 };
  struct Job {
    std::function<Status(sqlite3*)> fn;
    std::function<void()> committed;  // after a successful fn and COMMIT; may be empty
    Discarded discarded;  // when it will not commit (Store::Discarded); may be empty
    bool single_statement = false;
    bool durable = false;  // its caller acknowledges it: fsync before answering
    std::optional<std::promise<Status>> promise;  // set for asynchronous callers
    // Waiting callers: the result, then the callers committed with this one and
    // this job's place among them (set by the writer before the release).
    Status status;
    std::shared_ptr<const Batch> batch;
    size_t index = 0;
    std::atomic<int> state{kWaiting};
  };

  static void FutexWait(std::atomic<int>* word, int expected) {
    static_assert(sizeof(std::atomic<int>) == sizeof(int), "a futex word is an int");
    syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr,
            nullptr, 0);
  }
  static void FutexWake(std::atomic<int>* word) {
    syscall(SYS_futex, reinterpret_cast<int*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  // Lets a waiting caller return; what the releasing thread wrote before
  // (status, batch) is visible to it.
  static void Release(Job* job) {
    if (job->state.exchange(kReleased, std::memory_order_acq_rel) == kSleeping) {
      FutexWake(&job->state);
    }
  }
  // On the caller's thread: waits for the release, then releases this job's two
  // children in its batch.
  static Status Await(Job* job) {
    int expected = kWaiting;
    if (job->state.compare_exchange_strong(expected, kSleeping, std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
      while (job->state.load(std::memory_order_acquire) == kSleeping) {
        FutexWait(&job->state, kSleeping);
      }
    }
    if (job->batch != nullptr) {
      const Batch& batch = *job->batch;
      for (size_t child = 2 * job->index + 1; child <= 2 * job->index + 2; ++child) {
        if (child < batch.size()) Release(batch[child].get());
      }
      job->batch.reset();  // the batch holds its jobs: break the cycle
    }
    return std::move(job->status);
  }
  // Runs the job's `discarded` (on the writer thread, or the caller's for a job
  // never queued); a second call does nothing.
  static void Discard(Job* job) {
    if (!job->discarded) return;
    Discarded discarded = std::move(job->discarded);
    job->discarded = nullptr;
    discarded();
  }
  // On the writer thread: answers every job of `jobs`, `results[i]` for the i-th.
  static void Answer(std::vector<std::shared_ptr<Job>>* jobs, const std::vector<Status>& results) {
    auto waiting = std::make_shared<Batch>();
    for (size_t i = 0; i < jobs->size(); ++i) {
      Job& job = *(*jobs)[i];
      if (job.promise) {
        job.promise->set_value(results[i]);
      } else {
        job.status = results[i];
        job.index = waiting->size();
        waiting->push_back(std::move((*jobs)[i]));
      }
    }
    jobs->clear();
    if (waiting->empty()) return;
    for (const std::shared_ptr<Job>& job : *waiting) job->batch = waiting;
    Release(waiting->front().get());
  }

  // What processing an event changes besides the event row: the rows of
  // `sqlite` actions into this database, the outbox, the throttle firings. A
  // row that cannot be inserted for a reason other than a busy database (a
  // table of an incompatible schema) must not hold its event back forever:
  // its action is committed dead with the error instead. Each row has a
  // savepoint of its own, so that one bad row takes no other action with it.
  Status WriteEffects(sqlite3* db, ProcessedEvent* p) {
    for (const SqlInsert& row : p->inserts) {
      Status s = ExecCached(&writer_cache_, db, "SAVEPOINT action_row");
      if (s.ok()) s = InsertSqlRow(db, row, p->processed_ms, &known_columns_, &writer_cache_);
      if (s.ok()) {
        ExecCached(&writer_cache_, db, "RELEASE action_row");
        continue;
      }
      known_columns_.clear();  // a table or column created for this row is gone
      // An error that rolled back the whole transaction (a trigger's
      // RAISE(ROLLBACK) on the row's table, a full disk): nothing more may be
      // written, or each statement would commit on its own (CommitBatch).
      if (sqlite3_get_autocommit(db)) {
        // The row's doing (its code, not kUnavailable, unless the database was busy).
        return Status(s.code(), "the database rolled back the transaction (" + s.message() + ")");
      }
      ExecCached(&writer_cache_, db, "ROLLBACK TO action_row");
      ExecCached(&writer_cache_, db, "RELEASE action_row");
      if (s.code() == StatusCode::kUnavailable) return s;
      if (row.action >= 0 && row.action < static_cast<int>(p->actions.size())) {
        StoredAction& a = p->actions[static_cast<size_t>(row.action)];
        a.status = "dead";
        a.last_error = s.message();
      }
    }
    for (const StoredAction& a : p->actions) {
      Stmt insert(&writer_cache_, db,
                  "INSERT INTO switchboard_actions (event_id, rule_id, idx, type, params, "
                  "redacted_params, contact, status, attempts, next_attempt_ms, last_error, "
                  "created_ms, updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
      insert.Bind(1, a.event_id).Bind(2, a.rule_id).Bind(3, static_cast<int64_t>(a.index));
      insert.Bind(4, a.type).Bind(5, a.params).Bind(6, a.redacted_params).Bind(7, a.contact);
      insert.Bind(8, a.status).Bind(9, static_cast<int64_t>(a.attempts));
      insert.Bind(10, a.next_attempt_ms).Bind(11, a.last_error).Bind(12, p->processed_ms);
      insert.Bind(13, p->processed_ms);
      Status s = Run(insert, "writing the outbox");
      if (!s.ok()) return s;
    }
    for (const auto& [rule, key] : p->firings) {
      Stmt insert(&writer_cache_, db,
                  "INSERT INTO switchboard_throttle (rule_id, key, at_ms) VALUES (?,?,?)");
      insert.Bind(1, rule).Bind(2, key).Bind(3, p->processed_ms);
      Status s = Run(insert, "recording a throttle firing");
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  template <typename T, typename F>
  static Result<std::vector<T>> ReadRows(Stmt& s, F read, const std::string& what) {
    if (!s.ok()) return s.status(what);
    std::vector<T> rows;
    for (;;) {
      int rc = s.Step();
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return s.status(what);
      rows.push_back(read(s));
    }
    return rows;
  }

  // Queues `fn` for the next group transaction. Returns the refusal when the
  // store is closing or (with `shed_when_full`) the queue is full.
  Status Enqueue(std::shared_ptr<Job> job, bool shed_when_full) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return Status::Unavailable("the store is closing");
      // The write queue holds at most one job per request thread; this bound
      // only guards against a writer that stopped making progress.
      if (shed_when_full && queue_.size() >= kMaxQueuedWrites) {
        return Status::Unavailable("the database is not keeping up");
      }
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    return Status::OK();
  }
  // Runs `fn` in the next group transaction and returns its result after the
  // commit (or the commit's error).
  Status Write(std::function<Status(sqlite3*)> fn, bool shed_when_full = false,
               bool single_statement = false, bool durable = false,
               Discarded discarded = nullptr) {
    auto job = std::make_shared<Job>();
    job->fn = std::move(fn);
    job->single_statement = single_statement;
    job->durable = durable;
    job->discarded = std::move(discarded);
    Status queued = Enqueue(job, shed_when_full);
    if (!queued.ok()) {
      Discard(job.get());
      return queued;
    }
    return Await(job.get());
  }
  // A write that an operator's request acknowledges.
  Status WriteDurable(std::function<Status(sqlite3*)> fn) {
    return Write(std::move(fn), false, false, /*durable=*/true);
  }
  // As Write, but the result comes through a future.
  // `committed`, when given, runs on the writer thread once `fn` succeeded and
  // its transaction committed; `discarded` when it will not commit.
  std::future<Status> WriteAsync(std::function<Status(sqlite3*)> fn,
                                 std::function<void()> committed = nullptr,
                                 Discarded discarded = nullptr) {
    auto job = std::make_shared<Job>();
    job->fn = std::move(fn);
    job->committed = std::move(committed);
    job->discarded = std::move(discarded);
    job->promise.emplace();
    std::future<Status> done = job->promise->get_future();
    Status queued = Enqueue(job, /*shed_when_full=*/false);
    if (!queued.ok()) {
      Discard(job.get());
      job->promise->set_value(queued);
    }
    return done;
  }

  // Copies the WAL back into the database every 100 ms while writes go on
  // (every second when they pause), with PASSIVE
  // checkpoints that never wait for, nor block, the writer or readers. Under
  // steady load the writer appends while a checkpoint runs, so the WAL is never
  // completely copied and would never restart from its beginning: once a pass
  // has caught up with what it saw, the writer copies the little that came
  // since itself, between two transactions (see FinishCheckpoint).
  //
  // SQLite syncs the database file only at the end of a checkpoint that copied
  // the whole WAL, which under load is the writer's: it then flushed a second
  // of copied pages (10-25 ms, every webhook waiting). This thread syncs the
  // pages of each of its passes itself, so that the writer's sync finds little.
  // Short rounds keep each sync short: a second of copied pages flushed at
  // once (10-30 ms) held back the commits waiting behind it at the disk.
  void CheckpointLoop() {
    NameThisThread("sb-checkpoint");
    int synced = -1;            // the backfill count at the last sync
    int previous_frames = -1;   // the WAL's frames at the previous round
    // Rounds in a row in which the WAL did not change (0: it changed in the
    // last one; the first round comes after the idle period).
    int quiet_rounds = 1;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      const auto period = quiet_rounds == 0 ? kCheckpointPeriodBusy : kCheckpointPeriodIdle;
      cv_checkpoint_.wait_for(lock, period, [&] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      int log_frames = 0;
      int checkpointed = 0;
      bool caught_up = false;
      for (int pass = 0, seen = -1; pass < kCheckpointPasses; ++pass) {
        int rc = sqlite3_wal_checkpoint_v2(checkpointer_, "main", SQLITE_CHECKPOINT_PASSIVE,
                                           &log_frames, &checkpointed);
        if (rc == SQLITE_OK && checkpointed != synced) {
          SyncDatabaseFile();
          synced = checkpointed;
        }
        // Held back by a reader's snapshot: next round.
        if (rc != SQLITE_OK || checkpointed < log_frames) break;
        caught_up = true;
        // Few frames came during the previous pass (or the WAL restarted).
        if (seen >= 0 && log_frames - seen <= kFinishFrames) {
          if (log_frames > 0) finish_checkpoint_ = true;
          break;
        }
        seen = log_frames;
      }
      quiet_rounds = log_frames == previous_frames ? quiet_rounds + 1 : 0;
      if (log_frames > kWalTruncateFrames) {
        LogWarning("the database's WAL reached " + std::to_string(log_frames / 256) +
                   " MiB without restarting (a reader holding an old snapshot?): truncating "
                   "it, which holds writes back for a moment");
        TruncateWal();
      } else if (caught_up && quiet_rounds >= 2 && WalFileBytes() > options_.wal_idle_bytes) {
        // Writes paused (for a second at least): the WAL that load grew gives
        // its space back.
        TruncateWal();
      }
      previous_frames = log_frames;
      lock.lock();
    }
  }

  // A TRUNCATE checkpoint holds SQLite's write lock while it waits for readers
  // of the WAL to finish, and with it the writer: it gives up after
  // kTruncateBusyMs instead of the connection's busy timeout (5 s of webhooks
  // waiting behind an admin API read); a later round tries again.
  void TruncateWal() {
    sqlite3_busy_timeout(checkpointer_, kTruncateBusyMs);
    sqlite3_wal_checkpoint_v2(checkpointer_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_busy_timeout(checkpointer_, options_.busy_timeout_ms);
  }

  int64_t WalFileBytes() const {
    struct stat st;
    return stat((options_.path + "-wal").c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  }

  // On the writer thread, between transactions: copies the frames appended
  // since the checkpointer's last pass, so that the WAL is completely
  // checkpointed and the next transaction restarts it from its beginning
  // (unless a reader holds an old snapshot at that moment; then the next
  // round tries again). Cheap: the checkpointer did the bulk of the copying.
  void FinishCheckpoint() {
    if (!finish_checkpoint_.exchange(false)) return;
    sqlite3_wal_checkpoint_v2(writer_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }

  void WriterLoop() {
    NameThisThread("sb-writer");
    std::vector<std::shared_ptr<Job>> batch;
    std::vector<std::shared_ptr<Job>> durable;
    std::vector<std::shared_ptr<Job>> rest;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      // Webhooks wait for their commit: they go first, in their own
      // transaction, and only that one waits for the disk. Without sync_full
      // no transaction waits for the disk, and one serves every job.
      for (auto& job : batch) {
        (job->durable || !options_.sync_full ? durable : rest).push_back(std::move(job));
      }
      batch.clear();
      if (!durable.empty()) CommitBatch(&durable, /*durable=*/true);
      if (!rest.empty()) CommitBatch(&rest, /*durable=*/false);
      FinishCheckpoint();
    }
  }

  // Runs `jobs` in one transaction and answers each. A durable transaction is
  // fsynced before it returns (synchronous=FULL), unless the operator chose
  // otherwise (SqliteOptions::sync_full). The others are not
  // (synchronous=NORMAL): a process crash loses nothing, as the data is in the
  // WAL; a power failure may lose them, which only means that an event is
  // processed again or an action runs again - their state is consistent
  // because each one commits atomically - and the next durable commit's fsync
  // (or checkpoint) covers them anyway.
  void CommitBatch(std::vector<std::shared_ptr<Job>>* jobs, bool durable) {
    bool full = durable && options_.sync_full;
    if (full != synchronous_full_) {
      ExecCached(&writer_cache_, writer_,
                 full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      synchronous_full_ = full;
    }
    Status begin = ExecCached(&writer_cache_, writer_, "BEGIN IMMEDIATE");
    if (!begin.ok()) {
      for (const std::shared_ptr<Job>& job : *jobs) Discard(job.get());
      Answer(jobs, std::vector<Status>(jobs->size(), begin));
      return;
    }
    std::vector<Status> results(jobs->size());
    for (size_t i = 0; i < jobs->size(); ++i) {
      Job& job = *(*jobs)[i];
      // A job of one statement is atomic by itself; others get a savepoint
      // so that a failing job leaves the rest of the batch intact.
      bool savepoint = !job.single_statement;
      if (savepoint) results[i] = ExecCached(&writer_cache_, writer_, "SAVEPOINT job");
      if (results[i].ok()) results[i] = job.fn(writer_);
      if (savepoint) {
        if (!results[i].ok()) {
          ExecCached(&writer_cache_, writer_, "ROLLBACK TO job");
          known_columns_.clear();  // a table the job created is gone
        }
        ExecCached(&writer_cache_, writer_, "RELEASE job");
      }
      // Before the next job is run: it must not see what this one did in memory.
      if (!results[i].ok()) Discard(&job);
      // Some errors (a full disk, an I/O error, a trigger's RAISE(ROLLBACK))
      // roll back the whole transaction, not the statement: the jobs before
      // are gone too, and the next SAVEPOINT would open a transaction of its
      // own, committed by its RELEASE while its caller is told it failed.
      if (sqlite3_get_autocommit(writer_)) {
        AbandonBatch(jobs, i, &results);
        return;
      }
    }
    Status commit = ExecCached(&writer_cache_, writer_, "COMMIT");
    if (!commit.ok()) {
      Exec(writer_, "ROLLBACK");
      known_columns_.clear();  // tables created in the batch are gone
    }
    if (!commit.ok()) {
      for (const std::shared_ptr<Job>& job : *jobs) Discard(job.get());
      results.assign(jobs->size(), commit);
    } else {
      for (size_t i = 0; i < jobs->size(); ++i) {
        if (results[i].ok() && (*jobs)[i]->committed) (*jobs)[i]->committed();
      }
    }
    Answer(jobs, results);
  }

  // After the transaction of `jobs` was rolled back as a whole while job
  // `failed` ran: nothing of the batch is stored. That job keeps its error;
  // the others, which may succeed on their own, are told to try again.
  void AbandonBatch(std::vector<std::shared_ptr<Job>>* jobs, size_t failed,
                    std::vector<Status>* results) {
    known_columns_.clear();  // tables created in the batch are gone
    const Status& cause = (*results)[failed];
    const Status others = Status::Unavailable(
        "rolled back with the transaction of another write" +
        (cause.ok() ? std::string() : " (" + cause.message() + ")"));
    for (size_t i = 0; i < jobs->size(); ++i) {
      Discard((*jobs)[i].get());
      if (i != failed || (*results)[i].ok()) (*results)[i] = others;
    }
    Answer(jobs, *results);
  }

  SqliteOptions options_;
  sqlite3* writer_ = nullptr;
  sqlite3* reader_ = nullptr;
  StmtCache writer_cache_;  // writer thread only
  bool synchronous_full_ = true;  // writer thread only
  StmtCache reader_cache_;  // under reader_mu_
  std::mutex reader_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::atomic<int64_t> pending_events_{0};
  std::thread writer_thread_;
  sqlite3* checkpointer_ = nullptr;
  std::condition_variable cv_checkpoint_;
  // The checkpointer caught up with the WAL it saw: the writer finishes.
  std::atomic<bool> finish_checkpoint_{false};
  std::thread checkpoint_thread_;
  std::map<std::string, std::set<std::string>> known_columns_;  // writer thread only
  int lock_fd_ = -1;  // holds the flock of LockDatabase
};

}  // namespace

Status InsertIntoSqliteFile(const std::string& path, const SqlInsert& row, int64_t now_ms,
                            int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqlError(db, rc, "cannot open database '" + path + "'");
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::map<std::string, std::set<std::string>> columns;
  Status s = Exec(db, "BEGIN IMMEDIATE");
  if (s.ok()) {
    s = InsertSqlRow(db, row, now_ms, &columns);
    s = s.ok() ? Exec(db, "COMMIT") : s;
    if (!s.ok()) Exec(db, "ROLLBACK");
  }
  sqlite3_close(db);
  return s;
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>(options);
  Status s = store->Open();
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace server
}  // namespace switchboard
