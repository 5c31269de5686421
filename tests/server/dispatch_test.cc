// The dispatcher's retry delays (SPEC section 3: exponential backoff with jitter).
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "pipeline.h"

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

}  // namespace
}  // namespace server
}  // namespace switchboard
