// Evaluation of compiled conditions against one event.
#ifndef SWITCHBOARD_SRC_CONDITION_H_
#define SWITCHBOARD_SRC_CONDITION_H_

#include <optional>
#include <string>

#include "event_rep.h"
#include "rule_set_rep.h"

namespace switchboard {

struct ConditionContext {
  const Event::Rep* event = nullptr;
  const std::vector<Schedule>* schedules = nullptr;
  TimePoint now;
  Captures* captures = nullptr;  // named groups of `matches` that held
  // A `matches` operator (without named groups) already known to hold for the
  // rule being evaluated: the rule set's RE2::Set matched its pattern on the
  // same path's text, so its regex is not run again. May be null.
  const Operator* known_match = nullptr;
};

// Why a condition did not hold.
struct Failure {
  std::string condition;        // "facts.text matches '(?i)hours'"
  std::optional<Value> actual;  // absent when the path is missing
  std::string detail;           // overrides the actual value in the reason ("inside")

  // "facts.text matches '(?i)hours': \"hello\"".
  std::string Reason() const;
};

// True when `condition` holds. When it does not and `failure` is not null,
// *failure describes the first failing condition.
bool EvalCondition(const Condition& condition, ConditionContext* context, Failure* failure);

// Resolves a path: the fact, or the document element. Returns false when absent.
struct Resolved {
  bool is_fact = false;
  // Into the event's facts, not a copy: a FactValue just stored field by field
  // and then copied whole cannot be forwarded from the stores (a stall of 10+
  // cycles on each operator that read a fact).
  const FactValue* fact = nullptr;
  simdjson::dom::element element;
};
bool ResolvePath(const PathRef& path, const Event::Rep& event, Resolved* out);
Value ResolvedToValue(const Resolved& r);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_CONDITION_H_
