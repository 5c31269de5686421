#include "metrics.h"

#include <algorithm>
#include <cstdio>

namespace switchboard {
namespace server {

namespace {

// Event types are chosen by the sender: keep the label set bounded.
std::string TypeLabel(const std::string& type) {
  static const char* kKnown[] = {
      "message.received",        "message.delivered",         "message.failed",
      "call.ringing",            "call.answered",             "call.completed",
      "call.missed",             "call.forwarded",            "call.recording.completed",
      "call.summary.completed",  "call.transcript.completed", "call.voicemail.completed",
      "contact.updated",         "contact.deleted"};
  for (const char* k : kKnown) {
    if (type == k) return type;
  }
  return type.empty() ? "none" : "other";
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void Metrics::CountEvent(const std::string& type, const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++events_[{TypeLabel(type), outcome}];
}

void Metrics::CountRuleFired(std::string_view rule_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rules_.find(rule_id);
  if (it == rules_.end()) it = rules_.emplace(std::string(rule_id), 0).first;
  ++it->second;
}

void Metrics::CountAction(const std::string& type, const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++actions_[{type, outcome}];
}

void Metrics::ObserveRequest(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++buckets_[i];
  }
  ++request_count_;
  request_sum_ += seconds;
}

std::string Metrics::Render(const Gauges& g) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP switchboard_events_total Webhook deliveries by event type and outcome.\n";
  out += "# TYPE switchboard_events_total counter\n";
  for (const auto& [key, n] : events_) {
    out += "switchboard_events_total{type=\"" + Escape(key.first) + "\",outcome=\"" +
           Escape(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP switchboard_rule_firings_total Rule firings by rule.\n";
  out += "# TYPE switchboard_rule_firings_total counter\n";
  for (const auto& [rule, n] : rules_) {
    out += "switchboard_rule_firings_total{rule=\"" + Escape(rule) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP switchboard_actions_total Action attempts by type and outcome.\n";
  out += "# TYPE switchboard_actions_total counter\n";
  for (const auto& [key, n] : actions_) {
    out += "switchboard_actions_total{type=\"" + Escape(key.first) + "\",outcome=\"" +
           Escape(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  auto gauge = [&](const char* name, const char* help, int64_t v) {
    if (v < 0) return;
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
           " " + std::to_string(v) + "\n";
  };
  gauge("switchboard_inbox_depth", "Stored events not processed yet.", g.inbox_depth);
  gauge("switchboard_outbox_depth", "Actions waiting to run or to be retried.", g.outbox_depth);
  gauge("switchboard_dead_letters", "Actions that failed for good.", g.dead_letters);
  out += "# HELP switchboard_request_duration_seconds Webhook request latency.\n";
  out += "# TYPE switchboard_request_duration_seconds histogram\n";
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    out += "switchboard_request_duration_seconds_bucket{le=\"" + Number(kBuckets[i]) + "\"} " +
           std::to_string(buckets_[i]) + "\n";
  }
  out += "switchboard_request_duration_seconds_bucket{le=\"+Inf\"} " +
         std::to_string(request_count_) + "\n";
  out += "switchboard_request_duration_seconds_sum " + Number(request_sum_) + "\n";
  out += "switchboard_request_duration_seconds_count " + std::to_string(request_count_) + "\n";
  return out;
}

}  // namespace server
}  // namespace switchboard
