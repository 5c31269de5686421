#include "time_format.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace switchboard {
namespace server {

std::string FormatMs(int64_t ms) {
  time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char out[80];  // room for any int the compiler cannot rule out
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return out;
}

namespace {

// Whether `t` is an ISO 8601 date (YYYY-MM-DD) or date-time (THH:MM, :SS, a
// fraction, Z or an offset) and nothing more. Poco's parser is lenient: it
// reads "yesterday" as a date, stops where its format ends ("2026-12-07Tjunk"
// was the date) and takes hour 25.
bool IsIsoDateTime(const std::string& t) {
  size_t i = 0;
  auto number = [&](size_t digits, int low, int high) {
    int value = 0;
    for (size_t k = 0; k < digits; ++k, ++i) {
      if (i >= t.size() || t[i] < '0' || t[i] > '9') return false;
      value = value * 10 + (t[i] - '0');
    }
    return value >= low && value <= high;
  };
  auto literal = [&](const char* any_of) {
    if (i >= t.size() || std::strchr(any_of, t[i]) == nullptr || t[i] == '\0') return false;
    ++i;
    return true;
  };
  if (!number(4, 0, 9999) || !literal("-") || !number(2, 1, 12) || !literal("-") ||
      !number(2, 1, 31)) {
    return false;
  }
  if (i == t.size()) return true;
  if (!literal("Tt ") || !number(2, 0, 23) || !literal(":") || !number(2, 0, 59)) return false;
  if (literal(":")) {
    if (!number(2, 0, 60)) return false;
    if (literal(".,")) {
      const size_t start = i;
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      if (i == start) return false;
    }
  }
  if (i == t.size()) return true;
  if (literal("Zz")) return i == t.size();
  if (!literal("+-") || !number(2, 0, 23)) return false;
  literal(":");
  return number(2, 0, 59) && i == t.size();
}

}  // namespace

bool ParseIsoMs(const std::string& text, int64_t* ms) {
  if (!IsIsoDateTime(text)) return false;
  static const std::string kFormats[] = {Poco::DateTimeFormat::ISO8601_FRAC_FORMAT,
                                         Poco::DateTimeFormat::ISO8601_FORMAT, "%Y-%m-%d"};
  for (const std::string& format : kFormats) {
    try {
      int tz = 0;
      Poco::DateTime parsed;
      if (!Poco::DateTimeParser::tryParse(format, text, parsed, tz)) continue;
      *ms = (parsed.timestamp().epochMicroseconds() / 1000) - static_cast<int64_t>(tz) * 1000;
      return true;
    } catch (const Poco::Exception&) {
    }
  }
  return false;
}

}  // namespace server
}  // namespace switchboard
