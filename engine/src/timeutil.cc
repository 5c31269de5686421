#include "timeutil.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iterator>
#include <limits>
#include <utility>

#include "suggest.h"

namespace switchboard {

namespace {

using std::chrono::milliseconds;

constexpr int kMinutesPerDay = 24 * 60;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads exactly `n` digits at `pos` and advances past them.
bool ReadDigits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos > s.size() || s.size() - pos < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool ReadChar(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

// "YYYY-MM-DD" at `pos`. On failure `why` says what is wrong.
bool ReadDate(std::string_view s, size_t& pos, date::year_month_day& out, const char*& why) {
  int y, m, d;
  if (!ReadDigits(s, pos, 4, y) || !ReadChar(s, pos, '-') || !ReadDigits(s, pos, 2, m) ||
      !ReadChar(s, pos, '-') || !ReadDigits(s, pos, 2, d)) {
    why = "expected YYYY-MM-DD";
    return false;
  }
  if (m < 1 || m > 12) {
    why = "month out of range";
    return false;
  }
  out = date::year(y) / date::month(static_cast<unsigned>(m)) / date::day(static_cast<unsigned>(d));
  if (d < 1 || !out.ok()) {
    why = "no such day in that month";
    return false;
  }
  return true;
}

Status DurationError(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid duration '" + std::string(text) + "' (" +
                                 std::string(why) + ")");
}

Status TimeError(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid time '" + std::string(text) + "' (" + std::string(why) +
                                 ")");
}

// Names accepted in a day key. Long names come first so that a typo such as
// "tues" is answered with "tuesday".
struct DayName {
  std::string_view name;
  unsigned mask;  // bit N is weekday N, 0 = Sunday (date::weekday::c_encoding)
};
constexpr DayName kDayNames[] = {
    {"sunday", 1u << 0},   {"monday", 1u << 1}, {"tuesday", 1u << 2},  {"wednesday", 1u << 3},
    {"thursday", 1u << 4}, {"friday", 1u << 5}, {"saturday", 1u << 6}, {"sun", 1u << 0},
    {"mon", 1u << 1},      {"tue", 1u << 2},    {"wed", 1u << 3},      {"thu", 1u << 4},
    {"fri", 1u << 5},      {"sat", 1u << 6},    {"daily", 0x7f},       {"weekdays", 0x3e},
    {"weekends", 0x41},
};
constexpr size_t kFirstGroupName = 14;  // "daily", "weekdays", "weekends" cannot end a range

// The weekday (0 = Sunday) named by a single day, or -1.
int SingleDay(std::string_view lower) {
  for (size_t i = 0; i < kFirstGroupName; ++i) {
    if (kDayNames[i].name == lower) {
      unsigned m = kDayNames[i].mask;
      int wd = 0;
      while (!(m & 1u)) m >>= 1, ++wd;
      return wd;
    }
  }
  return -1;
}

// `in_range`: the token is an end of a range, where groups cannot stand.
Status UnknownDay(std::string_view token, bool in_range) {
  std::vector<std::string_view> candidates;
  for (size_t i = 0; i < std::size(kDayNames); ++i) {
    if (!in_range || i < kFirstGroupName) candidates.push_back(kDayNames[i].name);
  }
  return Status::InvalidArgument("unknown day '" + std::string(token) + "'" +
                                 DidYouMean(Lower(token), candidates));
}

// A day key ("mon", "mon-fri", "fri-mon", "mon,wed,fri", "daily", ...) as a mask.
Status ParseDays(std::string_view key, unsigned& mask) {
  mask = 0;
  std::string_view rest = key;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    if (item.empty()) {
      return Status::InvalidArgument(
          "invalid day key '" + std::string(key) +
          "' (expected e.g. mon, mon-fri, mon,wed,fri, daily, weekdays or weekends)");
    }
    std::string lower = Lower(item);
    size_t dash = lower.find('-');
    if (dash == std::string::npos) {
      auto it = std::find_if(std::begin(kDayNames), std::end(kDayNames),
                             [&](const DayName& d) { return d.name == lower; });
      if (it == std::end(kDayNames)) return UnknownDay(item, false);
      mask |= it->mask;
    } else {
      std::string_view from = Trim(item.substr(0, dash));
      std::string_view to = Trim(item.substr(dash + 1));
      int a = SingleDay(Lower(from));
      int b = SingleDay(Lower(to));
      for (auto [end, wd] : {std::pair(from, a), std::pair(to, b)}) {
        if (wd >= 0) continue;
        std::string lower_end = Lower(end);
        for (size_t i = kFirstGroupName; i < std::size(kDayNames); ++i) {
          if (kDayNames[i].name == lower_end) {
            return Status::InvalidArgument(
                "invalid day range '" + std::string(item) +
                "' (a range runs from one day to another, e.g. mon-fri)");
          }
        }
        return UnknownDay(end, true);
      }
      // Walk forward from `a`, wrapping past Saturday, so "fri-mon" is fri sat sun mon.
      for (int d = a;; d = (d + 1) % 7) {
        mask |= 1u << d;
        if (d == b) break;
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return Status::OK();
}

// "H:MM" or "HH:MM" -> minutes since midnight; 24:00 gives kMinutesPerDay.
// Returns false on syntax errors; sets `in_range` false for e.g. 25:00.
bool ParseClock(std::string_view s, int& minutes, bool& in_range) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() != colon + 3) {
    return false;
  }
  int h = 0, m = 0;
  size_t pos = 0;
  if (!ReadDigits(s, pos, colon, h)) return false;
  pos = colon + 1;
  if (!ReadDigits(s, pos, 2, m)) return false;
  in_range = (h <= 23 && m <= 59) || (h == 24 && m == 0);
  minutes = h * 60 + m;
  return true;
}

Status ParseInterval(std::string_view interval, int& start, int& end) {
  auto error = [&](std::string_view why) {
    return Status::InvalidArgument("invalid time range '" + std::string(interval) + "' (" +
                                   std::string(why) + ")");
  };
  size_t dash = interval.find('-');
  if (dash == std::string_view::npos) return error("expected HH:MM-HH:MM");
  bool start_ok = true, end_ok = true;
  if (!ParseClock(Trim(interval.substr(0, dash)), start, start_ok) ||
      !ParseClock(Trim(interval.substr(dash + 1)), end, end_ok)) {
    return error("expected HH:MM-HH:MM");
  }
  if (!start_ok || !end_ok || start == kMinutesPerDay) {
    return error("hours run 00-23 and minutes 00-59; 24:00 is allowed only as an end");
  }
  if (start == end) {
    return Status::InvalidArgument("empty time range '" + std::string(interval) +
                                   "' (start and end are equal)");
  }
  return Status::OK();
}

}  // namespace

Result<milliseconds> ParseDuration(std::string_view text) {
  constexpr std::string_view kExpected = "expected a number with a unit: 90s, 15m, 12h, 7d";
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (text.empty()) return DurationError(text, kExpected);
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) return DurationError(text, kExpected);
    int64_t n = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      if (n > (kMax - 9) / 10) return DurationError(text, "too large");
      n = n * 10 + (text[i] - '0');
    }
    if (i == text.size()) return DurationError(text, kExpected);
    int64_t unit_ms;
    switch (text[i]) {
      case 'm':
        if (i + 1 < text.size() && text[i + 1] == 's') {
          unit_ms = 1;
          ++i;
        } else {
          unit_ms = 60'000;
        }
        break;
      case 's':
        unit_ms = 1'000;
        break;
      case 'h':
        unit_ms = 3'600'000;
        break;
      case 'd':
        unit_ms = 86'400'000;
        break;
      case 'w':
        unit_ms = 604'800'000;
        break;
      default:
        return DurationError(text, kExpected);
    }
    ++i;
    if (n > (kMax - total) / unit_ms) return DurationError(text, "too large");
    total += n * unit_ms;
  }
  if (total == 0) return DurationError(text, "must be greater than zero");
  return milliseconds(total);
}

std::string FormatDuration(milliseconds d) {
  int64_t count = d.count();
  if (count == 0) return "0s";
  std::string out;
  // Unsigned, so that the most negative value can be negated.
  uint64_t v = static_cast<uint64_t>(count);
  if (count < 0) {
    out = "-";
    v = 0 - v;
  }
  // Days are the largest unit: "14d" reads better than "2w", and ParseDuration
  // takes both.
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
  for (const auto& [unit_ms, name] : kUnits) {
    if (v >= unit_ms) {
      out += std::to_string(v / unit_ms);
      out += name;
      v %= unit_ms;
    }
  }
  return out;
}

bool ParseCanonicalIsoTime(std::string_view text, TimePoint* out) {
  const size_t n = text.size();
  if (n != 20 && n != 24) return false;
  const char* s = text.data();
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[n - 1] != 'Z' || (n == 24 && s[19] != '.')) {
    return false;
  }
  // The largest value read: above 9 when a character is not a digit (its
  // unsigned difference from '0' is, also below '0').
  unsigned largest = 0;
  auto digit = [&](size_t i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - unsigned{'0'};
    largest = std::max(largest, d);
    return d;
  };
  auto two = [&](size_t i) { return digit(i) * 10 + digit(i + 1); };
  const unsigned year = two(0) * 100 + two(2), month = two(5), day = two(8);
  const unsigned hh = two(11), mm = two(14), ss = two(17);
  const unsigned ms = n == 24 ? two(20) * 10 + digit(22) : 0;
  if (largest > 9 || hh > 23 || mm > 59 || ss > 59) return false;
  const date::year_month_day ymd{date::year(static_cast<int>(year)), date::month(month),
                                 date::day(day)};
  if (!ymd.ok()) return false;  // month 00 or 13-99, day 00 or past the month's end
  *out = TimePoint(date::sys_days(ymd)) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(ss) + milliseconds(ms);
  return true;
}

Result<TimePoint> ParseIsoTime(std::string_view text) {
  // Most times are in the canonical form (OpenPhone's createdAt, which every
  // scheduled rule reads): it is read at fixed offsets, without the general
  // parser's steps one field at a time (about 230 instructions against 350).
  if (TimePoint t; ParseCanonicalIsoTime(text, &t)) return t;
  return ParseIsoTimeGeneral(text);
}

Result<TimePoint> ParseIsoTimeGeneral(std::string_view text) {
  constexpr std::string_view kExpected = "expected ISO 8601 such as 2026-01-05T15:04:05Z";
  size_t pos = 0;
  date::year_month_day ymd;
  const char* why = nullptr;
  if (!ReadDate(text, pos, ymd, why)) return TimeError(text, why);
  TimePoint t = date::sys_days(ymd);
  if (pos == text.size()) return t;

  char sep = text[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return TimeError(text, kExpected);
  int hh, mm, ss = 0, ms = 0;
  if (!ReadDigits(text, pos, 2, hh) || !ReadChar(text, pos, ':') || !ReadDigits(text, pos, 2, mm)) {
    return TimeError(text, kExpected);
  }
  if (ReadChar(text, pos, ':')) {
    if (!ReadDigits(text, pos, 2, ss)) return TimeError(text, kExpected);
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      size_t digits = 0;
      for (; pos < text.size() && IsDigit(text[pos]); ++pos, ++digits) {
        if (digits < 3) ms = ms * 10 + (text[pos] - '0');  // beyond ms: truncated
      }
      if (digits == 0) return TimeError(text, kExpected);
      for (; digits < 3; ++digits) ms *= 10;
    }
  }
  if (hh > 23) return TimeError(text, "hour out of range");
  if (mm > 59) return TimeError(text, "minute out of range");
  if (ss > 59) return TimeError(text, "second out of range");
  t += std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss) +
       milliseconds(ms);

  // No zone designator means UTC.
  if (pos < text.size()) {
    char z = text[pos++];
    if (z == 'Z' || z == 'z') {
      // UTC
    } else if (z == '+' || z == '-') {
      int oh, om;
      if (!ReadDigits(text, pos, 2, oh)) return TimeError(text, kExpected);
      ReadChar(text, pos, ':');  // +HH:MM or +HHMM
      if (!ReadDigits(text, pos, 2, om)) return TimeError(text, kExpected);
      if (oh > 23 || om > 59) return TimeError(text, "offset out of range");
      auto offset = std::chrono::hours(oh) + std::chrono::minutes(om);
      // Local = UTC + offset, so UTC = local - offset.
      t += z == '+' ? -offset : offset;
    } else {
      return TimeError(text, kExpected);
    }
    if (pos != text.size()) return TimeError(text, kExpected);
  }
  return t;
}

std::string FormatIsoTime(TimePoint t) {
  auto day = date::floor<date::days>(t);
  date::year_month_day ymd(day);
  int64_t ms = (t - day).count();  // in [0, 86400000)
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(ms / 3'600'000),
                static_cast<int>(ms / 60'000 % 60), static_cast<int>(ms / 1'000 % 60),
                static_cast<int>(ms % 1'000));
  return buf;
}

struct Schedule::Rep {
  const date::time_zone* zone = nullptr;  // null: UTC
  // Indexed by weekday, 0 = Sunday; [start, end) in minutes of the local day.
  std::array<std::vector<std::pair<int, int>>, 7> weekly;
  std::vector<date::local_days> closed;  // sorted, unique
};

Schedule::Schedule() : rep_(std::make_unique<Rep>()) {}
Schedule::Schedule(Schedule&&) noexcept = default;
Schedule& Schedule::operator=(Schedule&&) noexcept = default;
Schedule::Schedule(const Schedule& other)
    : rep_(std::make_unique<Rep>(other.rep_ ? *other.rep_ : Rep())) {}
Schedule& Schedule::operator=(const Schedule& other) {
  if (this != &other) rep_ = std::make_unique<Rep>(other.rep_ ? *other.rep_ : Rep());
  return *this;
}
Schedule::~Schedule() = default;

Status Schedule::SetTimeZone(std::string_view iana_name) {
  if (!rep_) rep_ = std::make_unique<Rep>();
  // The system's zone files include these, but they are not IANA zones: the
  // first is whatever zone the machine is set to, the others no place at all.
  constexpr std::string_view kNotPlaces[] = {"localtime", "posixrules", "Factory"};
  for (std::string_view name : kNotPlaces) {
    if (iana_name == name) {
      return Status::InvalidArgument("time zone '" + std::string(iana_name) +
                                     "' is not an IANA zone of a place: name one, such as "
                                     "America/New_York or UTC");
    }
  }
  if (iana_name == "Z" || iana_name == "z") {
    return Status::InvalidArgument("unknown time zone '" + std::string(iana_name) +
                                   "' (did you mean 'UTC'?)");
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(iana_name);
    // Zone files load lazily; load this one now so that a broken file is reported
    // here, at load time, rather than making Contains() fail per event.
    zone->get_info(date::sys_seconds{});
  } catch (const std::exception&) {
    zone = nullptr;
  }
  if (zone != nullptr) {
    rep_->zone = zone;
    return Status::OK();
  }
  // Only on error: gather every zone name for the suggestion.
  std::string suggestion;
  try {
    const date::tzdb& db = date::get_tzdb();
    std::vector<std::string_view> names;
    names.reserve(db.zones.size());
    for (const date::time_zone& z : db.zones) names.push_back(z.name());
#if !USE_OS_TZDB
    for (const date::time_zone_link& l : db.links) names.push_back(l.name());
#endif
    names.erase(std::remove_if(names.begin(), names.end(),
                               [&](std::string_view n) {
                                 return std::find(std::begin(kNotPlaces), std::end(kNotPlaces),
                                                  n) != std::end(kNotPlaces);
                               }),
                names.end());
    suggestion = DidYouMean(iana_name, names);
  } catch (const std::exception&) {
    // No database at all: the error below still names the zone.
  }
  return Status::InvalidArgument("unknown time zone '" + std::string(iana_name) + "'" + suggestion);
}

Status Schedule::AddWeekly(std::string_view days, std::string_view interval) {
  if (!rep_) rep_ = std::make_unique<Rep>();
  unsigned mask = 0;
  Status s = ParseDays(days, mask);
  if (!s.ok()) return s;
  int start = 0, end = 0;
  s = ParseInterval(interval, start, end);
  if (!s.ok()) return s;
  for (int wd = 0; wd < 7; ++wd) {
    if (!(mask & (1u << wd))) continue;
    if (start < end) {
      rep_->weekly[wd].emplace_back(start, end);
    } else {
      // Past midnight: the part after midnight belongs to the next day.
      rep_->weekly[wd].emplace_back(start, kMinutesPerDay);
      if (end > 0) rep_->weekly[(wd + 1) % 7].emplace_back(0, end);
    }
  }
  return Status::OK();
}

Status Schedule::AddClosed(std::string_view text) {
  if (!rep_) rep_ = std::make_unique<Rep>();
  size_t pos = 0;
  date::year_month_day ymd;
  const char* why = nullptr;
  if (!ReadDate(text, pos, ymd, why) || pos != text.size()) {
    return Status::InvalidArgument("invalid date '" + std::string(text) + "' (" +
                                   (why ? why : "expected YYYY-MM-DD") + ")");
  }
  date::local_days day(ymd);
  auto it = std::lower_bound(rep_->closed.begin(), rep_->closed.end(), day);
  if (it == rep_->closed.end() || *it != day) rep_->closed.insert(it, day);
  return Status::OK();
}

bool Schedule::has_time_zone() const { return rep_ && rep_->zone != nullptr; }

namespace {

// The local time of `t` in `zone`, as zone->to_local(t). date's get_info searches
// the zone's transitions and builds a sys_info, abbreviation string included, for
// every call; consecutive events nearly always fall between the same two
// transitions, so each thread keeps the last interval it looked up and its offset.
date::local_time<milliseconds> ToLocal(const date::time_zone* zone, TimePoint t) {
  struct Interval {
    const date::time_zone* zone = nullptr;
    date::sys_seconds begin;
    date::sys_seconds end;
    std::chrono::seconds offset{0};
  };
  thread_local Interval last;
  const date::sys_seconds seconds = date::floor<std::chrono::seconds>(t);
  if (last.zone != zone || seconds < last.begin || seconds >= last.end) {
    const date::sys_info info = zone->get_info(seconds);
    last = {zone, info.begin, info.end, info.offset};
  }
  return date::local_time<milliseconds>((t + last.offset).time_since_epoch());
}

}  // namespace

bool Schedule::Contains(TimePoint t) const {
  if (!rep_) return false;
  date::local_time<milliseconds> local;
  if (rep_->zone != nullptr) {
    try {
      local = ToLocal(rep_->zone, t);
    } catch (const std::exception&) {
      return false;
    }
  } else {
    local = date::local_time<milliseconds>(t.time_since_epoch());
  }
  auto day = date::floor<date::days>(local);
  if (std::binary_search(rep_->closed.begin(), rep_->closed.end(), day)) return false;
  int minute =
      static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  unsigned wd = date::weekday(day).c_encoding();
  for (const auto& [start, end] : rep_->weekly[wd]) {
    if (minute >= start && minute < end) return true;
  }
  return false;
}

}  // namespace switchboard
