// The inside of an Event: the simdjson document and the computed facts.
#ifndef SWITCHBOARD_SRC_EVENT_REP_H_
#define SWITCHBOARD_SRC_EVENT_REP_H_

#include <simdjson.h>

#include <optional>
#include <string>

#include "facts.h"
#include "number.h"
#include "path.h"
#include "timeutil.h"
#include "switchboard/event.h"

namespace switchboard {

struct Event::Rep {
  std::string json;  // the original text; simdjson reads a padded copy
  simdjson::dom::document doc;
  simdjson::dom::element root;  // an object
  FactValue facts[kFactCount];
  // data.object when it is an object: where OpenPhone puts the resource, and
  // where most rule paths lead.
  std::optional<simdjson::dom::element> data_object;
  // Its members that the facts read (text, status, from, ...), when the facts
  // were computed from it: a rule path to one of them starts there.
  std::optional<ObjectMembers> data_object_members;
  // facts.created_at when the event's time had an offset: converted to UTC.
  std::string created_at_utc;
  // facts.created_at as a time (schedules test it); nullopt without the fact.
  std::optional<TimePoint> created_at_time;
  // The JSON text of the facts that the event gives as numbers.
  FactNumberTexts number_texts;
};

// Converts a parsed JSON element to an owned Value.
Value ElementToValue(simdjson::dom::element element);

// WalkPath from the document root. A path under data.object starts from the
// object the facts adapter found, without searching the root and data again.
bool WalkEventPath(const Event::Rep& event, const Path& path, simdjson::dom::element* out);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_EVENT_REP_H_
