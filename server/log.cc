#include "log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "time_format.h"

namespace switchboard {
namespace server {

void Log(LogLevel level, const std::string& message) {
  static std::mutex mu;
  static const char* kNames[] = {"debug", "info", "warning", "error"};
  std::string when = FormatMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "%s %s %s\n", when.c_str(), kNames[static_cast<int>(level)], message.c_str());
  std::fflush(stderr);
}

std::string OneLine(const std::string& text, bool escape_backslash) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    // Unicode's line breaks and other controls beyond ASCII, which some
    // viewers also break lines at: NEL and the C1 controls (U+0080-U+009F, C2
    // 80-9F in UTF-8), LINE SEPARATOR and PARAGRAPH SEPARATOR (E2 80 A8-A9).
    const auto next = [&](size_t k) {
      return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    if (u == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", next(1));
      out += buf;
      i += 1;
      continue;
    }
    if (u == 0xE2 && next(1) == 0x80 && (next(2) == 0xA8 || next(2) == 0xA9)) {
      out += next(2) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    if (c == '\\' && escape_backslash) {
      out += "\\\\";  // so that an escape in the output always means one character
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

LogLevel ParseLogLevel(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warning" || name == "warn") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

}  // namespace server
}  // namespace switchboard
