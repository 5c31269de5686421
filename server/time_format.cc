#include "time_format.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>

#include <cstdio>
#include <ctime>

namespace switchboard {
namespace server {

std::string FormatMs(int64_t ms) {
  time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return out;
}

bool ParseIsoMs(const std::string& text, int64_t* ms) {
  // Poco's parser is lenient (it reads "yesterday" as a date): insist on the
  // YYYY-MM-DD shape first.
  auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i) {
      if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
    }
    return true;
  };
  if (!digits(0, 4) || text.size() < 10 || text[4] != '-' || !digits(5, 2) || text[7] != '-' ||
      !digits(8, 2) || (text.size() > 10 && text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return false;
  }
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
