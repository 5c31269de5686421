// The dispatcher's retry delays (SPEC section 3: exponential backoff with jitter),
// and how long the processor keeps throttle firings.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "metrics.h"
#include "pipeline.h"
#include "store.h"

namespace switchboard {
namespace server {
namespace {

using std::chrono::milliseconds;

TEST(DispatcherBackoff, DoublesPerAttemptJittersUpwardAndStopsAtTheMax) {
  DispatchOptions options;
  options.backoff_initial = milliseconds(1000);
  options.backoff_max = milliseconds(10000);
  Dispatcher dispatcher(nullptr, nullptr, options);  // never started
  for (int round = 0; round < 200; ++round) {
    // Never sooner than initial x 2^(attempt-1), at most half again as long.
    for (int attempt = 1; attempt <= 3; ++attempt) {
      const int64_t base = int64_t{1000} << (attempt - 1);
      const int64_t delay = dispatcher.Backoff(attempt).count();
      EXPECT_GE(delay, base) << "attempt " << attempt;
      EXPECT_LE(delay, base + base / 2) << "attempt " << attempt;
    }
    // 8 s x 1.0-1.5 is capped at 10 s; from attempt 5 on the delay is the cap,
    // spread over its last quarter.
    const int64_t fourth = dispatcher.Backoff(4).count();
    EXPECT_GE(fourth, 8000);
    EXPECT_LE(fourth, 10000);
    for (int attempt : {5, 30}) {
      const int64_t capped = dispatcher.Backoff(attempt).count();
      EXPECT_GE(capped, 7500) << "attempt " << attempt;
      EXPECT_LE(capped, 10000) << "attempt " << attempt;
    }
  }
}

TEST(DispatcherBackoff, AtTheCapStaysJitteredAndNeverBelowTheInitialDelay) {
  DispatchOptions options;
  options.backoff_initial = milliseconds(9000);
  options.backoff_max = milliseconds(10000);
  Dispatcher dispatcher(nullptr, nullptr, options);
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    const int64_t delay = dispatcher.Backoff(6).count();
    EXPECT_GE(delay, 9000);
    EXPECT_LE(delay, 10000);
    seen.insert(delay);
  }
  EXPECT_GT(seen.size(), 1u) << "no jitter at the cap";
}

TEST(DispatcherBackoff, IsJittered) {
  DispatchOptions options;
  options.backoff_initial = milliseconds(1000);
  Dispatcher dispatcher(nullptr, nullptr, options);
  int64_t first = dispatcher.Backoff(1).count();
  bool varied = false;
  for (int i = 0; i < 50 && !varied; ++i) varied = dispatcher.Backoff(1).count() != first;
  EXPECT_TRUE(varied) << "50 delays in a row were all " << first << " ms";
}

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

// Issue: windows longer than 31 days were accepted, but firings older than that
// were neither loaded at start nor kept by the pruning.
TEST(ProcessorThrottleHorizon, IsAMonthOrTheLongestWindowOfTheCurrentRules) {
  using std::chrono::hours;
  Processor processor(nullptr, nullptr);  // never started
  processor.SetRules(RulesThrottledPer("1h"));
  EXPECT_EQ(processor.ThrottleHorizon(), hours(24 * 31));
  processor.SetRules(RulesThrottledPer("90d"));  // a reload with a longer window
  EXPECT_EQ(processor.ThrottleHorizon(), hours(24 * 90));
  processor.SetRules(RulesThrottledPer("2d"));
  EXPECT_EQ(processor.ThrottleHorizon(), hours(24 * 31));
}

// Issue: the in-memory throttle state was only ever added to while serving.
TEST(ProcessorThrottleHorizon, PruneThrottlesForgetsFiringsBeforeTheGivenTime) {
  const std::string path = ::testing::TempDir() + "prune-throttles-test.db";
  std::remove(path.c_str());
  SqliteOptions options;
  options.path = path;
  auto store = OpenSqliteStore(options);  // the throttle state is loaded from it
  ASSERT_TRUE(store.ok()) << store.status().message();
  Metrics metrics;
  Processor processor(store->get(), &metrics);
  auto rules = RulesThrottledPer("1h");
  processor.SetRules(rules);
  auto event = Event::Parse(
      R"({"id":"EV1","type":"message.received","data":{"object":{"direction":"incoming",)"
      R"("from":"+15555550100","to":["+15555550101"],"text":"hi"}}})");
  ASSERT_TRUE(event.ok()) << event.status().message();
  const TimeStamp start{std::chrono::hours(24 * 365 * 56)};
  EXPECT_EQ(processor.Process("EV1", *event, *rules, start).firings.size(), 1u);
  EXPECT_EQ(processor.Process("EV2", *event, *rules, start + std::chrono::minutes(1))
                .firings.size(),
            0u)
      << "the throttle holds within its hour";
  processor.PruneThrottles(start + std::chrono::seconds(1));
  EXPECT_EQ(processor.Process("EV3", *event, *rules, start + std::chrono::minutes(2))
                .firings.size(),
            1u)
      << "the pruned firing no longer counts";
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
}

}  // namespace
}  // namespace server
}  // namespace switchboard
