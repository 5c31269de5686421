// The inside of an Event: the simdjson document and the computed facts.
#ifndef SWITCHBOARD_SRC_EVENT_REP_H_
#define SWITCHBOARD_SRC_EVENT_REP_H_

#include <simdjson.h>

#include <string>

#include "switchboard/event.h"

namespace switchboard {

struct Event::Rep {
  std::string json;  // the original text; simdjson reads a padded copy
  simdjson::dom::document doc;
  simdjson::dom::element root;  // an object
  FactValue facts[kFactCount];
};

// Converts a parsed JSON element to an owned Value.
Value ElementToValue(simdjson::dom::element element);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_EVENT_REP_H_
