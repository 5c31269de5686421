// Processing and delivery:
//  - Processor evaluates events with the current rules. A webhook's event is
//    processed in the transaction that stores it (Processor::Accept): the
//    processed mark, the trace, the outbox rows, the throttle firings and the
//    rows of `sqlite` actions into this database commit with the event. Its
//    thread processes the events that wait in the inbox (replays, and events
//    stored pending by an earlier version) the same way, up to 64 events per
//    group commit, each in a savepoint of its own;
//  - Dispatcher runs due outbox actions, retries with backoff and dead-letters.
#ifndef SWITCHBOARD_SERVER_PIPELINE_H_
#define SWITCHBOARD_SERVER_PIPELINE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "executors.h"
#include "metrics.h"
#include "store.h"
#include "switchboard/engine.h"

namespace switchboard {
namespace server {

class Processor {
 public:
  Processor(Store* store, Metrics* metrics) : store_(store), metrics_(metrics) {}
  ~Processor() { Stop(); }

  // Loads the throttle state and starts the thread that works off the inbox.
  Status Start(std::shared_ptr<const RuleSet> rules);
  // Finishes the event in hand and stops.
  void Stop();
  // Wakes the inbox thread: events were marked pending.
  void Notify();
  // Wakes the inbox thread for event `id`, marked pending by a replay: if it
  // waits for a retry after failing, it is tried at once.
  void Replayed(const std::string& id);

  void SetRules(std::shared_ptr<const RuleSet> rules);
  std::shared_ptr<const RuleSet> rules() const;
  // How long throttle firings must be kept: 31 days, or the longest throttle
  // window (`per`) of the current rules when that is longer.
  std::chrono::milliseconds ThrottleHorizon() const {
    return std::chrono::milliseconds(throttle_horizon_ms_.load());
  }

  // Drops the in-memory throttle firings older than `before` (serve calls it
  // with the database's pruning, now - ThrottleHorizon()): no window reaches
  // them, and a server that runs for months would otherwise keep them all.
  void PruneThrottles(TimeStamp before) { throttle_.Prune(before); }

  // Called after each commit that queued outbox actions.
  void OnActionsQueued(std::function<void()> callback) { on_actions_ = std::move(callback); }

  // Stores a webhook's event (parsed from `body`) and processes it in the same
  // transaction; a duplicate id processes nothing. The answer to the webhook.
  Result<AcceptOutcome> Accept(const std::string& id, const std::string& type,
                               const std::string& body, const Event& event, int64_t received_ms);

  // Evaluates one event into what the store commits with it (no commit).
  ProcessedEvent Process(const std::string& id, const Event& event, const RuleSet& rules,
                         TimeStamp now);

 private:
  void Loop();
  // Adds the stored throttle firings within ThrottleHorizon() that memory does
  // not hold (at start, all; after a reload made the horizon longer, the older
  // ones); under process_mu_.
  Status LoadThrottles();
  // Takes back the in-memory firings of an event whose transaction did not
  // commit (Store::Discarded): on the store's writer thread, before it runs
  // another write, so no webhook evaluated later counts them (the inbox
  // thread's batch is evaluated before it commits: one of its events may be
  // throttled by another's firing that is then discarded, a missed reply).
  void ForgetFirings(const ProcessedEvent& processed);
  // After a commit: counts the actions that were settled at evaluation (dead
  // or written into this database) and wakes the dispatcher for the others.
  void Committed(const ProcessedEvent& processed);

  Store* store_;
  Metrics* metrics_;
  mutable std::mutex rules_mu_;
  std::shared_ptr<const RuleSet> rules_;
  std::function<void()> on_actions_;

  // Evaluation and the in-memory throttle state: evaluations run one at a
  // time, so that two events cannot both pass a throttle that admits one.
  std::mutex process_mu_;
  InMemoryThrottleStore throttle_;
  // The horizon grew (SetRules): memory lacks the older stored firings, which
  // the next evaluation loads first.
  std::atomic<bool> throttles_stale_{false};
  std::atomic<int64_t> throttle_horizon_ms_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  std::vector<std::string> replayed_;  // Replayed: due at once
  bool stopping_ = false;
  std::thread thread_;
};

struct DispatchOptions {
  ExecutorOptions executor;
  int max_attempts = 8;
  std::chrono::milliseconds backoff_initial{5000};
  std::chrono::milliseconds backoff_max{3600 * 1000};
  std::chrono::milliseconds max_age{24 * 3600 * 1000};
  double rate_per_second = 10;  // openphone.send_message per API key
  int per_contact_limit = 5;
  std::chrono::milliseconds per_contact_window{3600 * 1000};
  int threads = 2;
};

class Dispatcher {
 public:
  Dispatcher(Store* store, Metrics* metrics, DispatchOptions options)
      : store_(store), metrics_(metrics), options_(std::move(options)) {}
  ~Dispatcher() { Stop(); }

  void Start();
  // Lets running actions finish, then stops.
  void Stop();
  void Notify();

  // The delay before attempt `attempt` + 1 (attempt >= 1): backoff_initial doubled
  // per attempt, times a random factor from 1 to 1.5, at most backoff_max; at
  // backoff_max, a random point of its last quarter (not below backoff_initial).
  std::chrono::milliseconds Backoff(int attempt);

  // Adds environment variables whose values an action's error must not show
  // (RuleSet::env_names of each rule set loaded: actions queued under an older
  // one still run; an endpoint may echo a token that a template put inside a
  // longer text). Thread-safe.
  void AddSecretEnv(const std::vector<std::string>& names);

 private:
  void Loop();
  void RunOne(const StoredAction& action);
  // Stores an action's outcome, trying again while the database refuses it.
  void Record(int64_t id, const std::string& status, int attempts, int64_t next_attempt_ms,
              const std::string& error, int64_t now_ms);
  // Blocks until a send is allowed by the per-key rate limit.
  void AwaitSendToken();

  Store* store_;
  Metrics* metrics_;
  DispatchOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stopping_ = false;
  std::set<int64_t> claimed_;  // actions in flight
  // A send is in flight: the other threads leave sends alone (they go one at a
  // time) and take other actions, rather than wait on send_mu_ while the API
  // is slow to answer.
  bool send_claimed_ = false;
  std::vector<std::thread> threads_;

  std::mutex send_mu_;  // sends one message at a time: rate limit and per-contact cap
  std::chrono::steady_clock::time_point next_send_{};
  std::mutex random_mu_;
  std::mt19937_64 random_{std::random_device{}()};
  std::mutex secret_env_mu_;
  std::set<std::string> secret_env_;
};

int64_t NowMs();

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_PIPELINE_H_
