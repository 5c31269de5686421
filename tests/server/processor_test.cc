// The processor's throttle state: how long firings are kept, and that memory
// counts exactly the firings the database holds or is about to commit; and the
// inbox's handling of events that fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "metrics.h"
#include "pipeline.h"
#include "sqlite_test_util.h"
#include "store.h"

namespace switchboard {
namespace server {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;

std::shared_ptr<const RuleSet> RulesThrottledPer(const std::string& per) {
  auto loaded = Engine::Create()->LoadString(
      "version: 1\n"
      "rules:\n"
      "  - id: throttled\n"
      "    event: message.received\n"
      "    throttle: { key: \"{{ facts.contact }}\", per: " + per + " }\n"
      "    actions: [{log: {message: a}}]\n"
      "  - id: plain\n"
      "    event: message.received\n"
      "    actions: [{log: {message: a}}]\n");
  EXPECT_TRUE(loaded.ok()) << loaded.FormatErrors();
  return loaded.rules;
}

const char kMessage[] =
    R"({"id":"EV1","type":"message.received","data":{"object":{"direction":"incoming",)"
    R"("from":"+15555550100","to":["+15555550101"],"text":"hi"}}})";

class ProcessorThrottles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("switchboard-processor-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    SqliteOptions options;
    options.path = db_path().string();
    options.busy_timeout_ms = 200;
    auto opened = OpenSqliteStore(options);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened.value());
    processor_ = std::make_unique<Processor>(store_.get(), &metrics_);
    auto event = Event::Parse(kMessage);
    ASSERT_TRUE(event.ok()) << event.status().message();
    event_ = std::make_unique<Event>(std::move(*event));
  }
  void TearDown() override {
    processor_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  fs::path db_path() const { return dir_ / "test.db"; }
  // How often `throttled` fired in `processed` (0 or 1).
  static size_t Throttled(const ProcessedEvent& processed) {
    size_t n = 0;
    for (const auto& [rule, key] : processed.firings) n += rule == "throttled";
    return n;
  }
  size_t StoredFirings() {
    auto firings = store_->ThrottleFiringsSince(0);
    EXPECT_TRUE(firings.ok()) << firings.status().message();
    return firings.ok() ? firings->size() : 0;
  }

  fs::path dir_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<Event> event_;
};

// Issue: windows longer than 31 days were accepted, but firings older than that
// were neither loaded at start nor kept by the pruning.
TEST(ProcessorThrottleHorizon, IsAMonthOrTheLongestWindowOfTheCurrentRules) {
  Processor processor(nullptr, nullptr);  // never started
  processor.SetRules(RulesThrottledPer("1h"));
  EXPECT_EQ(processor.ThrottleHorizon(), hours(24 * 31));
  processor.SetRules(RulesThrottledPer("90d"));  // a reload with a longer window
  EXPECT_EQ(processor.ThrottleHorizon(), hours(24 * 90));
  processor.SetRules(RulesThrottledPer("2d"));
  EXPECT_EQ(processor.ThrottleHorizon(), hours(24 * 31));
}

// Issue: the in-memory throttle state was only ever added to while serving.
TEST_F(ProcessorThrottles, PruneThrottlesForgetsFiringsBeforeTheGivenTime) {
  auto rules = RulesThrottledPer("1h");
  processor_->SetRules(rules);
  const TimeStamp start{hours(24 * 365 * 56)};
  EXPECT_EQ(Throttled(processor_->Process("EV1", *event_, *rules, start)), 1u);
  EXPECT_EQ(Throttled(processor_->Process("EV2", *event_, *rules, start + minutes(1))), 0u)
      << "the throttle holds within its hour";
  processor_->PruneThrottles(start + std::chrono::seconds(1));
  EXPECT_EQ(Throttled(processor_->Process("EV3", *event_, *rules, start + minutes(2))), 1u)
      << "the pruned firing no longer counts";
}

// A firing of a webhook whose transaction did not commit (the webhook is
// answered with an error and comes again) must not throttle its own retry, nor
// the next event: the customer would get no reply at all.
TEST_F(ProcessorThrottles, AFiringThatWasNotStoredDoesNotCount) {
  auto rules = RulesThrottledPer("1h");
  processor_->SetRules(rules);
  // Fails after the evaluation, in the transaction: the event row is refused.
  CreateTable(db_path(),
              "CREATE TRIGGER refuse BEFORE INSERT ON switchboard_events "
              "BEGIN SELECT RAISE(ABORT, 'injected'); END");
  auto refused = processor_->Accept("EV1", "message.received", kMessage, *event_, 1);
  ASSERT_FALSE(refused.ok());
  CreateTable(db_path(), "DROP TRIGGER refuse");
  auto retried = processor_->Accept("EV1", "message.received", kMessage, *event_, 2);
  ASSERT_TRUE(retried.ok()) << retried.status().message();
  EXPECT_EQ(*retried, AcceptOutcome::kAccepted);
  EXPECT_EQ(StoredFirings(), 1u) << "the retry fired: the refused attempt's firing was taken back";
  auto next = processor_->Accept("EV2", "message.received", kMessage, *event_, 3);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(StoredFirings(), 1u) << "the stored firing throttles the next event";
}

// Issue: a rules reload that made the throttle horizon longer replaced the
// in-memory state with the database's, which does not yet hold the firings of
// events evaluated in the transaction still open: the next event of the same
// contact fired again (two replies).
TEST_F(ProcessorThrottles, ALongerHorizonKeepsFiringsNotCommittedYet) {
  auto hourly = RulesThrottledPer("1h");
  processor_->SetRules(hourly);
  const TimeStamp now = std::chrono::system_clock::now();
  EXPECT_EQ(Throttled(processor_->Process("EV1", *event_, *hourly, now)), 1u);  // not committed
  auto longer = RulesThrottledPer("90d");
  processor_->SetRules(longer);
  EXPECT_EQ(Throttled(processor_->Process("EV2", *event_, *longer, now + minutes(1))), 0u)
      << "EV1's firing still counts";
}

// The other half: the stored firings that the shorter horizon left out are
// loaded once the horizon reaches them, each once (limit 4: two stored and
// EV1's make three, so EV2 fires and EV3 does not; loaded twice, EV2 would not).
TEST_F(ProcessorThrottles, ALongerHorizonLoadsTheOlderStoredFirings) {
  const TimeStamp now = std::chrono::system_clock::now();
  const int64_t forty_days_ago =
      std::chrono::duration_cast<std::chrono::milliseconds>((now - hours(24 * 40)).time_since_epoch())
          .count();
  ASSERT_TRUE(store_->Accept("EV0", "message.received", kMessage, forty_days_ago).ok());
  ProcessedEvent old;
  old.event_id = "EV0";
  old.trace = "{}";
  old.processed_ms = forty_days_ago;
  old.firings.emplace_back("throttled", "+15555550100");
  old.firings.emplace_back("throttled", "+15555550100");  // limit 2: two at the same time
  ASSERT_TRUE(store_->CommitProcessed(&old).ok());

  auto loaded = Engine::Create()->LoadString(
      "version: 1\n"
      "rules:\n"
      "  - id: throttled\n"
      "    event: message.received\n"
      "    throttle: { key: \"{{ facts.contact }}\", per: 90d, limit: 4 }\n"
      "    actions: [{log: {message: a}}]\n");
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  processor_->SetRules(RulesThrottledPer("1h"));
  EXPECT_EQ(Throttled(processor_->Process("EV1", *event_, *loaded.rules, now)), 1u)
      << "a 31-day horizon does not hold the 40-day-old firings";
  processor_->SetRules(loaded.rules);  // 90 days: they are loaded, with EV1's kept
  EXPECT_EQ(Throttled(processor_->Process("EV2", *event_, *loaded.rules, now)), 1u)
      << "two stored firings and EV1's are three of four";
  processor_->SetRules(RulesThrottledPer("1h"));  // a reload back and forth loads nothing twice
  processor_->SetRules(loaded.rules);
  EXPECT_EQ(Throttled(processor_->Process("EV3", *event_, *loaded.rules, now)), 0u)
      << "and EV2's the fourth";
}

// A second review: an event whose row rolls back the whole transaction (here a
// trigger's RAISE(ROLLBACK) on the table of its `sqlite` action) failed the
// inbox's whole batch on every pass, so no event after it was ever processed.
TEST_F(ProcessorThrottles, AnEventThatRollsBackItsTransactionDoesNotHoldTheInboxBack) {
  CreateTable(db_path(), "CREATE TABLE marks (id INTEGER PRIMARY KEY, created_at TEXT, eid TEXT)");
  CreateTable(db_path(),
              "CREATE TRIGGER roll_back BEFORE INSERT ON marks WHEN NEW.eid = 'EVBAD' "
              "BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
  for (const char* id : {"EV1", "EVBAD", "EV2"}) {
    const std::string body = std::string(R"({"id":")") + id + R"(","type":"t"})";
    ASSERT_TRUE(store_->Accept(id, "t", body, 1).ok());  // pending: the inbox processes them
  }
  auto loaded = Engine::Create()->LoadString(
      "version: 1\nrules:\n  - id: mark\n    event: \"*\"\n"
      "    actions: [{sqlite: {table: marks, values: {eid: \"{{ facts.id }}\"}}}]\n");
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  ASSERT_TRUE(processor_->Start(loaded.rules).ok());
  auto processed = [&](const std::string& id) {
    auto e = store_->GetEvent(id);
    return e.ok() && e->has_value() && (*e)->status == "processed";
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(processed("EV1") && processed("EV2")) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  processor_->Stop();
  EXPECT_TRUE(processed("EV1"));
  EXPECT_TRUE(processed("EV2"));
  EXPECT_FALSE(processed("EVBAD"));
}

// ---- the inbox: events that fail ----

bool InboxProcessed(Store* store, const std::string& id) {
  auto e = store->GetEvent(id);
  return e.ok() && e->has_value() && (*e)->status == "processed";
}
bool InboxWaitFor(const std::function<bool()>& done, int seconds = 20) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}
std::shared_ptr<const RuleSet> InboxMarkRules() {
  auto loaded = Engine::Create()->LoadString(
      "version: 1\nrules:\n  - id: mark\n    event: \"*\"\n"
      "    actions: [{sqlite: {table: marks, values: {eid: \"{{ facts.id }}\"}}}]\n");
  EXPECT_TRUE(loaded.ok()) << loaded.FormatErrors();
  return loaded.rules;
}
std::string InboxBody(const std::string& id) { return R"({"id":")" + id + R"(","type":"t"})"; }

// An event that fails every time waits longer after each failure, and no
// number of them holds the events behind them back: 70 failing events filled
// each read of 64 pending events, retried without end, so that the event after
// them was never processed.
TEST_F(ProcessorThrottles, FailingEventsAreRetriedWithBackoffAndHoldNoOthersBack) {
  CreateTable(db_path(), "CREATE TABLE marks (id INTEGER PRIMARY KEY, created_at TEXT, eid TEXT)");
  CreateTable(db_path(),
              "CREATE TRIGGER roll_back BEFORE INSERT ON marks WHEN NEW.eid LIKE 'EVBAD%' "
              "BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
  std::vector<std::string> bad;
  for (int i = 0; i < 70; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "EVBAD%02d", i);
    bad.push_back(id);
    ASSERT_TRUE(store_->Accept(id, "t", InboxBody(id), 1 + i).ok());
  }
  ASSERT_TRUE(store_->Accept("EVGOOD", "t", InboxBody("EVGOOD"), 1000).ok());
  auto processed = [&](const std::string& id) { return InboxProcessed(store_.get(), id); };
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(processor_->Start(InboxMarkRules()).ok());
  const bool good = InboxWaitFor([&] { return processed("EVGOOD"); });
  // Each failing event is tried again after 1 s, then after 2 s, then after
  // 4 s: wait past the second failure of the last one (at about 1 s), with
  // room for a slow machine, before the trigger goes.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CreateTable(db_path(), "DROP TRIGGER roll_back");
  const bool all_bad = InboxWaitFor([&] {
    return std::all_of(bad.begin(), bad.end(), processed);
  });
  processor_->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(good) << "the event after 70 failing ones was not processed";
  EXPECT_TRUE(all_bad) << "the failing events were not processed once they could be";
  // Alone, each failure is the event's own, and each waits longer.
  const std::string failed =
      "processing event EVBAD69 failed: committing it failed: the database rolled back the "
      "transaction (inserting into table 'marks': injected); tried again in ";
  EXPECT_NE(log.find(failed + "1 s (failure 1)"), std::string::npos) << log.substr(0, 3000);
  EXPECT_NE(log.find(failed + "2 s (failure 2)"), std::string::npos) << log.substr(0, 3000);
}

// A busy database is no event's fault: once it answers again, an event that
// was tried while it was busy must not wait out a backoff that grew meanwhile.
TEST_F(ProcessorThrottles, ABusyDatabaseDoesNotGrowTheEventsBackoff) {
  CreateTable(db_path(), "CREATE TABLE marks (id INTEGER PRIMARY KEY, created_at TEXT, eid TEXT)");
  ASSERT_TRUE(store_->Accept("EVX", "t", InboxBody("EVX"), 1).ok());
  ::testing::internal::CaptureStderr();
  std::chrono::steady_clock::time_point released;
  {
    WriteLock lock(db_path());
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(processor_->Start(InboxMarkRules()).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // busy for 3 s
    released = std::chrono::steady_clock::now();
  }
  const bool done = InboxWaitFor([&] { return InboxProcessed(store_.get(), "EVX"); });
  const double after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - released).count();
  processor_->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(done);
  // Paced, its retries would have come after 1, 2 and 4 s.
  EXPECT_EQ(log.find("(failure 2)"), std::string::npos) << log;
  EXPECT_NE(log.find("processing event EVX failed: committing it failed: database is busy"),
            std::string::npos)
      << log;
  EXPECT_LT(after, 3.0) << "processed " << after << " s after the database answered again\n"
                        << log;
}

// Alone (a batch of one), a commit can still share the store's group
// transaction with another write (here a retried sqlite action's row) that
// rolls it back: the store says "rolled back with the transaction of another
// write", yet the inbox counts it as the event's own failure and paces it.
TEST_F(ProcessorThrottles, AnotherWritesRollbackIsNotTheEventsFailure) {
  CreateTable(db_path(), "CREATE TABLE marks (id INTEGER PRIMARY KEY, created_at TEXT, eid TEXT)");
  CreateTable(db_path(), "CREATE TABLE other (id INTEGER PRIMARY KEY, created_at TEXT, v TEXT)");
  CreateTable(db_path(), "CREATE TRIGGER roll_back BEFORE INSERT ON other "
                         "BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
  ASSERT_TRUE(store_->Accept("EVX", "t", InboxBody("EVX"), 1).ok());
  ::testing::internal::CaptureStderr();
  ProcessedEvent hold;
  hold.event_id = "HOLD";
  hold.trace = "{}";
  std::thread holder([&] {  // keeps the writer busy for 800 ms
    store_->Accept("HOLD", "t", "{}", 1, [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      return &hold;
    }, nullptr);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread other([&] {
    SqlInsert row;
    row.table = "other";
    row.values = {{"v", "x"}};
    EXPECT_FALSE(store_->InsertRow(row, 1).ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(processor_->Start(InboxMarkRules()).ok());
  holder.join();
  other.join();
  EXPECT_TRUE(InboxWaitFor([&] { return InboxProcessed(store_.get(), "EVX"); }));
  processor_->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.find("rolled back with the transaction of another write (inserting into "
                     "table 'other': injected); tried again in 1 s (failure 1)"),
            std::string::npos)
      << log;
}

// An event known to fail (it is being paced) goes back into a batch once due:
// it rolls the batch back again, and each good event of it is logged as failed.
TEST_F(ProcessorThrottles, APacedEventIsNotPutBackIntoABatch) {
  CreateTable(db_path(), "CREATE TABLE marks (id INTEGER PRIMARY KEY, created_at TEXT, eid TEXT)");
  CreateTable(db_path(), "CREATE TRIGGER roll_back BEFORE INSERT ON marks WHEN NEW.eid = 'EVBAD' "
                         "BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
  ASSERT_TRUE(store_->Accept("EVBAD", "t", InboxBody("EVBAD"), 1).ok());
  ::testing::internal::CaptureStderr();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(processor_->Start(InboxMarkRules()).ok());  // EVBAD fails alone: 1 s
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(store_->Accept("G0", "t", InboxBody("G0"), 2).ok());
  processor_->Notify();  // a pass that succeeds: the next one is a batch again
  ASSERT_TRUE(InboxWaitFor([&] { return InboxProcessed(store_.get(), "G0"); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<std::string> good;
  for (int i = 1; i <= 5; ++i) {
    good.push_back("G" + std::to_string(i));
    ASSERT_TRUE(store_->Accept(good.back(), "t", InboxBody(good.back()), 2 + i).ok());
  }
  std::this_thread::sleep_until(start + std::chrono::milliseconds(700));
  ProcessedEvent hold;
  hold.event_id = "HOLD";
  hold.trace = "{}";
  // The writer is busy while EVBAD comes due: the batch's commits share a transaction.
  std::thread holder([&] {
    store_->Accept("HOLD", "t", "{}", 1, [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      return &hold;
    }, nullptr);
  });
  holder.join();
  EXPECT_TRUE(InboxWaitFor([&] {
    for (const std::string& g : good) if (!InboxProcessed(store_.get(), g)) return false;
    return true;
  }));
  processor_->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(log.find("processing event G1 failed"), std::string::npos) << log;
}

// Replay (MarkPending + Notify, as POST /events/{id}/replay) of an event that is
// being paced, once its cause is fixed, does nothing: it waits out its backoff.
TEST_F(ProcessorThrottles, ReplayOfAPacedEventRetriesItNow) {
  CreateTable(db_path(), "CREATE TABLE marks (id INTEGER PRIMARY KEY, created_at TEXT, eid TEXT)");
  CreateTable(db_path(), "CREATE TRIGGER roll_back BEFORE INSERT ON marks WHEN NEW.eid = 'EVBAD' "
                         "BEGIN SELECT RAISE(ROLLBACK, 'injected'); END");
  ASSERT_TRUE(store_->Accept("EVBAD", "t", InboxBody("EVBAD"), 1).ok());
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(processor_->Start(InboxMarkRules()).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(3300));  // failures 1, 2, 3: next in 4 s
  CreateTable(db_path(), "DROP TRIGGER roll_back");
  const auto replayed = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->MarkPending("EVBAD").ok());
  processor_->Replayed("EVBAD");
  const bool done = InboxWaitFor([&] { return InboxProcessed(store_.get(), "EVBAD"); });
  const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - replayed).count();
  processor_->Stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(done);
  // Paced, it would have waited until about 7 s after the start.
  EXPECT_LT(after, 2.0) << "processed " << after << " s after the replay\n" << log;
}

}  // namespace
}  // namespace server
}  // namespace switchboard
