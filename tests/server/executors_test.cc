// How the dispatcher reads an endpoint's Retry-After (SPEC section 3: retries
// honor it): delay-seconds, or an HTTP date (RFC 9110 section 10.2.3).
#include <gtest/gtest.h>

#include <chrono>

#include "executors.h"

namespace switchboard {
namespace server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 2026-12-07T22:14:20.000Z
const std::chrono::system_clock::time_point kNow{seconds(1796681660)};

TEST(ParseRetryAfter, Seconds) {
  EXPECT_EQ(ParseRetryAfter("6", kNow), milliseconds(6000));
  EXPECT_EQ(ParseRetryAfter("0", kNow), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", kNow), std::nullopt);
}

// A probe: a date nine seconds ahead was retried after the ordinary backoff.
TEST(ParseRetryAfter, HttpDateInEveryFormat) {
  EXPECT_EQ(ParseRetryAfter("Mon, 07 Dec 2026 22:14:29 GMT", kNow), milliseconds(9000));
  EXPECT_EQ(ParseRetryAfter("Monday, 07-Dec-26 22:14:29 GMT", kNow), milliseconds(9000));
  EXPECT_EQ(ParseRetryAfter("Mon Dec  7 22:14:29 2026", kNow), milliseconds(9000));
  // A date in the past: at once.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kNow), milliseconds(0));
}

}  // namespace
}  // namespace server
}  // namespace switchboard
