#include "pipeline.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "log.h"
#include "thread_name.h"
#include "trace.h"

namespace switchboard {
namespace server {

namespace {

// Throttle firings are kept at least this long, longer when a rule's window is.
constexpr std::chrono::hours kMinThrottleHorizon{24 * 31};
constexpr int kBatch = 64;
// An event whose processing failed by its own doing is tried again after 1 s,
// then after twice as long each time, at most every 5 minutes; at most
// kMaxRetrying such events are paced (each widens the inbox's read by one),
// any more are retried with a pause of a second between passes, as are the
// events that failed for the database's sake (busy, or rolled back by
// another write).
constexpr std::chrono::seconds kFirstRetryDelay{1};
constexpr std::chrono::seconds kMaxRetryDelay{300};
constexpr size_t kMaxRetrying = 1024;

// A `sqlite` action without a `database`, or with one that renders empty, writes
// into the server's own database (in the event's transaction, or on a retry by
// hand in one of its own).
bool IntoOwnDatabase(const Value& params) {
  const Value* database = params.Find("database");
  return database == nullptr || database->ToText().empty();
}

// Forwards firings to the in-memory state and remembers them for the commit.
class RecordingThrottle : public ThrottleStore {
 public:
  explicit RecordingThrottle(ThrottleStore* target) : target_(target) {}
  int CountSince(std::string_view rule_id, std::string_view key, TimeStamp since) const override {
    return target_->CountSince(rule_id, key, since);
  }
  void Record(std::string_view rule_id, std::string_view key, TimeStamp at) override {
    target_->Record(rule_id, key, at);
    recorded.emplace_back(std::string(rule_id), std::string(key));
  }
  std::vector<std::pair<std::string, std::string>> recorded;

 private:
  ThrottleStore* target_;
};

// The parameter values that were redacted for display: secrets.
void CollectSecrets(const Value& params, const Value& redacted, std::vector<std::string>* out) {
  if (params.is_object() && redacted.is_object()) {
    for (const auto& [name, value] : params.as_object()) {
      if (const Value* shown = redacted.Find(name)) CollectSecrets(value, *shown, out);
    }
  } else if (params.is_array() && redacted.is_array() &&
             params.as_array().size() == redacted.as_array().size()) {
    for (size_t i = 0; i < params.as_array().size(); ++i) {
      CollectSecrets(params.as_array()[i], redacted.as_array()[i], out);
    }
  } else if (redacted.is_string() && params != redacted) {
    // A secret number or list (a custom type's) is redacted as a string too.
    const std::string secret = params.ToText();
    out->push_back(secret);
    // "Token tok-123", "Bearer ...": an endpoint that echoes the credential
    // echoes it without the scheme.
    const size_t space = secret.find(' ');
    const size_t credential =
        space == std::string::npos ? space : secret.find_first_not_of(' ', space);
    if (credential != std::string::npos) out->push_back(secret.substr(credential));
  }
}

// Replaces every secret in `text` (an endpoint may echo a token back in its
// error message) with "[redacted]", the longest first (one may contain another).
void Scrub(std::vector<std::string> secrets, std::string* text) {
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;  // too short to be a credential; would mangle text
    for (size_t at = text->find(secret); at != std::string::npos;
         at = text->find(secret, at + 10)) {
      text->replace(at, secret.size(), "[redacted]");
    }
  }
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- Processor ----

Status Processor::Start(std::shared_ptr<const RuleSet> rules) {
  SetRules(std::move(rules));
  {
    std::lock_guard<std::mutex> lock(process_mu_);
    throttles_stale_ = false;  // loaded here, with the horizon SetRules set
    Status s = LoadThrottles();
    if (!s.ok()) return s;
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

Status Processor::LoadThrottles() {
  auto since = std::chrono::system_clock::now() - ThrottleHorizon();
  auto firings = store_->ThrottleFiringsSince(
      std::chrono::duration_cast<std::chrono::milliseconds>(since.time_since_epoch()).count());
  if (!firings.ok()) return firings.status();
  // Memory is not replaced: it also holds the firings of events whose
  // transaction has not committed yet, which the database does not show.
  // Each stored (rule, key, time) is added as often as the database has it
  // more than memory does (memory and database both count milliseconds), a
  // key at a time under the store's lock.
  std::map<std::pair<std::string_view, std::string_view>, std::vector<TimeStamp>> stored;
  for (const ThrottleFiring& f : *firings) {
    stored[{f.rule_id, f.key}].emplace_back(std::chrono::milliseconds(f.at_ms));
  }
  for (auto& [firing, times] : stored) {
    throttle_.RecordMissing(firing.first, firing.second, std::move(times));
  }
  return Status::OK();
}

void Processor::ForgetFirings(const ProcessedEvent& processed) {
  const TimeStamp at{std::chrono::milliseconds(processed.processed_ms)};
  for (const auto& [rule_id, key] : processed.firings) throttle_.Forget(rule_id, key, at);
}

void Processor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Processor::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void Processor::Replayed(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
    if (replayed_.size() < kMaxRetrying) replayed_.push_back(id);
  }
  cv_.notify_one();
}

void Processor::SetRules(std::shared_ptr<const RuleSet> rules) {
  std::chrono::milliseconds horizon = kMinThrottleHorizon;
  if (rules != nullptr) {
    for (const RuleInfo& rule : rules->rules()) horizon = std::max(horizon, rule.throttle_per);
  }
  std::lock_guard<std::mutex> lock(rules_mu_);
  rules_ = std::move(rules);
  // A longer window than before needs the firings the old horizon left out
  // of memory (the database keeps them until the next prune).
  if (horizon.count() > throttle_horizon_ms_.exchange(horizon.count())) throttles_stale_ = true;
}

std::shared_ptr<const RuleSet> Processor::rules() const {
  std::lock_guard<std::mutex> lock(rules_mu_);
  return rules_;
}

namespace {

int64_t ToMs(TimeStamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A stored body that does not parse (intake only stores valid JSON objects, so
// this is a damaged database): processed with the error as its trace, rather
// than blocking the inbox.
ProcessedEvent Unparseable(const std::string& id, const Status& error, TimeStamp now) {
  ProcessedEvent p;
  p.event_id = id;
  p.processed_ms = ToMs(now);
  Value trace{Value::Object()};
  trace.Set("error", Value(error.message()));
  p.trace = trace.ToJson();
  return p;
}

}  // namespace

namespace {

// The outbox row of action `i` of `fired`; a `sqlite` action into this
// database also adds its row to p->inserts.
StoredAction ToStoredAction(const std::string& id, const FiredRule& fired, size_t i,
                            ProcessedEvent* p) {
  const FiredAction& a = fired.actions[i];
  StoredAction action;
  action.event_id = id;
  action.rule_id = fired.rule_id;
  action.index = static_cast<int>(i);
  action.type = a.type;
  action.params = a.params.ToJson();
  action.redacted_params = a.has_redacted_copy() ? a.redacted_params().ToJson() : action.params;
  action.next_attempt_ms = p->processed_ms;
  if (a.type == "openphone.send_message") {
    if (const Value* to = a.params.Find("to")) action.contact = to->ToText();
  }
  if (!a.error.empty()) {
    action.status = "dead";
    action.last_error = a.error;
  } else if (a.type == "sqlite" && IntoOwnDatabase(a.params)) {
    // Into this database: in the same transaction, so exactly once.
    SqlInsert row;
    row.action = static_cast<int>(p->actions.size());
    row.table = a.params.Find("table")->ToText();
    for (const auto& [column, value] : a.params.Find("values")->as_object()) {
      row.values.emplace_back(column, value.ToText());
    }
    p->inserts.push_back(std::move(row));
    action.status = "done";
    action.attempts = 1;
  } else {
    action.status = "pending";
  }
  return action;
}

}  // namespace

ProcessedEvent Processor::Process(const std::string& id, const Event& event, const RuleSet& rules,
                                  TimeStamp now) {
  // Firings are kept in milliseconds, in memory as in the database: ForgetFirings
  // and LoadThrottles find them by their time.
  now = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  ProcessedEvent p;
  p.event_id = id;
  p.processed_ms = ToMs(now);
  std::lock_guard<std::mutex> lock(process_mu_);
  // Cleared before the horizon is read: a SetRules that makes it longer
  // meanwhile marks it again, for the next evaluation.
  if (throttles_stale_.exchange(false)) {
    Status s = LoadThrottles();
    if (!s.ok()) {
      throttles_stale_ = true;
      LogWarning("loading the throttle state failed: " + s.message());
    }
  }
  RecordingThrottle throttle(&throttle_);
  // Memory that runs out fails the event (it is processed again later), never
  // one action; what was recorded in memory is taken back when the store
  // discards the write (ForgetFirings), so p.firings must hold it.
  try {
    EvalOptions options;
    options.now = now;
    options.throttle = &throttle;
    options.explain = true;  // the trace says why the other rules did not fire
    Evaluation evaluation = rules.Evaluate(event, options);
    if (!evaluation.error.ok()) {
      p.error = evaluation.error;  // nothing fired, and nothing was recorded
      return p;
    }
    Status recorded = rules.RecordFirings(evaluation, now, &throttle);
    p.firings = std::move(throttle.recorded);
    if (!recorded.ok()) {
      p.error = Status::Unavailable("recording the throttle firings failed: " + recorded.message());
      return p;
    }
    p.trace = EvaluationToValue(evaluation, /*details=*/false).ToJson();
    for (const FiredRule& fired : evaluation.fired) {
      metrics_->CountRuleFired(fired.rule_id);
      for (size_t i = 0; i < fired.actions.size(); ++i) {
        p.actions.push_back(ToStoredAction(id, fired, i, &p));
      }
    }
  } catch (const std::bad_alloc&) {
    if (p.firings.empty()) p.firings = std::move(throttle.recorded);
    p.actions.clear();
    p.inserts.clear();
    p.error = Status::Unavailable("out of memory while processing the event");
  }
  return p;
}

Result<AcceptOutcome> Processor::Accept(const std::string& id, const std::string& type,
                                        const std::string& body, const Event& event,
                                        int64_t received_ms) {
  std::shared_ptr<const RuleSet> rules = this->rules();
  if (rules == nullptr) {  // not started: the event waits in the inbox
    auto accepted = store_->Accept(id, type, body, received_ms);
    if (accepted.ok() && *accepted == AcceptOutcome::kAccepted) Notify();
    return accepted;
  }
  ProcessedEvent processed;  // stays empty unless the store calls back
  auto accepted = store_->Accept(
      id, type, body, received_ms,
      [&]() -> ProcessedEvent* {
        processed = Process(id, event, *rules, std::chrono::system_clock::now());
        return &processed;
      },
      [&] { ForgetFirings(processed); });
  if (!accepted.ok()) return accepted;
  if (*accepted == AcceptOutcome::kAccepted) {
    if (!processed.error.ok()) {
      // Stored pending (Store::Accept): the inbox processes it later.
      LogWarning("event " + OneLine(id) + " stored unprocessed: " + processed.error.message());
      Notify();
    }
    Committed(processed);
  }
  return accepted;
}

void Processor::Committed(const ProcessedEvent& processed) {
  bool queued = false;
  for (const StoredAction& a : processed.actions) {
    if (a.status == "dead") {
      // As the dispatcher logs the actions it dead-letters (the record is one
      // line: the event id comes from the webhook, the error may quote it).
      LogWarning("action " + std::to_string(a.index + 1) + " of rule " + a.rule_id + " (" +
                 a.type + ", event " + OneLine(a.event_id) +
                 ") dead-lettered when the event was processed: " + OneLine(a.last_error));
      metrics_->CountAction(a.type, "dead");
    } else if (a.status == "done") {
      metrics_->CountAction(a.type, "succeeded");
    } else {
      queued = true;
    }
  }
  if (queued && on_actions_) on_actions_();
}

void Processor::Loop() {
  NameThisThread("sb-inbox");
  using Clock = std::chrono::steady_clock;
  struct Retry {
    int failures = 0;
    Clock::time_point at;
  };
  // Events whose processing failed by their own doing, by id, and when each
  // is tried again: an event that fails every time (memory runs out on it, a
  // trigger rolls its transaction back) must neither be retried without pause
  // nor, once 64 of them fill the read, hold the events behind them back.
  std::unordered_map<std::string, Retry> retrying;
  bool one_at_a_time = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      for (const std::string& id : replayed_) {
        auto it = retrying.find(id);
        if (it != retrying.end()) it->second.at = Clock::time_point();
      }
      replayed_.clear();
    }
    // The read reaches past the events that wait for their retry.
    const int limit = kBatch + static_cast<int>(retrying.size());
    auto pending = store_->PendingEvents(limit);
    if (!pending.ok()) {
      LogWarning("reading the inbox failed: " + pending.status().message());
    }
    const Clock::time_point now = Clock::now();
    Clock::time_point wake_at = now + std::chrono::seconds(1);
    // Events that failed before go alone, each in a transaction of its own:
    // in a batch, one that fails again would roll back the others with it.
    std::vector<StoredEvent> retries;
    std::vector<StoredEvent> fresh;
    if (pending.ok()) {
      if (pending->size() < static_cast<size_t>(limit)) {
        // Every pending event was read: forget those no longer pending.
        std::unordered_set<std::string_view> ids;
        for (const StoredEvent& e : *pending) ids.insert(e.id);
        for (auto it = retrying.begin(); it != retrying.end();) {
          it = ids.count(it->first) ? std::next(it) : retrying.erase(it);
        }
      }
      for (StoredEvent& e : *pending) {
        if (retries.size() + fresh.size() >= static_cast<size_t>(kBatch)) break;
        auto it = retrying.find(e.id);
        if (it == retrying.end()) {
          fresh.push_back(std::move(e));
        } else if (it->second.at <= now) {
          retries.push_back(std::move(e));
        } else {
          wake_at = std::min(wake_at, it->second.at);
        }
      }
    }
    if (retries.empty() && fresh.empty()) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, wake_at, [&] { return stopping_ || wake_; });
      wake_ = false;
      continue;
    }
    std::shared_ptr<const RuleSet> rules = this->rules();
    bool failed = false;
    bool pause = false;  // a failure to be retried after a second, not paced
    // `own`: the failure is the event's: its processing failed, or alone its
    // commit did for a reason other than a busy database or another write
    // that rolled back the transaction they shared (kUnavailable: nothing of
    // the event's doing, and the next pass tries again).
    auto retry_later = [&](const std::string& id, const std::string& error, bool own,
                           bool alone) {
      failed = true;
      std::string when;
      if (own && (retrying.size() < kMaxRetrying || retrying.count(id))) {
        Retry& r = retrying[id];
        ++r.failures;
        auto delay = kMaxRetryDelay;
        if (r.failures <= 20) delay = std::min(delay, kFirstRetryDelay * (1 << (r.failures - 1)));
        r.at = Clock::now() + delay;
        when = "tried again in " + std::to_string(delay.count()) + " s (failure " +
               std::to_string(r.failures) + ")";
      } else if (own || alone) {
        pause = true;
        when = "tried again in 1 s";
      } else {
        when = "tried again in the next pass, alone";
      }
      LogError("processing event " + OneLine(id) + " failed: " + error + "; " + when);
    };
    // Processes and commits `count` events from `events` + `first`, together.
    auto run = [&](std::vector<StoredEvent>& events, size_t first, size_t count) {
      const bool alone = count == 1;
      std::vector<ProcessedEvent> processed;
      processed.reserve(count);
      for (size_t i = first; i < first + count; ++i) {
        const StoredEvent& stored = events[i];
        auto event = Event::Parse(stored.body);
        auto at = std::chrono::system_clock::now();
        if (!event.ok() && event.status().code() == StatusCode::kUnavailable) {
          // Memory ran out: no fault of the event, which stays pending.
          retry_later(stored.id, event.status().message(), true, alone);
          continue;
        }
        processed.push_back(event.ok() ? Process(stored.id, *event, *rules, at)
                                       : Unparseable(stored.id, event.status(), at));
      }
      std::vector<std::future<Status>> commits;
      for (ProcessedEvent& p : processed) {
        commits.push_back(store_->CommitProcessedAsync(&p, [this, &p] { ForgetFirings(p); }));
      }
      for (size_t i = 0; i < commits.size(); ++i) {
        Status s = commits[i].get();
        const ProcessedEvent& p = processed[i];
        if (s.ok()) {
          retrying.erase(p.event_id);
          Committed(p);
        } else if (!p.error.ok()) {
          retry_later(p.event_id, s.message(), true, alone);
        } else {
          retry_later(p.event_id, "committing it failed: " + s.message(),
                      alone && s.code() != StatusCode::kUnavailable, alone);
        }
      }
    };
    for (size_t i = 0; i < retries.size(); ++i) run(retries, i, 1);
    // Together, one transaction for the batch, or each alone: after a pass
    // with a failure, one event per transaction, since an error that rolls
    // back a whole transaction fails its whole batch (store.h), which says
    // nothing of which event caused it.
    const size_t step = one_at_a_time ? 1 : std::max<size_t>(fresh.size(), 1);
    for (size_t first = 0; first < fresh.size(); first += step) {
      run(fresh, first, std::min(step, fresh.size() - first));
    }
    one_at_a_time = failed;
    if (pause) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
    }
  }
}

// ---- Dispatcher ----

void Dispatcher::Start() {
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { Loop(); });
  }
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Dispatcher::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void Dispatcher::AddSecretEnv(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(secret_env_mu_);
  secret_env_.insert(names.begin(), names.end());
}

std::chrono::milliseconds Dispatcher::Backoff(int attempt) {
  double base = static_cast<double>(options_.backoff_initial.count());
  double cap = static_cast<double>(options_.backoff_max.count());
  double delay = base;
  for (int i = 1; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  // The jitter lengthens the delay by up to half, never past the cap: a retry
  // never comes sooner than `backoff.initial` (doubled per attempt) says. At the
  // cap it spreads the delay over its last quarter instead (still never below
  // `backoff.initial`), so that actions that failed together do not retry in
  // lockstep.
  double low = delay;
  double high = std::min(cap, delay * 1.5);
  if (high <= low) low = std::max(base, cap * 0.75);
  std::lock_guard<std::mutex> lock(random_mu_);
  std::uniform_real_distribution<double> jitter(low, high);
  return std::chrono::milliseconds(static_cast<int64_t>(jitter(random_)));
}

void Dispatcher::Loop() {
  NameThisThread("sb-dispatch");
  for (;;) {
    StoredAction next;
    bool found = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      // While a send is in flight, a backlog of sends must not fill the page.
      auto due = store_->DueActions(NowMs(), 64, /*sends=*/!send_claimed_);
      if (due.ok()) {
        for (StoredAction& a : *due) {
          if (claimed_.count(a.id)) continue;
          const bool send = a.type == "openphone.send_message";
          if (send && send_claimed_) continue;
          if (send) send_claimed_ = true;
          claimed_.insert(a.id);
          next = std::move(a);
          found = true;
          break;
        }
      } else {
        LogWarning("reading the outbox failed: " + due.status().message());
      }
      if (!found) {
        cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_ || wake_; });
        wake_ = false;
        continue;
      }
    }
    RunOne(next);
    std::lock_guard<std::mutex> lock(mu_);
    claimed_.erase(next.id);
    if (next.type == "openphone.send_message") {
      send_claimed_ = false;
      wake_ = true;  // another thread may have passed the next send over
      cv_.notify_all();
    }
  }
}

void Dispatcher::AwaitSendToken() {
  auto now = std::chrono::steady_clock::now();
  auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / std::max(0.001, options_.rate_per_second)));
  if (next_send_ > now) std::this_thread::sleep_until(next_send_);
  next_send_ = std::max(now, next_send_) + interval;
}

void Dispatcher::RunOne(const StoredAction& action) {
  auto params = Value::FromJson(action.params);
  auto redacted = Value::FromJson(action.redacted_params);
  int attempts = action.attempts + 1;
  ExecResult result;
  if (!params.ok() || !redacted.ok()) {
    result = ExecResult::Permanent("stored parameters are not valid JSON");
  } else if (action.type == "openphone.send_message") {
    std::lock_guard<std::mutex> lock(send_mu_);
    auto sent = store_->CountSentTo(action.contact,
                                    NowMs() - options_.per_contact_window.count());
    if (!sent.ok()) {
      result = ExecResult::Retry(sent.status().message());
    } else if (*sent >= options_.per_contact_limit) {
      result = ExecResult::Permanent(
          "per-contact limit reached: " + std::to_string(*sent) + " messages to " +
          action.contact + " in the last " +
          std::to_string(options_.per_contact_window.count() / 60000) + " min");
    } else {
      AwaitSendToken();
      result = ExecuteAction(options_.executor, action.type, *params, *redacted);
      if (result.kind == ExecResult::Kind::kOk) {
        // Count it before the next send reads the cap.
        Record(action.id, "done", attempts, 0, "", NowMs());
        metrics_->CountAction(action.type, "succeeded");
        return;
      }
    }
  } else if (action.type == "sqlite" && IntoOwnDatabase(*params)) {
    // Into this database (an action retried by hand after its insert failed).
    SqlInsert row;
    const Value* table = params->Find("table");
    const Value* values = params->Find("values");
    row.table = table ? table->ToText() : "";
    if (values && values->is_object()) {
      for (const auto& [column, value] : values->as_object()) {
        row.values.emplace_back(column, value.ToText());
      }
    }
    Status s = store_->InsertRow(row, NowMs());
    result = s.ok() ? ExecResult::Ok()
             : s.code() == StatusCode::kUnavailable ? ExecResult::Retry(s.message())
                                                    : ExecResult::Permanent(s.message());
  } else {
    result = ExecuteAction(options_.executor, action.type, *params, *redacted);
  }

  if (!result.error.empty()) {
    std::vector<std::string> secrets = {options_.executor.api_key};
    if (params.ok() && redacted.ok()) CollectSecrets(*params, *redacted, &secrets);
    {
      std::lock_guard<std::mutex> lock(secret_env_mu_);
      for (const std::string& name : secret_env_) {
        if (const char* value = std::getenv(name.c_str())) secrets.emplace_back(value);
      }
    }
    Scrub(std::move(secrets), &result.error);
  }
  int64_t now = NowMs();
  std::string status;
  int64_t next_attempt = 0;
  std::string outcome;
  switch (result.kind) {
    case ExecResult::Kind::kOk:
      status = "done";
      outcome = "succeeded";
      break;
    case ExecResult::Kind::kRetry: {
      // No attempt runs after max_age (counted from when the action was
      // queued): a reply sent days late is worse than none. A delay that
      // would take the next attempt past it gives up now, with the error.
      const int64_t deadline = action.created_ms + options_.max_age.count();
      std::string gave_up;
      if (attempts >= options_.max_attempts) {
        gave_up = "after " + std::to_string(attempts) + " attempts";
      } else if (now >= deadline) {
        gave_up = "older than actions.max_age";
      } else {
        const auto backoff = Backoff(attempts);
        const bool asked = result.retry_after && *result.retry_after > backoff;
        const auto delay = asked ? *result.retry_after : backoff;
        next_attempt = now + delay.count();
        if (next_attempt > deadline) {
          gave_up = asked ? "Retry-After " + std::to_string(delay.count() / 1000) +
                                " s is beyond actions.max_age"
                          : "the next attempt would come after actions.max_age";
        }
      }
      if (!gave_up.empty()) {
        status = "dead";
        outcome = "dead";
        next_attempt = 0;
        result.error += " (gave up: " + gave_up + ")";
      } else {
        status = "pending";
        outcome = "retried";
      }
      break;
    }
    case ExecResult::Kind::kPermanent:
      status = "dead";
      outcome = "dead";
      break;
  }
  if (status == "dead") {
    // The event id comes from the webhook and the error from the other side's
    // answer (an HTML error page, say): escaped, so that the record stays one line.
    LogWarning("action " + std::to_string(action.id) + " (" + action.type + ", rule " +
               action.rule_id + ", event " + OneLine(action.event_id) +
               ") dead-lettered: " + OneLine(result.error));
  }
  metrics_->CountAction(action.type, outcome);
  Record(action.id, status, attempts, next_attempt, result.error, now);
}

void Dispatcher::Record(int64_t id, const std::string& status, int attempts, int64_t next_attempt_ms,
                        const std::string& error, int64_t now_ms) {
  // What happened has happened (a message went out, say): while the database
  // cannot take it (locked by a backup, say), it is tried again, every second,
  // rather than left as it was, due, which would run the action again at once.
  // Only a stop gives up; the action then runs again after the restart (at
  // least once).
  for (int tries = 1;; ++tries) {
    Status s = store_->UpdateAction(id, status, attempts, next_attempt_ms, error, now_ms);
    if (s.ok()) {
      if (tries > 1) LogInfo("recorded action " + std::to_string(id) + " as " + status);
      return;
    }
    if (tries == 1) {
      LogError("recording action " + std::to_string(id) + ": " + s.message() +
               " (trying again every second)");
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; })) {
      LogError("action " + std::to_string(id) + " not recorded as " + status +
               " before the stop: it runs again after the restart");
      return;
    }
  }
}

}  // namespace server
}  // namespace switchboard
