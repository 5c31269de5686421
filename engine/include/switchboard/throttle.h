// Throttle state: how often a rule fired for a key. Evaluation only reads it;
// the caller records firings after it has acted on them (the server does both in
// one database transaction).
#ifndef SWITCHBOARD_THROTTLE_H_
#define SWITCHBOARD_THROTTLE_H_

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/export.h"

namespace switchboard {

using TimeStamp = std::chrono::system_clock::time_point;

class SWITCHBOARD_EXPORT ThrottleStore {
 public:
  virtual ~ThrottleStore() = default;
  // Firings recorded for (rule_id, key) at or after `since`. Must be thread-safe.
  virtual int CountSince(std::string_view rule_id, std::string_view key,
                         TimeStamp since) const = 0;
  // Records one firing.
  virtual void Record(std::string_view rule_id, std::string_view key, TimeStamp at) = 0;
};

// A ThrottleStore in memory; thread-safe. Keeps firings until Prune drops them.
class SWITCHBOARD_EXPORT InMemoryThrottleStore : public ThrottleStore {
 public:
  int CountSince(std::string_view rule_id, std::string_view key, TimeStamp since) const override;
  void Record(std::string_view rule_id, std::string_view key, TimeStamp at) override;
  // Drops firings older than `before`.
  void Prune(TimeStamp before);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::vector<TimeStamp>, std::less<>> firings_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_THROTTLE_H_
