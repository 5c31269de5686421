// Durations, ISO 8601 times and weekly schedules in IANA time zones.
#ifndef SWITCHBOARD_SRC_TIMEUTIL_H_
#define SWITCHBOARD_SRC_TIMEUTIL_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/status.h"

namespace switchboard {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;

// "90s", "15m", "12h", "7d", "500ms", and sums such as "1h30m". Must be > 0.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// "1h30m" style, the largest units first; "0s" for zero.
std::string FormatDuration(std::chrono::milliseconds d);

// ISO 8601 date-times: "2026-01-05T15:04:05Z", "2026-01-05T15:04:05.123Z",
// "2026-01-05T10:04:05-05:00", "2026-01-05 15:04:05Z"; a date alone
// ("2026-01-05") is midnight UTC. Fractions beyond milliseconds are truncated.
Result<TimePoint> ParseIsoTime(std::string_view text);
// The two parsers behind ParseIsoTime, declared for the tests that compare
// them. The first reads only the canonical UTC form, "2026-01-05T15:04:05Z" or
// "2026-01-05T15:04:05.123Z" (exactly those separators and digits, upper case),
// and returns false for any other text, valid or not; the second reads all forms.
bool ParseCanonicalIsoTime(std::string_view text, TimePoint* out);
Result<TimePoint> ParseIsoTimeGeneral(std::string_view text);
// "2026-01-05T15:04:05.123Z" (always UTC, always milliseconds).
std::string FormatIsoTime(TimePoint t);

// A weekly calendar in one IANA time zone, plus whole days closed.
//
//   timezone: America/New_York
//   weekly: { mon-fri: ["09:00-17:00"], sat: ["10:00-14:00"] }
//   closed: ["2026-12-25"]
//
// Day keys: mon tue wed thu fri sat sun, ranges ("mon-fri", "fri-mon" wraps),
// comma lists ("mon,wed,fri"), "daily" (every day), "weekdays" (mon-fri) and
// "weekends" (sat,sun). Interval strings: "HH:MM-HH:MM", end exclusive; "24:00"
// allowed as an end; an interval whose end is before its start runs past
// midnight into the next day (that next day's part counts for the next day).
// The builder methods are called by the rule loader, one YAML item at a time, so
// that each error can be reported at that item's position.
class Schedule {
 public:
  Schedule();
  Schedule(Schedule&&) noexcept;
  Schedule& operator=(Schedule&&) noexcept;
  Schedule(const Schedule&);
  Schedule& operator=(const Schedule&);
  ~Schedule();

  // Unknown zone -> error naming it (with a suggestion where one is close).
  Status SetTimeZone(std::string_view iana_name);
  // A day key and one "HH:MM-HH:MM" interval.
  Status AddWeekly(std::string_view days, std::string_view interval);
  // A "YYYY-MM-DD" local date that is closed all day.
  Status AddClosed(std::string_view date);

  bool has_time_zone() const;
  // True when local time at `t` (in the schedule's zone) is inside an interval
  // of its weekday and its local date is not closed. DST-correct.
  bool Contains(TimePoint t) const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_TIMEUTIL_H_
