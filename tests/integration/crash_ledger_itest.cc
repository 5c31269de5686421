// Crash ledger (SPEC.md sections 3 and 4): the real server is killed with SIGKILL at
// random moments, 20+ times in one run, and restarted on the same database, while
// 8 webhook clients keep sending signed events (each retried until it gets 200, like
// OpenPhone) and the server delivers actions to a slowish fake API (20 ms per answer),
// so that kills land during ingest, processing and delivery alike.
//
// Afterwards (the last server runs until inbox and outbox are drained):
//  - PRAGMA integrity_check is ok;
//  - no accepted event is lost: every event that ever got 200 is stored and processed;
//  - the `sqlite` action into the own database took effect exactly once per event;
//  - external actions (send_message, http) reached the fake at least once per event;
//  - duplicates (external deliveries beyond the first, webhook redeliveries answered
//    "duplicate") are counted and reported (RecordProperty + stdout).
//
// SWITCHBOARD_CRASH_SEED=<n> picks the kill intervals; SWITCHBOARD_CRASH_KILLS=<n> the
// number of kills (default 24).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "fault_harness.h"
#include "switchboard/value.h"

namespace {

using namespace switchboard_fault;
using switchboard::Value;

constexpr int kClients = 8;
constexpr int kApiDelayMs = 20;

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* env = std::getenv(name);
  return env && *env ? std::strtoull(env, nullptr, 10) : fallback;
}

class CrashLedger : public LedgerFixture {
 protected:
  CrashLedger() : LedgerFixture("switchboard-crash-") {}

  void WriteConfig(const std::string& api_base) {
    ServerConfig c = LedgerConfig();
    c.threads = 16;
    c.max_attempts = 100;
    c.action_timeout = "2s";
    c.Write(dir_, port_, api_base);
  }

  // Spawns the server and waits until it is ready; false if it does not get there.
  bool StartServer(std::chrono::milliseconds timeout = 15s) {
    return server_.Spawn((dir_ / "switchboard.yaml").string(), (dir_ / "server.log").string()) &&
           WaitReady(server_, port_, timeout, 10ms, /*get_timeout_s=*/2);
  }
};

std::string IdOfSend(const FakeRequest& r) {
  auto json = Value::FromJson(r.body);
  if (!json.ok()) return "";
  const Value* content = json->Find("content");
  if (!content || !content->is_string()) return "";
  const std::string& c = content->as_string();
  return c.rfind("ack ", 0) == 0 ? c.substr(4) : "";
}
std::string IdOfHook(const FakeRequest& r) {
  return r.path.rfind("/hook/", 0) == 0 ? r.path.substr(6) : "";
}

TEST_F(CrashLedger, TwentyKillsDuringIngestAndDeliveryLoseNothing) {
  const uint64_t seed = EnvU64("SWITCHBOARD_CRASH_SEED", 424242);
  const int kills_wanted = static_cast<int>(EnvU64("SWITCHBOARD_CRASH_KILLS", 24));
  std::printf("crash: seed %llu, %d kills\n", static_cast<unsigned long long>(seed), kills_wanted);
  RecordProperty("seed", std::to_string(seed));

  FaultyHttp api([](const FakeRequest& r, int) {
    FakeReply ok = FakeReply::Answer(202, R"({"data":{"id":"AC1","status":"queued"}})", kApiDelayMs);
    ok.headers = {{"Content-Type", "application/json"}};
    return r.path == "/v1/messages" ? ok : FakeReply::Answer(404);
  });
  FaultyHttp hook([](const FakeRequest&, int) { return FakeReply::Answer(204, "", kApiDelayMs); });

  WriteFileAtomically(dir_ / "rules" / "rules.yaml",
                      "version: 1\n"
                      "rules:\n"
                      "  - id: crash-record\n"
                      "    event: message.received\n"
                      "    actions:\n"
                      "      - sqlite:\n"
                      "          table: crash_log\n"
                      "          values:\n"
                      "            event_id: \"{{ facts.id }}\"\n"
                      "      - openphone.send_message:\n"
                      "          to: \"{{ facts.contact }}\"\n"
                      "          content: \"ack {{ facts.id }}\"\n"
                      "      - http:\n"
                      "          url: \"" + hook.base_url() + "/hook/{{ facts.id }}\"\n"
                      "          timeout: 2s\n"
                      "          body:\n"
                      "            event: \"{{ facts.id }}\"\n");
  WriteConfig(api.base_url());
  ASSERT_TRUE(StartServer()) << LogTail(dir_ / "server.log");

  // ---- the driver: 8 clients, every event retried until 200 ----
  const auto key = Key(kLegacyKeyText);
  std::mutex mu;
  std::vector<std::string> accepted_ids;               // every event that got 200
  std::map<std::string, std::string> first_200_status;  // id -> "accepted" / "duplicate"
  std::atomic<bool> stop_sending{false}, abort_run{false};
  std::atomic<int> next{0}, failed_attempts{0}, duplicate_answers{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937 pace(static_cast<unsigned>(seed) + t);
      while (!stop_sending) {
        int i = next++;
        char id[32], contact[32];
        std::snprintf(id, sizeof id, "EVk%05d", i);
        std::snprintf(contact, sizeof contact, "+1555%07d", i);
        std::string body = MessageEvent(id, contact, "crash run");
        for (;;) {
          HttpAnswer a = PostSigned(port_, key, body, 10);
          if (a.status == 200) {
            auto json = Value::FromJson(a.body);
            std::string status =
                json.ok() && json->Find("status") ? json->Find("status")->ToText() : "?";
            std::lock_guard<std::mutex> lock(mu);
            accepted_ids.push_back(id);
            first_200_status[id] = status;
            if (status == "duplicate") ++duplicate_answers;
            break;
          }
          ++failed_attempts;
          if (abort_run) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(20 + pace() % 30));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(120 + pace() % 120));
      }
    });
  }

  // ---- the killer ----
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> interval(100, 600);
  int kills = 0, restarts_failed = 0;
  std::vector<std::pair<size_t, size_t>> at_kill;  // (api hits, accepted) at each kill
  auto started = std::chrono::steady_clock::now();
  while (kills < kills_wanted) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval(rng)));
    {
      std::lock_guard<std::mutex> lock(mu);
      at_kill.emplace_back(api.Count(), accepted_ids.size());
    }
    server_.Kill();
    ++kills;
    bool up = false;
    for (int attempt = 0; attempt < 5 && !up; ++attempt) {
      up = StartServer();
      if (!up) {
        ++restarts_failed;
        server_.Kill();
        std::this_thread::sleep_for(200ms);
      }
    }
    if (!up) {
      abort_run = stop_sending = true;
      for (auto& c : clients) c.join();
      FAIL() << "the server did not come back after kill " << kills << ":\n"
             << LogTail(dir_ / "server.log");
    }
  }
  double kill_phase_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  stop_sending = true;
  for (auto& c : clients) c.join();
  std::printf("crash: %d kills in %.1f s; %zu events answered 200 (%d webhook attempts failed "
              "while the server was down or restarting; %d restarts retried)\n",
              kills, kill_phase_s, accepted_ids.size(), failed_attempts.load(), restarts_failed);
  EXPECT_GE(kills, 20);
  ASSERT_GT(accepted_ids.size(), 100u) << "too few events to prove anything";
  // Kills must land during delivery too: the fake saw traffic between kills.
  int kills_during_delivery = 0;
  for (size_t k = 1; k < at_kill.size(); ++k) {
    if (at_kill[k].first > at_kill[k - 1].first) ++kills_during_delivery;
  }
  std::printf("crash: %d of %d kill intervals had deliveries in flight or completed\n",
              kills_during_delivery, kills - 1);
  EXPECT_GE(kills_during_delivery, kills / 2);

  // ---- drain ----
  std::string page;
  bool drained = WaitFor(
      [&] {
        page = Get(port_, "/metrics").body;
        double inbox = -1, outbox = -1;
        return MetricValue(page, "switchboard_inbox_depth", &inbox) &&
               MetricValue(page, "switchboard_outbox_depth", &outbox) && inbox == 0 && outbox == 0;
      },
      60s, 100ms);
  ASSERT_TRUE(drained) << "not drained within 60 s:\n" << page;
  EXPECT_EQ(server_.Stop(15s), 0);

  // ---- the ledger ----
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::string integrity = IntegrityCheck(db);
  EXPECT_EQ(integrity, "ok");

  std::map<std::string, std::string> stored;
  for (auto& r : QueryRows(db, "SELECT id, status FROM switchboard_events")) stored[r[0]] = r[1];
  std::map<std::string, int> crash_rows;
  for (auto& r : QueryRows(db, "SELECT event_id, count(*) FROM crash_log GROUP BY event_id")) {
    crash_rows[r[0]] = std::atoi(r[1].c_str());
  }
  std::map<std::string, std::map<std::string, int>> actions;  // event -> type -> rows
  std::map<std::string, int> action_status;
  for (auto& r : QueryRows(db, "SELECT event_id, type, status FROM switchboard_actions")) {
    actions[r[0]][r[1]]++;
    action_status[r[2]]++;
  }
  sqlite3_close(db);

  std::map<std::string, int> sends, hooks;
  size_t send_total = 0, hook_total = 0;
  for (const FakeHit& h : api.Hits()) {
    if (!h.success) continue;
    sends[IdOfSend(h.request)]++;
    ++send_total;
  }
  for (const FakeHit& h : hook.Hits()) {
    if (!h.success) continue;
    hooks[IdOfHook(h.request)]++;
    ++hook_total;
  }

  int lost = 0, unprocessed = 0, sql_wrong = 0, outbox_wrong = 0, no_send = 0, no_hook = 0;
  int dup_send_events = 0, dup_hook_events = 0;
  auto report = [](int* counter, const std::string& what) {
    if (++*counter <= 10) ADD_FAILURE() << what;
  };
  for (const std::string& id : accepted_ids) {
    auto it = stored.find(id);
    if (it == stored.end()) {
      report(&lost, id + " was answered 200 and then lost");
      continue;
    }
    if (it->second != "processed") report(&unprocessed, id + " is stored but " + it->second);
    if (crash_rows[id] != 1) {
      report(&sql_wrong, id + " has " + std::to_string(crash_rows[id]) + " rows in crash_log (want 1)");
    }
    auto& a = actions[id];
    if (a["sqlite"] != 1 || a["openphone.send_message"] != 1 || a["http"] != 1 || a.size() != 3) {
      report(&outbox_wrong, id + " has outbox rows sqlite=" + std::to_string(a["sqlite"]) +
                                " send=" + std::to_string(a["openphone.send_message"]) +
                                " http=" + std::to_string(a["http"]));
    }
    if (sends[id] < 1) report(&no_send, "no message was delivered for " + id);
    if (hooks[id] < 1) report(&no_hook, "no http call was delivered for " + id);
    if (sends[id] > 1) ++dup_send_events;
    if (hooks[id] > 1) ++dup_hook_events;
  }
  // Nothing stored that nobody sent, no rows for unknown events.
  std::set<std::string> accepted_set(accepted_ids.begin(), accepted_ids.end());
  int unknown = 0;
  for (const auto& [id, status] : stored) {
    if (!accepted_set.count(id)) ++unknown;  // committed, but the 200 never arrived
  }
  int crash_rows_total = 0;
  for (const auto& [id, n] : crash_rows) crash_rows_total += n;

  EXPECT_EQ(accepted_set.size(), accepted_ids.size()) << "an event id was accepted twice";
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(unprocessed, 0);
  EXPECT_EQ(sql_wrong, 0);
  EXPECT_EQ(outbox_wrong, 0);
  EXPECT_EQ(no_send, 0);
  EXPECT_EQ(no_hook, 0);
  EXPECT_EQ(unknown, 0) << "events stored that no client got a 200 for (clients retry until 200, "
                           "so every stored event should be in the accepted list)";
  EXPECT_EQ(crash_rows_total, static_cast<int>(accepted_ids.size()));
  EXPECT_EQ(action_status["pending"], 0);
  EXPECT_EQ(action_status["dead"], 0);

  int dup_sends = static_cast<int>(send_total) - static_cast<int>(sends.size());
  int dup_hooks = static_cast<int>(hook_total) - static_cast<int>(hooks.size());
  std::printf(
      "crash: ledger over %zu events, %d kills: lost %d, unprocessed %d, sqlite rows wrong %d, "
      "integrity '%s'\n"
      "crash: duplicates (at-least-once): %d extra message sends over %d events, %d extra http "
      "calls over %d events; %d webhook deliveries answered 'duplicate' (committed, but the "
      "first 200 was lost in a kill)\n",
      accepted_ids.size(), kills, lost, unprocessed, sql_wrong, integrity.c_str(), dup_sends,
      dup_send_events, dup_hooks, dup_hook_events, duplicate_answers.load());
  RecordProperty("kills", kills);
  RecordProperty("events", static_cast<int>(accepted_ids.size()));
  RecordProperty("duplicate_sends", dup_sends);
  RecordProperty("duplicate_http_calls", dup_hooks);
  RecordProperty("webhook_duplicate_answers", duplicate_answers.load());
  RecordProperty("lost_events", lost);
}

}  // namespace
