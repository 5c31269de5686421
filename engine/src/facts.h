// The OpenPhone source adapter: computes facts from a parsed event document.
#ifndef SWITCHBOARD_SRC_FACTS_H_
#define SWITCHBOARD_SRC_FACTS_H_

#include <simdjson.h>

#include <optional>

#include "number.h"
#include "switchboard/event.h"

namespace switchboard {

// Fills facts[0..kFactCount) from the document root (a JSON object). Every fact
// that cannot be computed is left absent; never throws, whatever the document.
// String facts point into the document, into static storage or, for a numeric
// id, into *id_text, which holds its JSON text. Sets *data_object to
// data.object when that is an object, else to nullopt.
void ComputeFacts(simdjson::dom::element root, FactValue* facts,
                  std::optional<simdjson::dom::element>* data_object, NumberText* id_text);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_FACTS_H_
