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
  // Removes one firing of (rule_id, key) recorded at exactly `at`: a caller
  // that records firings before it has stored what they stand for takes them
  // back when storing fails. Returns false when there is none.
  bool Forget(std::string_view rule_id, std::string_view key, TimeStamp at);
  // Records those of `times` (firings of (rule_id, key)) that the store does
  // not hold yet, counting repeats: afterwards it holds each time at least as
  // often as `times` lists it. For a caller that loads stored firings into a
  // store that already holds some of them (and others not stored yet).
  void RecordMissing(std::string_view rule_id, std::string_view key,
                     std::vector<TimeStamp> times);

 private:
  using Key = std::pair<std::string, std::string>;  // rule id, key
  using KeyView = std::pair<std::string_view, std::string_view>;
  // Orders keys as Key's operator< does; transparent, so that lookups need no copy.
  struct KeyLess {
    using is_transparent = void;
    static KeyView View(const Key& k) { return {k.first, k.second}; }
    static KeyView View(const KeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) < View(b);
    }
  };

  mutable std::mutex mu_;
  std::map<Key, std::vector<TimeStamp>, KeyLess> firings_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_THROTTLE_H_
