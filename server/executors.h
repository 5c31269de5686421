// Executors: run one stored action of a built-in type and classify the outcome
// as success, retryable failure or permanent failure.
#ifndef SWITCHBOARD_SERVER_EXECUTORS_H_
#define SWITCHBOARD_SERVER_EXECUTORS_H_

#include <chrono>
#include <optional>
#include <string>

#include "switchboard/value.h"

namespace switchboard {
namespace server {

struct ExecResult {
  enum class Kind { kOk, kRetry, kPermanent };
  Kind kind = Kind::kOk;
  std::string error;  // free of secrets
  std::optional<std::chrono::milliseconds> retry_after;  // from a Retry-After header

  static ExecResult Ok() { return {}; }
  static ExecResult Retry(std::string e, std::optional<std::chrono::milliseconds> after = {}) {
    return {Kind::kRetry, std::move(e), after};
  }
  static ExecResult Permanent(std::string e) { return {Kind::kPermanent, std::move(e), {}}; }
};

struct ExecutorOptions {
  std::string api_key;   // OpenPhone API key, sent bare in Authorization
  std::string api_base = "https://api.openphone.com";
  std::chrono::milliseconds timeout{10000};  // default for actions without their own
  int busy_timeout_ms = 5000;                // for `sqlite` actions into other files
};

// Runs `type` with its rendered parameters. `redacted` is what may be logged.
ExecResult ExecuteAction(const ExecutorOptions& options, const std::string& type,
                         const Value& params, const Value& redacted);

// HTTP status codes worth retrying: 408, 429 and 5xx.
bool IsRetryableStatus(int status);
// Parses a Retry-After value: delta seconds or an HTTP date. nullopt if invalid.
std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_EXECUTORS_H_
