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
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
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
