// Fault injection against the real server (SPEC.md sections 3 and 4, delivery).
//
// One run: ~100 signed `message.received` events, each firing three actions
// (`openphone.send_message` to a fake OpenPhone API, `http` to a fake generic endpoint,
// `sqlite` into the server's own database). The fakes misbehave at random, seeded and
// reproducible: every action gets a plan (succeed, fail a few times then succeed,
// always 400, always 500, always 429 with Retry-After, always drop the connection
// without answering, always hang past actions.timeout). Meanwhile another connection
// holds the database with BEGIN EXCLUSIVE twice (3 s, then 11 s: longer than twice the
// server's 5 s busy timeout, so a whole write batch fails, webhooks get 503 and the
// pipeline's writes fail);
// the webhook clients retry every event until it gets 200, like OpenPhone.
//
// Then the LEDGER: once inbox and outbox are drained, from the database (read-only)
// and the fakes' records: every event answered 200 is stored and processed with exactly
// the actions the rule requires and nothing else; every action is done (and the fake
// answered it 2xx at least once) or dead with a last_error that matches the injected
// failure (4xx: permanent after 1 attempt; retryable kinds: attempts == max_attempts);
// nothing is pending; the own-database `sqlite` rows exist exactly once.
//
// SWITCHBOARD_FAULT_SEED=<n> reproduces a run (the seed is printed and recorded).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "fault_harness.h"
#include "switchboard/value.h"

namespace {

using namespace switchboard_fault;
using switchboard::Value;

constexpr int kEvents = 100;
constexpr int kMaxAttempts = 5;
constexpr int kHangMs = 1500;  // actions.timeout is 500ms

enum class Plan { kOk, kFlaky, k400, k500, k429, kDrop, kHang };

const char* PlanName(Plan p) {
  switch (p) {
    case Plan::kOk: return "ok";
    case Plan::kFlaky: return "flaky";
    case Plan::k400: return "always-400";
    case Plan::k500: return "always-500";
    case Plan::k429: return "always-429";
    case Plan::kDrop: return "always-drop";
    case Plan::kHang: return "always-hang";
  }
  return "?";
}

struct ActionPlan {
  Plan plan = Plan::kOk;
  int fail_first = 0;  // kFlaky: the first N requests fail (N < max_attempts)
};

uint64_t Seed() {
  const char* env = std::getenv("SWITCHBOARD_FAULT_SEED");
  return env && *env ? std::strtoull(env, nullptr, 10) : 20260105ull;
}

// The plan of one action, from the seed and the action's identity ("send:EV..." or
// "http:EV...") alone, so that it does not depend on timing.
ActionPlan PlanFor(uint64_t seed, const std::string& action_key) {
  std::mt19937_64 rng(StableHash(action_key, seed));
  int roll = static_cast<int>(rng() % 100);
  ActionPlan p;
  if (roll < 42) p.plan = Plan::kOk;
  else if (roll < 72) p.plan = Plan::kFlaky, p.fail_first = 1 + static_cast<int>(rng() % 3);
  else if (roll < 80) p.plan = Plan::k400;
  else if (roll < 85) p.plan = Plan::k500;
  else if (roll < 90) p.plan = Plan::k429;
  else if (roll < 95) p.plan = Plan::kDrop;
  else p.plan = Plan::kHang;
  return p;
}

FakeReply Status500() {
  return FakeReply::Answer(500, R"({"message":"Internal error","code":"0500000","status":500})");
}
FakeReply Status429() {
  FakeReply r = FakeReply::Answer(429, R"({"message":"Too many requests","code":"0429000","status":429})");
  r.headers = {{"Retry-After", "1"}, {"Content-Type", "application/json"}};
  return r;
}
FakeReply Status400() {
  FakeReply r = FakeReply::Answer(
      400, R"({"message":"A2P Registration Not Approved","code":"0206400","status":400})");
  r.headers = {{"Content-Type", "application/json"}};
  return r;
}
FakeReply Success(int status) {
  FakeReply r = FakeReply::Answer(status, status == 202 ? R"({"data":{"id":"AC1","status":"queued"}})" : "");
  r.headers = {{"Content-Type", "application/json"}};
  return r;
}

// The reply for the nth request of an action with plan `p`.
FakeReply ReplyFor(uint64_t seed, const std::string& action_key, const ActionPlan& p, int nth,
                   int success_status) {
  switch (p.plan) {
    case Plan::kOk: return Success(success_status);
    case Plan::k400: return Status400();
    case Plan::k500: return Status500();
    case Plan::k429: return Status429();
    case Plan::kDrop: return FakeReply::Drop();
    case Plan::kHang: return FakeReply::Hang(kHangMs);
    case Plan::kFlaky: {
      if (nth >= p.fail_first) return Success(success_status);
      std::mt19937_64 rng(StableHash(action_key + "#" + std::to_string(nth), seed));
      switch (rng() % 4) {
        case 0: return Status500();
        case 1: return Status429();
        case 2: return FakeReply::Drop();
        default: return FakeReply::Hang(kHangMs);
      }
    }
  }
  return Success(success_status);
}

std::string EventIdOfSend(const FakeRequest& r) {
  auto json = Value::FromJson(r.body);
  if (!json.ok()) return "";
  const Value* content = json->Find("content");
  if (!content || !content->is_string()) return "";
  const std::string& c = content->as_string();
  return c.rfind("msg ", 0) == 0 ? c.substr(4) : "";
}
std::string EventIdOfHook(const FakeRequest& r) {
  return r.path.rfind("/hook/", 0) == 0 ? r.path.substr(6) : "";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Faults : public LedgerFixture {
 protected:
  Faults() : LedgerFixture("switchboard-faults-") {}

  void WriteConfig(const std::string& api_base) {
    ServerConfig c = LedgerConfig();
    c.max_attempts = kMaxAttempts;
    c.action_timeout = "500ms";
    c.Write(dir_, port_, api_base);
  }

  void StartServer() {
    ASSERT_TRUE(server_.Spawn((dir_ / "switchboard.yaml").string(), (dir_ / "server.log").string()));
    ASSERT_TRUE(WaitReady(server_, port_, 15s)) << LogTail(dir_ / "server.log");
  }
};

TEST_F(Faults, LedgerBalancesUnderInjectedFaultsAndADatabaseLock) {
  const uint64_t seed = Seed();
  std::printf("faults: seed %llu (SWITCHBOARD_FAULT_SEED=%llu reproduces the plans)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  RecordProperty("seed", std::to_string(seed));

  FaultyHttp api([&](const FakeRequest& r, int nth) {
    std::string id = EventIdOfSend(r);
    if (r.method != "POST" || r.path != "/v1/messages" || id.empty()) return FakeReply::Answer(404);
    std::string key = "send:" + id;
    return ReplyFor(seed, key, PlanFor(seed, key), nth, 202);
  });
  FaultyHttp hook([&](const FakeRequest& r, int nth) {
    std::string id = EventIdOfHook(r);
    if (id.empty()) return FakeReply::Answer(404);
    std::string key = "http:" + id;
    return ReplyFor(seed, key, PlanFor(seed, key), nth, 200);
  });

  WriteFileAtomically(dir_ / "rules" / "rules.yaml",
                      "version: 1\n"
                      "rules:\n"
                      "  - id: fault-fanout\n"
                      "    event: message.received\n"
                      "    actions:\n"
                      "      - openphone.send_message:\n"
                      "          to: \"{{ facts.contact }}\"\n"
                      "          content: \"msg {{ facts.id }}\"\n"
                      "      - http:\n"
                      "          url: \"" + hook.base_url() + "/hook/{{ facts.id }}\"\n"
                      "          timeout: 500ms\n"
                      "          body:\n"
                      "            event: \"{{ facts.id }}\"\n"
                      "      - sqlite:\n"
                      "          table: fault_log\n"
                      "          values:\n"
                      "            event_id: \"{{ facts.id }}\"\n");
  WriteConfig(api.base_url());
  StartServer();

  std::vector<std::string> ids(kEvents), bodies(kEvents);
  for (int i = 0; i < kEvents; ++i) {
    char id[32], contact[32];
    std::snprintf(id, sizeof id, "EVfault%04d", i);
    std::snprintf(contact, sizeof contact, "+1555%07d", i);
    ids[i] = id;
    bodies[i] = MessageEvent(id, contact, "fault run");
  }

  // Webhook clients: every event is retried until it gets 200, as OpenPhone does.
  const auto key = Key(kLegacyKeyText);
  std::vector<int> tries(kEvents, 0);
  std::vector<std::string> first_answer(kEvents);
  std::atomic<int> next{0}, answered{0}, got503{0}, got_other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = next++; i < kEvents; i = next++) {
        for (;;) {
          ++tries[i];
          HttpAnswer a = PostSigned(port_, key, bodies[i], 20);
          if (a.status == 200) {
            first_answer[i] = a.body;
            break;
          }
          (a.status == 503 ? got503 : got_other)++;
          std::this_thread::sleep_for(100ms);
        }
        ++answered;
        std::this_thread::sleep_for(120ms);  // spread the events over the lock windows
      }
    });
  }

  // The lock holder: another connection takes the write lock twice in the middle.
  std::vector<std::pair<int, int>> locks = {{25, 3000}, {60, 11000}};
  std::vector<std::string> lock_errors;
  std::thread locker([&] {
    for (auto [after, hold_ms] : locks) {
      WaitFor([&, after = after] { return answered.load() >= after; }, 60s, 5ms);
      sqlite3* db = nullptr;
      if (sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        lock_errors.push_back("open failed");
        sqlite3_close(db);
        continue;
      }
      sqlite3_busy_timeout(db, 10000);
      char* err = nullptr;
      if (sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, &err) != SQLITE_OK) {
        lock_errors.push_back(std::string("BEGIN EXCLUSIVE: ") + (err ? err : "?"));
        sqlite3_free(err);
        sqlite3_close(db);
        continue;
      }
      std::printf("faults: database locked (BEGIN EXCLUSIVE) for %d ms after %d events\n", hold_ms,
                  answered.load());
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(db);
    }
  });
  for (auto& c : clients) c.join();
  locker.join();
  EXPECT_TRUE(lock_errors.empty()) << lock_errors.front();
  ASSERT_EQ(answered.load(), kEvents);
  int total_tries = 0;
  for (int n : tries) total_tries += n;
  std::printf("faults: %d events answered 200 after %d webhook attempts (%d x 503, %d other failures)\n",
              kEvents, total_tries, got503.load(), got_other.load());
  RecordProperty("webhook_503", got503.load());

  // Drain: nothing left in the inbox or the outbox.
  std::string page;
  bool drained = WaitFor(
      [&] {
        page = Get(port_, "/metrics").body;
        double inbox = -1, outbox = -1;
        return MetricValue(page, "switchboard_inbox_depth", &inbox) &&
               MetricValue(page, "switchboard_outbox_depth", &outbox) && inbox == 0 && outbox == 0;
      },
      120s, 200ms);
  ASSERT_TRUE(drained) << "not drained in 120 s:\n" << page;
  double dead_metric = -1;
  MetricValue(page, "switchboard_dead_letters", &dead_metric);
  EXPECT_EQ(server_.Stop(15s), 0) << "SIGTERM should end the server with 0";

  // ---- the ledger ----
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(IntegrityCheck(db), "ok");

  // Events: every one answered 200 is stored and processed; no others.
  std::map<std::string, std::string> event_status;
  for (auto& r : QueryRows(db, "SELECT id, status FROM switchboard_events")) event_status[r[0]] = r[1];
  EXPECT_EQ(event_status.size(), static_cast<size_t>(kEvents));
  for (const std::string& id : ids) {
    auto it = event_status.find(id);
    if (it == event_status.end()) {
      ADD_FAILURE() << id << " was answered 200 but is not stored";
    } else {
      EXPECT_EQ(it->second, "processed") << id;
    }
  }

  // Actions: exactly one of each type per event; nothing orphaned or pending.
  struct Row {
    std::string event_id, rule_id, type, status, last_error;
    int attempts = 0;
  };
  std::map<std::string, std::map<std::string, std::vector<Row>>> by_event;  // event -> type -> rows
  int orphans = 0, pending = 0;
  std::set<std::string> id_set(ids.begin(), ids.end());
  for (auto& r : QueryRows(db, "SELECT event_id, rule_id, type, status, attempts, last_error "
                               "FROM switchboard_actions")) {
    Row row{r[0], r[1], r[2], r[3], r[5], std::atoi(r[4].c_str())};
    if (!id_set.count(row.event_id)) {
      ++orphans;
      ADD_FAILURE() << "orphan action for unknown event " << row.event_id << " (" << row.type << ")";
    }
    if (row.status == "pending") ++pending;
    by_event[row.event_id][row.type].push_back(row);
  }
  EXPECT_EQ(orphans, 0);
  EXPECT_EQ(pending, 0) << "actions still pending after the outbox drained";

  std::vector<FakeHit> api_hits = api.Hits(), hook_hits = hook.Hits();
  std::map<std::string, int> api_success, hook_success, api_requests, hook_requests;
  for (const FakeHit& h : api_hits) {
    std::string id = EventIdOfSend(h.request);
    api_requests[id]++;
    if (h.success) api_success[id]++;
  }
  for (const FakeHit& h : hook_hits) {
    std::string id = EventIdOfHook(h.request);
    hook_requests[id]++;
    if (h.success) hook_success[id]++;
  }

  std::map<std::string, int> plan_counts, mismatches_by_plan;
  int done = 0, dead = 0, mismatches = 0, duplicate_deliveries = 0, extra_requests = 0;
  auto mismatch = [&](const std::string& what, Plan plan) {
    ++mismatches;
    mismatches_by_plan[PlanName(plan)]++;
    if (mismatches <= 25) ADD_FAILURE() << what;
  };
  for (const std::string& id : ids) {
    auto& types = by_event[id];
    EXPECT_EQ(types.size(), 3u) << id << " has action types other than the rule's three";
    for (const char* type : {"openphone.send_message", "http", "sqlite"}) {
      if (types[type].size() != 1) {
        ADD_FAILURE() << id << ": " << types[type].size() << " '" << type
                      << "' actions, the rule requires exactly 1";
      }
    }
    // sqlite into the own database: done at once, exactly once.
    if (!types["sqlite"].empty()) {
      const Row& s = types["sqlite"][0];
      EXPECT_EQ(s.status, "done") << id << " sqlite: " << s.last_error;
    }
    for (const char* type : {"openphone.send_message", "http"}) {
      if (types[type].empty()) continue;
      const Row& a = types[type][0];
      bool is_send = std::string(type) == "openphone.send_message";
      std::string key = (is_send ? "send:" : "http:") + id;
      ActionPlan plan = PlanFor(seed, key);
      plan_counts[PlanName(plan.plan)]++;
      int successes = is_send ? api_success[id] : hook_success[id];
      int requests = is_send ? api_requests[id] : hook_requests[id];
      std::string where = id + " " + type + " (plan " + PlanName(plan.plan) +
                          (plan.plan == Plan::kFlaky ? " x" + std::to_string(plan.fail_first) : "") +
                          ", status " + a.status + ", attempts " + std::to_string(a.attempts) +
                          ", fake saw " + std::to_string(requests) + " requests, " +
                          std::to_string(successes) + " answered 2xx, last_error '" + a.last_error + "')";
      if (a.status == "done") ++done;
      if (a.status == "dead") ++dead;
      if (successes > 1) duplicate_deliveries += successes - 1;
      if (a.attempts > 0 && requests > a.attempts) extra_requests += requests - a.attempts;
      std::string err = Lower(a.last_error);
      switch (plan.plan) {
        case Plan::kOk:
        case Plan::kFlaky:
          if (a.status != "done" || successes < 1) mismatch("expected done + a 2xx at the fake: " + where, plan.plan);
          break;
        case Plan::k400:
          if (a.status != "dead" || a.attempts != 1 || err.find("http 400") == std::string::npos)
            mismatch("expected dead after 1 attempt with 'HTTP 400': " + where, plan.plan);
          break;
        case Plan::k500:
          if (a.status != "dead" || a.attempts != kMaxAttempts || err.find("http 500") == std::string::npos)
            mismatch("expected dead after max_attempts with 'HTTP 500': " + where, plan.plan);
          break;
        case Plan::k429:
          if (a.status != "dead" || a.attempts != kMaxAttempts || err.find("http 429") == std::string::npos)
            mismatch("expected dead after max_attempts with 'HTTP 429': " + where, plan.plan);
          break;
        case Plan::kHang:
          if (a.status != "dead" || a.attempts != kMaxAttempts || err.find("timeout") == std::string::npos)
            mismatch("expected dead after max_attempts with a timeout: " + where, plan.plan);
          break;
        case Plan::kDrop:
          if (a.status != "dead" || a.attempts != kMaxAttempts || err.empty() ||
              err.rfind("http ", 0) == 0 || err.find("timeout") != std::string::npos)
            mismatch("expected dead after max_attempts with a network error: " + where, plan.plan);
          break;
      }
      if (a.status == "dead" && successes > 0) {
        mismatch("dead although the fake answered 2xx: " + where, plan.plan);
      }
    }
  }
  // Retry-After is honoured: an action answered 429 (Retry-After: 1) is not tried again
  // within that second. Backoff: retries of 500s are spaced at least the initial
  // backoff (50 ms; the jitter only adds) apart.
  int retry_after_violations = 0, backoff_violations = 0;
  {
    std::map<std::string, std::vector<const FakeHit*>> by_key;
    for (const auto* hits : {&api_hits, &hook_hits}) {
      for (const FakeHit& h : *hits) by_key[h.key].push_back(&h);
    }
    for (auto& [k, list] : by_key) {
      std::sort(list.begin(), list.end(), [](const FakeHit* a, const FakeHit* b) { return a->at < b->at; });
      for (size_t i = 1; i < list.size(); ++i) {
        auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(list[i]->at - list[i - 1]->at);
        if (list[i - 1]->status == 429 && gap < 950ms) {
          if (++retry_after_violations <= 5)
            ADD_FAILURE() << "retried " << gap.count() << " ms after a 429 with Retry-After: 1 ("
                          << list[i]->request.path << ")";
        }
        if (list[i - 1]->status == 500 && gap < 48ms) {
          if (++backoff_violations <= 5)
            ADD_FAILURE() << "retried " << gap.count() << " ms after a 500, below the backoff ("
                          << list[i]->request.path << ")";
        }
      }
    }
  }
  EXPECT_EQ(retry_after_violations, 0);
  EXPECT_EQ(backoff_violations, 0);
  // Exactly-once of the own-database sqlite action.
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM fault_log"), kEvents);
  EXPECT_EQ(QueryInt(db, "SELECT count(DISTINCT event_id) FROM fault_log"), kEvents);
  // Requests for events the server never had.
  for (const auto& [id, n] : api_requests) {
    if (!id_set.count(id)) ADD_FAILURE() << n << " sends for unknown event '" << id << "'";
  }
  for (const auto& [id, n] : hook_requests) {
    if (!id_set.count(id)) ADD_FAILURE() << n << " hooks for unknown event '" << id << "'";
  }
  sqlite3_close(db);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(static_cast<int>(dead_metric), dead) << "switchboard_dead_letters disagrees with the table";

  std::string plans;
  for (const auto& [name, n] : plan_counts) plans += " " + name + "=" + std::to_string(n);
  std::string bad;
  for (const auto& [name, n] : mismatches_by_plan) bad += " " + name + "=" + std::to_string(n);
  std::printf(
      "faults: %zu requests to the API, %zu to the hook; external actions: %d done, %d dead; "
      "plans:%s; %d duplicate 2xx deliveries; %d requests beyond the recorded attempts; "
      "mismatches: %d%s\n",
      api_hits.size(), hook_hits.size(), done, dead, plans.c_str(), duplicate_deliveries,
      extra_requests, mismatches, bad.c_str());
  RecordProperty("external_done", done);
  RecordProperty("external_dead", dead);
  RecordProperty("duplicate_deliveries", duplicate_deliveries);
  RecordProperty("mismatches", mismatches);
}

// A send that went out while the database was locked was recorded nowhere: the
// action stayed due, and the next dispatcher round sent the message again. The
// outcome is now kept and stored once the lock is gone; the message goes out once.
TEST_F(Faults, AnOutcomeTheDatabaseRefusesIsStoredLaterNotRunAgain) {
  FaultyHttp api([&](const FakeRequest& r, int) {
    if (r.method != "POST" || r.path != "/v1/messages") return FakeReply::Answer(404);
    return FakeReply::Answer(202, "{}", /*delay_ms=*/300);  // answered inside the lock
  });
  WriteFileAtomically(dir_ / "rules" / "rules.yaml",
                      "version: 1\n"
                      "rules:\n"
                      "  - id: reply\n"
                      "    event: message.received\n"
                      "    actions:\n"
                      "      - openphone.send_message:\n"
                      "          to: \"{{ facts.contact }}\"\n"
                      "          content: \"hello\"\n");
  WriteConfig(api.base_url());
  StartServer();
  ASSERT_EQ(PostSigned(port_, Key(kLegacyKeyText), MessageEvent("EVlocked1", "+15550001234", "hi"),
                       20)
                .status,
            200);
  // The send is in flight: lock the database past the server's 5 s busy timeout.
  ASSERT_TRUE(WaitFor([&] { return api.Hits().size() >= 1; }, 10s, 2ms));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::this_thread::sleep_for(7500ms);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  ASSERT_TRUE(WaitFor(
      [&] {
        return QueryInt(db, "SELECT COUNT(*) FROM switchboard_actions WHERE status = 'done' "
                            "AND attempts = 1") == 1;
      },
      10s, 20ms))
      << LogTail(dir_ / "server.log");
  sqlite3_close(db);
  std::this_thread::sleep_for(500ms);  // a second send would have come by now
  EXPECT_EQ(api.Hits().size(), 1u);
}

// A webhook whose `sqlite` row rolls back the whole transaction (a trigger of
// the user's on the table) was answered 503 on every delivery, so that its
// sender, after a day of retries, would give it up. It is now acknowledged and
// stored pending, and the inbox processes it once the cause is gone.
TEST_F(Faults, AWebhookWhoseRowRollsBackTheTransactionIsKeptPending) {
  FaultyHttp api([&](const FakeRequest&, int) { return FakeReply::Answer(404); });
  WriteFileAtomically(dir_ / "rules" / "rules.yaml",
                      "version: 1\n"
                      "rules:\n"
                      "  - id: mark\n"
                      "    event: message.received\n"
                      "    actions:\n"
                      "      - sqlite:\n"
                      "          table: marks\n"
                      "          values:\n"
                      "            eid: \"{{ facts.id }}\"\n");
  WriteConfig(api.base_url());
  StartServer();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE marks (id INTEGER PRIMARY KEY, created_at TEXT, eid TEXT);"
                         "CREATE TRIGGER roll_back BEFORE INSERT ON marks "
                         "BEGIN SELECT RAISE(ROLLBACK, 'refused by a trigger'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  HttpAnswer first = PostSigned(port_, Key(kLegacyKeyText),
                                MessageEvent("EVrolled1", "+15550001234", "hi"), 20);
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("\"accepted\""), std::string::npos) << first.body;
  EXPECT_EQ(QueryInt(db, "SELECT COUNT(*) FROM switchboard_events WHERE id = 'EVrolled1' AND "
                         "status = 'pending'"),
            1);
  HttpAnswer again = PostSigned(port_, Key(kLegacyKeyText),
                                MessageEvent("EVrolled1", "+15550001234", "hi"), 20);
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("\"duplicate\""), std::string::npos) << again.body;
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER roll_back", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_TRUE(WaitFor(
      [&] {
        return QueryInt(db, "SELECT COUNT(*) FROM marks WHERE eid = 'EVrolled1'") == 1 &&
               QueryInt(db, "SELECT COUNT(*) FROM switchboard_events WHERE id = 'EVrolled1' "
                            "AND status = 'processed'") == 1;
      },
      20s, 20ms))
      << LogTail(dir_ / "server.log");
  sqlite3_close(db);
  const std::string log = LogTail(dir_ / "server.log");
  EXPECT_NE(log.find("event EVrolled1 stored unprocessed: the database rolled back the "
                     "transaction (inserting into table 'marks': refused by a trigger)"),
            std::string::npos)
      << log;
}

}  // namespace
