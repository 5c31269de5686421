// ParseIsoMs: the times of `replay --since/--until` and the admin API's
// `since`/`until`. Anything that is not wholly an ISO 8601 date or date-time
// is refused (Poco's parser alone read "2026-12-07Tjunk" as the date).
#include "time_format.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard {
namespace server {
namespace {

int64_t Ms(const std::string& text) {
  int64_t ms = -1;
  EXPECT_TRUE(ParseIsoMs(text, &ms)) << text;
  return ms;
}

TEST(ParseIsoMs, AcceptsDatesAndDateTimesWithOrWithoutAZone) {
  const int64_t midnight = 1796601600000;  // 2026-12-07T00:00:00Z
  EXPECT_EQ(Ms("2026-12-07"), midnight);
  EXPECT_EQ(Ms("2026-12-07T00:00:00Z"), midnight);
  EXPECT_EQ(Ms("2026-12-07T17:50:00Z"), midnight + (17 * 60 + 50) * 60000);
  EXPECT_EQ(Ms("2026-12-07T17:50:00.250Z"), midnight + (17 * 60 + 50) * 60000 + 250);
  EXPECT_EQ(Ms("2026-12-07 17:50:00Z"), midnight + (17 * 60 + 50) * 60000);
  EXPECT_EQ(Ms("2026-12-07T17:50:00+01:00"), midnight + (16 * 60 + 50) * 60000);
  EXPECT_EQ(Ms("2026-12-07T17:50:00-05:00"), midnight + (22 * 60 + 50) * 60000);
  EXPECT_EQ(Ms("2026-12-07T17:50:00"), midnight + (17 * 60 + 50) * 60000);  // UTC
}

TEST(ParseIsoMs, RefusesAnythingMore) {
  for (const char* bad :
       {"", "yesterday", "2026-12-07Tgarbage", "2026-12-07T25:00:00Z", "2026-12-07T17:99:00Z",
        "2026-12-07T17:50:00Z junk", "2026-13-01", "2026-12-32", "2026-12-07x", "2026-12-7",
        "2026-12-07T17", "2026-12-07T17:50:00.Z", "2026-12-07T17:50:00+25:00",
        "2026-12-07T17:50:00Q", "26-12-07"}) {
    int64_t ms = 0;
    EXPECT_FALSE(ParseIsoMs(bad, &ms)) << "'" << bad << "' was taken as " << ms;
  }
}

}  // namespace
}  // namespace server
}  // namespace switchboard
