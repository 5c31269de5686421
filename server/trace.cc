#include "trace.h"

namespace switchboard {
namespace server {

Value EvaluationToValue(const Evaluation& evaluation, bool details) {
  Value::Array fired;
  for (const FiredRule& f : evaluation.fired) {
    Value rule{Value::Object()};
    rule.Set("rule", Value(f.rule_id));
    Value::Array actions;
    for (const FiredAction& a : f.actions) {
      Value action{Value::Object()};
      action.Set("type", Value(a.type));
      action.Set("params", a.redacted_params());
      if (!a.error.empty()) action.Set("error", Value(a.error));
      actions.push_back(std::move(action));
    }
    rule.Set("actions", Value(std::move(actions)));
    fired.push_back(std::move(rule));
  }
  Value::Array not_fired;
  for (const NotFiredRule& n : evaluation.not_fired) {
    Value rule{Value::Object()};
    rule.Set("rule", Value(n.rule_id));
    rule.Set("reason", Value(n.reason));
    if (details) {
      // A rule stopped by another, or throttled, failed no condition.
      if (!n.condition.empty()) rule.Set("condition", Value(n.condition));
      // Absent when the path is missing; a JSON null is a value that is there.
      if (n.actual) rule.Set("actual", *n.actual);
    }
    not_fired.push_back(std::move(rule));
  }
  Value out{Value::Object()};
  out.Set("fired", Value(std::move(fired)));
  out.Set("not_fired", Value(std::move(not_fired)));
  return out;
}

}  // namespace server
}  // namespace switchboard
