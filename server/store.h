// The durable store: inbox of received events, their processing state and
// traces, the outbox of actions, throttle firings and dead letters.
//
// Store is the interface the rest of the server uses; SqliteStore is the
// embedded implementation (the only one so far); a PostgreSQL store is to
// implement the same interface.
#ifndef SWITCHBOARD_SERVER_STORE_H_
#define SWITCHBOARD_SERVER_STORE_H_

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/status.h"
#include "switchboard/value.h"

namespace switchboard {
namespace server {

struct StoredEvent {
  std::string id;
  std::string type;
  std::string body;
  int64_t received_ms = 0;
  std::string status;  // "pending" or "processed"
  std::string trace;   // JSON, once processed
};

struct StoredAction {
  int64_t id = 0;
  std::string event_id;
  std::string rule_id;
  int index = 0;  // position in the rule's actions
  std::string type;
  std::string params;           // JSON, rendered (secrets included: needed to run it)
  std::string redacted_params;  // JSON, what may be shown
  std::string contact;          // send_message recipient, for the per-contact cap
  std::string status;           // "pending", "done", "dead"
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// A row for a `sqlite` action into the server's own database.
struct SqlInsert {
  std::string table;
  std::vector<std::pair<std::string, std::string>> values;  // column -> text
  // The action that writes it: its index in ProcessedEvent::actions. Default: -1, none.
  int action = -1;
};

// Everything one processed event changes, committed in one transaction.
struct ProcessedEvent {
  std::string event_id;
  std::string trace;  // JSON
  std::vector<StoredAction> actions;  // new outbox rows (status set by the caller)
  std::vector<SqlInsert> inserts;     // own-database sqlite actions: exactly once
  std::vector<std::pair<std::string, std::string>> firings;  // throttle (rule, key)
  int64_t processed_ms = 0;
  // Not OK when the event could not be processed (memory ran out): nothing of
  // it is committed. Accept then stores the event pending (for the inbox);
  // CommitProcessedAsync fails with it, and the event stays pending.
  Status error;
};

struct ThrottleFiring {
  std::string rule_id;
  std::string key;
  int64_t at_ms = 0;
};

enum class AcceptOutcome { kAccepted, kDuplicate };

struct EventQuery {
  std::string type;  // exact type; "" for all
  int64_t since_ms = 0;
  int64_t until_ms = INT64_MAX;  // exclusive: [since_ms, until_ms)
  int limit = 100;
};

class Store {
 public:
  virtual ~Store() = default;

  // Processes a new event inside the transaction that stores it: called at
  // most once per Accept, only for an id not stored yet, on the store's writer
  // (one call at a time across the store). Returns what to commit with the
  // event; the pointee belongs to the caller (see CommitProcessedAsync).
  using ProcessNewEvent = std::function<ProcessedEvent*()>;
  // Called once when a write will not commit (its statements failed and were
  // rolled back, or its transaction failed to begin or commit), on the
  // store's writer thread before it runs another write - or on the caller's
  // thread when the write was refused before it was queued. What the caller
  // did in memory for the write (throttle firings) can be undone there
  // before any other event is processed against it.
  using Discarded = std::function<void()>;

  // Stores a new event durably. Returns kDuplicate when the id is already
  // stored. kUnavailable when the store is overloaded or the database is busy.
  // With `process`, the event is stored processed, together with what
  // `process` returns, in one transaction (stored pending instead when what
  // it returns has an error); without, it is stored pending. `discarded`
  // (may be empty) runs when what `process` returned is not committed. When
  // the rows of its effects roll the transaction back (a trigger on the table
  // of a `sqlite` action), the event is stored pending in a transaction of its
  // own, and what `process` returned gets that error and loses its effects.
  virtual Result<AcceptOutcome> Accept(const std::string& id, const std::string& type,
                                       const std::string& body, int64_t received_ms,
                                       const ProcessNewEvent& process,
                                       const Discarded& discarded) = 0;
  Result<AcceptOutcome> Accept(const std::string& id, const std::string& type,
                               const std::string& body, int64_t received_ms) {
    return Accept(id, type, body, received_ms, nullptr, nullptr);
  }

  // Events not processed yet, oldest first.
  virtual Result<std::vector<StoredEvent>> PendingEvents(int limit) = 0;
  // Commits one processed pending event (see ProcessedEvent). Several calls
  // made before the first completes share one transaction; each succeeds or
  // fails alone. `*processed` must stay alive until the future is ready: a
  // `sqlite` row that cannot be inserted (a table with an incompatible schema)
  // does not fail the commit, its action is committed dead instead, and
  // `*processed` shows it (status "dead", last_error). `discarded` (may be
  // empty) runs when it was not committed.
  virtual std::future<Status> CommitProcessedAsync(ProcessedEvent* processed,
                                                   Discarded discarded) = 0;
  Status CommitProcessed(ProcessedEvent* processed) {
    return CommitProcessedAsync(processed, nullptr).get();
  }
  // Marks a stored event pending again (replay).
  virtual Status MarkPending(const std::string& event_id) = 0;

  // Outbox actions due at `now_ms`, oldest first. An action is not due while an
  // earlier action of its rule's firing (same event and rule, lower index) is
  // pending: a rule's actions run in order. Without `sends`, no
  // openphone.send_message actions (one is in flight, and they go one at a time).
  virtual Result<std::vector<StoredAction>> DueActions(int64_t now_ms, int limit,
                                                       bool sends = true) = 0;
  // Records an attempt's outcome.
  virtual Status UpdateAction(int64_t id, const std::string& status, int attempts,
                              int64_t next_attempt_ms, const std::string& last_error,
                              int64_t now_ms) = 0;
  // Queues a dead action again: pending now, attempts and age start afresh.
  virtual Status RequeueAction(int64_t id, int64_t now_ms) = 0;
  // Inserts a `sqlite` action's row into this database (a retried action).
  virtual Status InsertRow(const SqlInsert& row, int64_t now_ms) = 0;
  // Messages sent to `contact` since `since_ms` (the per-contact cap).
  virtual Result<int> CountSentTo(const std::string& contact, int64_t since_ms) = 0;

  virtual Result<std::vector<ThrottleFiring>> ThrottleFiringsSince(int64_t since_ms) = 0;

  // Admin queries.
  virtual Result<std::vector<StoredEvent>> ListEvents(const EventQuery& query) = 0;
  virtual Result<std::optional<StoredEvent>> GetEvent(const std::string& id) = 0;
  virtual Result<std::vector<StoredAction>> ActionsForEvent(const std::string& event_id) = 0;
  virtual Result<std::vector<StoredAction>> ListActions(const std::string& status, int limit) = 0;
  virtual Result<std::optional<StoredAction>> GetAction(int64_t id) = 0;

  struct Counts {
    int64_t pending_events = 0;
    int64_t pending_actions = 0;
    int64_t dead_actions = 0;
  };
  virtual Result<Counts> Depths() = 0;

  // Drops processed events received before `before_ms` (and their finished
  // actions) and throttle firings before `throttle_before_ms`.
  virtual Status Prune(int64_t before_ms, int64_t throttle_before_ms) = 0;

  // A cheap query that proves the database answers.
  virtual Status Ping() = 0;
};

struct SqliteOptions {
  std::string path;
  // Stored events not processed yet beyond which Accept answers kUnavailable
  // (the inbox is overloaded). Default: 1000.
  size_t max_pending_events = 1000;
  // How long a write waits for a lock held by another process. Default: 5 s.
  int busy_timeout_ms = 5000;
  // Acknowledged writes (Accept, MarkPending, RequeueAction) are fsynced before
  // they return (synchronous=FULL); false: they are written to the WAL and
  // synced with the next checkpoint: within a second, every 100 ms under load;
  // later while a reader holds an old snapshot (synchronous=NORMAL).
  bool sync_full = true;
  // A WAL larger than this is truncated once writes pause; while they go on it
  // keeps its size (its blocks are reused from the beginning, which syncs
  // faster than a file that grows again). Default: 64 MiB.
  int64_t wal_idle_bytes = int64_t{64} << 20;
};

// Inserts one row into a table of the SQLite file at `path` (a `sqlite` action
// with its own `database`), creating the table and columns it needs.
Status InsertIntoSqliteFile(const std::string& path, const SqlInsert& row, int64_t now_ms,
                            int busy_timeout_ms);

// Opens (creating when needed) the SQLite database in WAL mode. All writes go
// through one writer thread that commits concurrent requests together (group
// commit) in BEGIN IMMEDIATE transactions; Accept's `process` runs there.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_STORE_H_
