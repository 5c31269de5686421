// Counters and a latency histogram, rendered in the Prometheus text format.
#ifndef SWITCHBOARD_SERVER_METRICS_H_
#define SWITCHBOARD_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace switchboard {
namespace server {

class Metrics {
 public:
  // outcome: accepted, duplicate, unauthorized, bad_request, too_large,
  // unsupported_media_type, unavailable. Unknown types are counted as "other".
  void CountEvent(const std::string& type, const std::string& outcome);
  void CountRuleFired(std::string_view rule_id);
  // outcome: succeeded, retried, dead
  void CountAction(const std::string& type, const std::string& outcome);
  void ObserveRequest(double seconds);

  struct Gauges {
    int64_t inbox_depth = -1;   // events not processed yet; -1 when unknown
    int64_t outbox_depth = -1;  // actions waiting
    int64_t dead_letters = -1;
  };
  std::string Render(const Gauges& gauges) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> events_;
  std::map<std::string, uint64_t, std::less<>> rules_;
  std::map<std::pair<std::string, std::string>, uint64_t> actions_;
  std::array<uint64_t, kBuckets.size()> buckets_{};
  uint64_t request_count_ = 0;
  double request_sum_ = 0;
};

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_METRICS_H_
