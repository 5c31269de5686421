#include "switchboard/throttle.h"

#include <algorithm>
#include <iterator>

namespace switchboard {

int InMemoryThrottleStore::CountSince(std::string_view rule_id, std::string_view key,
                                      TimeStamp since) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = firings_.find(KeyView(rule_id, key));
  if (it == firings_.end()) return 0;
  return static_cast<int>(std::count_if(it->second.begin(), it->second.end(),
                                        [&](TimeStamp t) { return t >= since; }));
}

void InMemoryThrottleStore::Record(std::string_view rule_id, std::string_view key, TimeStamp at) {
  std::lock_guard<std::mutex> lock(mu_);
  firings_[{std::string(rule_id), std::string(key)}].push_back(at);
}

bool InMemoryThrottleStore::Forget(std::string_view rule_id, std::string_view key, TimeStamp at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = firings_.find(KeyView(rule_id, key));
  if (it == firings_.end()) return false;
  auto& times = it->second;
  // The most recent first: a firing taken back is usually the last one recorded.
  auto found = std::find(times.rbegin(), times.rend(), at);
  if (found == times.rend()) return false;
  times.erase(std::next(found).base());
  if (times.empty()) firings_.erase(it);
  return true;
}

void InMemoryThrottleStore::RecordMissing(std::string_view rule_id, std::string_view key,
                                          std::vector<TimeStamp> times) {
  if (times.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TimeStamp>& held = firings_[{std::string(rule_id), std::string(key)}];
  std::vector<TimeStamp> have = held;
  std::sort(have.begin(), have.end());
  std::sort(times.begin(), times.end());
  // Sorted ranges with repeats: each time is kept as often as `times` holds
  // it more than `have` does.
  std::set_difference(times.begin(), times.end(), have.begin(), have.end(),
                      std::back_inserter(held));
}

void InMemoryThrottleStore::Prune(TimeStamp before) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = firings_.begin(); it != firings_.end();) {
    auto& times = it->second;
    times.erase(std::remove_if(times.begin(), times.end(), [&](TimeStamp t) { return t < before; }),
                times.end());
    it = times.empty() ? firings_.erase(it) : std::next(it);
  }
}

}  // namespace switchboard
