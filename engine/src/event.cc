#include "switchboard/event.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "event_rep.h"
#include "facts.h"
#include "number.h"
#include "path.h"
#include "timeutil.h"

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

// A Rep costs four allocations: itself, the copy of the text, and the tape and
// string buffers of the document. Each thread keeps the Rep of the last Event it
// destroyed and parses its next event into it, buffers and all. Buffers grow
// with the text (the tape takes about 13 bytes per byte of JSON), so the Rep of
// a large event is freed rather than kept.
constexpr size_t kMaxKeptJsonCapacity = 16 * 1024;

// Set when the thread's spare is destroyed at thread exit: an Event destroyed
// after that (by another thread_local's destructor) frees its Rep instead.
thread_local bool spare_rep_destroyed = false;

struct SpareRep {
  std::unique_ptr<Event::Rep> rep;
  ~SpareRep() { spare_rep_destroyed = true; }
};

SpareRep& ThreadSpareRep() {
  thread_local SpareRep spare;
  return spare;
}

std::unique_ptr<Event::Rep> TakeRep() {
  if (!spare_rep_destroyed) {
    SpareRep& spare = ThreadSpareRep();
    if (spare.rep != nullptr) {
      std::unique_ptr<Event::Rep> rep = std::move(spare.rep);
      std::fill(std::begin(rep->facts), std::end(rep->facts), FactValue());
      return rep;
    }
  }
  return std::make_unique<Event::Rep>();
}

void RecycleRep(std::unique_ptr<Event::Rep> rep) {
  if (rep == nullptr || spare_rep_destroyed || rep->json.capacity() > kMaxKeptJsonCapacity) return;
  SpareRep& spare = ThreadSpareRep();
  if (spare.rep == nullptr) spare.rep = std::move(rep);
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
Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    RecycleRep(std::move(rep_));
    rep_ = std::move(other.rep_);
  }
  return *this;
}
Event::~Event() { RecycleRep(std::move(rep_)); }

// SPEC 6: no exception crosses the API. Memory that runs out is no fault of
// the event: kUnavailable, so that a caller can try again (a server answers
// 503, and the sender retries), never kInvalidArgument.
Result<Event> Event::Parse(std::string_view json) {
  auto parse = [json]() -> Result<Event> {
    std::unique_ptr<Rep> rep = TakeRep();
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: reserve them so the
    // text is parsed in place, without a second copy.
    rep->json.reserve(json.size() + simdjson::SIMDJSON_PADDING);
    rep->json.assign(json.data(), json.size());
    auto error = ThreadParser()
                     .parse_into_document(rep->doc, rep->json.data(), rep->json.size(), false)
                     .get(rep->root);
    if (error == simdjson::NUMBER_ERROR) {
      // Valid JSON may still have a number simdjson cannot hold: the rare case
      // pays for a second parse.
      error = ParseWithOutOfRangeNumbersAsText(ThreadParser(), rep->json, rep->doc, &rep->root);
    }
    if (error == simdjson::MEMALLOC) {
      RecycleRep(std::move(rep));
      return Status::Unavailable("out of memory while parsing the event");
    }
    if (error) {
      RecycleRep(std::move(rep));
      // JSON has no byte order mark (RFC 8259), but editors such as Notepad
      // write one: say so rather than only that the structure is wrong.
      if (json.substr(0, 3) == "\xEF\xBB\xBF") {
        return Status::InvalidArgument(
            "event is not valid JSON: it starts with a UTF-8 byte order mark (save it without one)");
      }
      return Status::InvalidArgument(std::string("event is not valid JSON: ") +
                                     simdjson::error_message(error));
    }
    if (!rep->root.is_object()) {
      RecycleRep(std::move(rep));
      return Status::InvalidArgument("event is not a JSON object");
    }
    ComputeFacts(rep->root, rep->facts, &rep->data_object, &rep->data_object_members,
                 &rep->number_texts);
    // SPEC: facts.created_at is an ISO 8601 UTC time. OpenPhone sends it so,
    // as "2026-01-05T15:04:05.557Z" or "2026-01-05T15:04:05Z", which is kept;
    // any other ISO 8601 time (an offset, no zone, a space for the T,
    // more digits of a second) is written in that form, to milliseconds like
    // `now`. Text that is no time leaves the fact absent, as a fact that
    // cannot be computed: schedules then use the processing time, as for an
    // event without one, rather than seem to have tested the event's time.
    FactValue& created = rep->facts[static_cast<int>(Fact::kCreatedAt)];
    rep->created_at_time.reset();
    if (created.kind == FactValue::Kind::kString) {
      TimePoint canonical;
      if (ParseCanonicalIsoTime(created.string, &canonical)) {
        rep->created_at_time = canonical;
      } else if (auto t = ParseIsoTimeGeneral(created.string); t.ok()) {
        rep->created_at_time = *t;
        rep->created_at_utc = FormatIsoTime(*t);
        created = FactValue::String(rep->created_at_utc);
      } else {
        created = FactValue();
      }
    }
    return Event(std::move(rep));
  };
  try {
    return parse();
  } catch (const std::bad_alloc&) {
    return Status::Unavailable("out of memory while parsing the event");
  }
}

const Event::Rep& Event::rep() const {
  if (rep_ != nullptr) return *rep_;
  // Moved from: the Rep of `{}`, made once with a parser of its own (not the
  // thread's, which may be gone in a thread_local destructor) and kept for
  // the process.
  static const Rep* const empty = [] {
    auto rep = new Rep();
    rep->json = "{}";
    rep->json.reserve(rep->json.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::parser parser;
    if (parser.parse_into_document(rep->doc, rep->json.data(), rep->json.size(), false)
            .get(rep->root)) {
      std::abort();  // "{}" always parses, unless two bytes of memory could not be had
    }
    return rep;
  }();
  return *empty;
}

std::string_view Event::id() const { return rep().facts[static_cast<int>(Fact::kId)].string; }
std::string_view Event::type() const {
  return rep().facts[static_cast<int>(Fact::kType)].string;
}
const FactValue& Event::fact(Fact f) const { return rep().facts[static_cast<int>(f)]; }
std::string_view Event::raw_json() const { return rep().json; }

Value Event::FactsAsValue() const {
  Value out{Value::Object()};
  for (int i = 0; i < kFactCount; ++i) {
    if (rep().facts[i].present()) out.Set(std::string(kFactNames[i]), FactToValue(rep().facts[i]));
  }
  return out;
}

std::optional<Value> Event::Get(std::string_view path_text) const {
  auto path = ParsePath(path_text);
  if (!path.ok()) return std::nullopt;
  const auto& segments = path->segments;
  if (segments.size() == 2 && segments[0].key == "facts" && segments[1].index < 0) {
    auto fact = FactFromName(segments[1].key);
    if (!fact || !rep().facts[static_cast<int>(*fact)].present()) return std::nullopt;
    return FactToValue(rep().facts[static_cast<int>(*fact)]);
  }
  simdjson::dom::element element;
  if (!WalkEventPath(rep(), *path, &element)) return std::nullopt;
  return ElementToValue(element);
}

Value Event::ToValue() const { return ElementToValue(rep().root); }

bool WalkEventPath(const Event::Rep& event, const Path& path, simdjson::dom::element* out) {
  if (path.under_data_object && event.data_object) {
    // data.object.text, .status, ...: the member is known, where at_key would
    // compare the keys before it one by one (about 200 instructions). An index
    // segment has an empty key, which is no member's.
    if (event.data_object_members && path.segments.size() > 2) {
      if (const auto* member = event.data_object_members->Slot(path.segments[2].key)) {
        return *member && WalkPath(**member, path.segments, 3, out);
      }
    }
    return WalkPath(*event.data_object, path.segments, 2, out);
  }
  return WalkPath(event.root, path.segments, 0, out);
}

}  // namespace switchboard
