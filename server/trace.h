// The JSON form of an evaluation: `switchboard eval --json` prints it and the
// server stores it as each event's trace (GET /api/events/{id}).
#ifndef SWITCHBOARD_SERVER_TRACE_H_
#define SWITCHBOARD_SERVER_TRACE_H_

#include "switchboard/engine.h"

namespace switchboard {
namespace server {

// {"fired": [{"rule", "actions": [{"type", "params" (redacted), "error"?}]}],
//  "not_fired": [{"rule", "reason", "condition"?, "actual"?}]}; the condition and
// the actual value only with `details`.
Value EvaluationToValue(const Evaluation& evaluation, bool details);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_TRACE_H_
