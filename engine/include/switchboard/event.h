// Event: one webhook delivery, parsed once. The raw JSON document is kept untouched
// and addressed by path; the OpenPhone source adapter adds `facts`, a normalized view
// that is the same whatever the payload version (see docs/rules.md, "Facts").
//
// An Event is immutable after Parse and safe to read from several threads.
#ifndef SWITCHBOARD_EVENT_H_
#define SWITCHBOARD_EVENT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/export.h"
#include "switchboard/status.h"
#include "switchboard/value.h"

namespace switchboard {

enum class Fact {
  kType,        // canonical event type ("call.summary.completed" also for "callSummary")
  kId,          // envelope id
  kCreatedAt,   // envelope createdAt, ISO 8601
  kApiVersion,  // "v2", "v3", "v4", "2026-03-30", ...
  kDirection,   // "incoming" or "outgoing"
  kContact,     // the external party's number (E.164)
  kLine,        // the OpenPhone number id (PN...)
  kText,        // message text
  kCallId,      // call id of call, summary, transcript and voicemail events
  kMissed,      // bool; call.completed and call.missed only
  kVoicemail,   // bool; the call left a voicemail
  kUserId,      // the OpenPhone user
};
inline constexpr int kFactCount = 12;

// The name of a fact as rules write it after "facts." ("contact", "call_id").
SWITCHBOARD_EXPORT std::string_view FactName(Fact fact);
// The fact with that name, or nullopt.
SWITCHBOARD_EXPORT std::optional<Fact> FactFromName(std::string_view name);

// A computed fact: absent, a string or a boolean. Strings point into the Event
// (or into static storage) and live as long as the Event.
struct FactValue {
  enum class Kind { kAbsent, kString, kBool };
  Kind kind = Kind::kAbsent;
  std::string_view string;
  bool boolean = false;

  bool present() const { return kind != Kind::kAbsent; }
  static FactValue String(std::string_view s) { return {Kind::kString, s, false}; }
  static FactValue Bool(bool b) { return {Kind::kBool, {}, b}; }
};

class SWITCHBOARD_EXPORT Event {
 public:
  // Parses a JSON object. Fails (kInvalidArgument) on malformed JSON or a
  // document that is not an object. An event with no id or type still parses:
  // its facts are simply absent.
  static Result<Event> Parse(std::string_view json);

  // A moved-from Event is empty, as `{}` parses: no facts, no fields.
  Event(Event&&) noexcept;
  Event& operator=(Event&&) noexcept;
  ~Event();

  // facts.id and facts.type; empty when absent.
  std::string_view id() const;
  std::string_view type() const;

  const FactValue& fact(Fact f) const;
  // Every present fact as an object {"type": ..., "contact": ..., ...}.
  Value FactsAsValue() const;

  // The value at a path ("data.object.to[0]", "facts.contact"); nullopt when absent.
  std::optional<Value> Get(std::string_view path) const;
  // The whole document as a Value (a deep copy).
  Value ToValue() const;
  // The JSON text the event was parsed from.
  std::string_view raw_json() const;

  struct Rep;  // internal
  const Rep& rep() const;

 private:
  explicit Event(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_EVENT_H_
