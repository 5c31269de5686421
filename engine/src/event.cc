#include "switchboard/event.h"

#include "event_rep.h"
#include "facts.h"
#include "path.h"

namespace switchboard {

namespace {

constexpr std::string_view kFactNames[kFactCount] = {
    "type",    "id",     "created_at", "api_version", "direction", "contact",
    "line",    "text",   "call_id",    "missed",      "voicemail", "user_id",
};

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

Value FactToValue(const FactValue& f) {
  switch (f.kind) {
    case FactValue::Kind::kString: return Value(f.string);
    case FactValue::Kind::kBool: return Value(f.boolean);
    case FactValue::Kind::kAbsent: break;
  }
  return Value();
}

}  // namespace

std::string_view FactName(Fact fact) { return kFactNames[static_cast<int>(fact)]; }

std::optional<Fact> FactFromName(std::string_view name) {
  for (int i = 0; i < kFactCount; ++i) {
    if (kFactNames[i] == name) return static_cast<Fact>(i);
  }
  return std::nullopt;
}

Event::Event(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Event::Event(Event&&) noexcept = default;
Event& Event::operator=(Event&&) noexcept = default;
Event::~Event() = default;

Result<Event> Event::Parse(std::string_view json) {
  auto rep = std::make_unique<Rep>();
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: reserve them so the
  // text is parsed in place, without a second copy.
  rep->json.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  rep->json.assign(json.data(), json.size());
  auto error = ThreadParser()
                   .parse_into_document(rep->doc, rep->json.data(), rep->json.size(), false)
                   .get(rep->root);
  if (error) {
    return Status::InvalidArgument(std::string("event is not valid JSON: ") +
                                   simdjson::error_message(error));
  }
  if (!rep->root.is_object()) {
    return Status::InvalidArgument("event is not a JSON object");
  }
  ComputeFacts(rep->root, rep->facts);
  return Event(std::move(rep));
}

std::string_view Event::id() const { return rep_->facts[static_cast<int>(Fact::kId)].string; }
std::string_view Event::type() const {
  return rep_->facts[static_cast<int>(Fact::kType)].string;
}
const FactValue& Event::fact(Fact f) const { return rep_->facts[static_cast<int>(f)]; }
std::string_view Event::raw_json() const { return rep_->json; }

Value Event::FactsAsValue() const {
  Value out{Value::Object()};
  for (int i = 0; i < kFactCount; ++i) {
    if (rep_->facts[i].present()) out.Set(std::string(kFactNames[i]), FactToValue(rep_->facts[i]));
  }
  return out;
}

std::optional<Value> Event::Get(std::string_view path_text) const {
  auto path = ParsePath(path_text);
  if (!path.ok()) return std::nullopt;
  const auto& segments = path->segments;
  if (segments.size() == 2 && segments[0].key == "facts" && segments[1].index < 0) {
    auto fact = FactFromName(segments[1].key);
    if (!fact || !rep_->facts[static_cast<int>(*fact)].present()) return std::nullopt;
    return FactToValue(rep_->facts[static_cast<int>(*fact)]);
  }
  simdjson::dom::element element;
  if (!WalkPath(rep_->root, segments, 0, &element)) return std::nullopt;
  return ElementToValue(element);
}

Value Event::ToValue() const { return ElementToValue(rep_->root); }

}  // namespace switchboard
