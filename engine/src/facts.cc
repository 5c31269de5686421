// Placeholder: replaced by the real OpenPhone adapter.
#include "facts.h"

namespace switchboard {

void ComputeFacts(simdjson::dom::element root, FactValue* facts) {
  std::string_view s;
  if (!root["type"].get(s)) facts[static_cast<int>(Fact::kType)] = FactValue::String(s);
  if (!root["id"].get(s)) facts[static_cast<int>(Fact::kId)] = FactValue::String(s);
}

}  // namespace switchboard
