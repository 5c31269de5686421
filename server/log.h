// The server log: one line per record on standard error, with a UTC time and a
// level. Callers pass text that is already free of secrets.
#ifndef SWITCHBOARD_SERVER_LOG_H_
#define SWITCHBOARD_SERVER_LOG_H_

#include <string>

namespace switchboard {
namespace server {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

void Log(LogLevel level, const std::string& message);
inline void LogInfo(const std::string& m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(const std::string& m) { Log(LogLevel::kWarning, m); }
inline void LogError(const std::string& m) { Log(LogLevel::kError, m); }
// "debug", "info", "warning" (or "warn"), "error"; anything else is info.
LogLevel ParseLogLevel(const std::string& name);
// `text` with its control characters and backslashes written as escapes (\n, \r,
// \t, \xNN, \\), so that it cannot break a log line or forge the next one.
// Without `escape_backslash`, backslashes stay single: for text read by people
// only (a regex in an explained reason), where one line is all that matters.
std::string OneLine(const std::string& text, bool escape_backslash = true);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_LOG_H_
