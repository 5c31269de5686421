// The OpenPhone source adapter: computes facts from a parsed event document.
#ifndef SWITCHBOARD_SRC_FACTS_H_
#define SWITCHBOARD_SRC_FACTS_H_

#include <simdjson.h>

#include <optional>
#include <string_view>

#include "number.h"
#include "switchboard/event.h"

namespace switchboard {

// The members of the OpenPhone resource object (data.object in legacy payloads,
// data.resource in beta ones) that facts are computed from, found in one pass
// over it. When a key repeats, the first wins, as with simdjson's at_key.
struct ObjectMembers {
  std::optional<simdjson::dom::element> participants, direction, from, to, phone_number_id,
      object, text, body, call_id, id, answered_at, status, voicemail, has_voicemail, user_id;

  // The member `key` is kept in, or null when it is not one of these. Keys are
  // told apart by their length first, so that a key meets one or two comparisons.
  std::optional<simdjson::dom::element>* Slot(std::string_view key) {
    switch (key.size()) {
      case 2: return key == "to" ? &to : key == "id" ? &id : nullptr;
      case 4: return key == "from" ? &from : key == "text" ? &text : key == "body" ? &body : nullptr;
      case 6:
        if (key == "object") return &object;
        if (key == "callId") return &call_id;
        if (key == "status") return &status;
        return key == "userId" ? &user_id : nullptr;
      case 9: return key == "direction" ? &direction : key == "voicemail" ? &voicemail : nullptr;
      case 10: return key == "answeredAt" ? &answered_at : nullptr;
      case 12:
        return key == "participants" ? &participants : key == "hasVoicemail" ? &has_voicemail
                                                                             : nullptr;
      case 13: return key == "phoneNumberId" ? &phone_number_id : nullptr;
    }
    return nullptr;
  }
  const std::optional<simdjson::dom::element>* Slot(std::string_view key) const {
    return const_cast<ObjectMembers*>(this)->Slot(key);
  }
};

// The type that facts.type holds for an event of type `type`: OpenPhone's legacy
// names callSummary and callTranscript become call.summary.completed and
// call.transcript.completed; any other type is itself.
std::string_view CanonicalType(std::string_view type);
// The OpenPhone event type (message.received, call.missed, ...) that `type`
// spells in another case, or itself; nullopt when it names none.
std::optional<std::string_view> OpenPhoneTypeIgnoringCase(std::string_view type);

// Storage for the ids that an event gives as numbers (a generic source's event
// id, a call id): their JSON text, which is the fact (ids are opaque strings).
struct FactNumberTexts {
  NumberText id;
  NumberText call_id;
};

// Fills facts[0..kFactCount) from the document root (a JSON object). Every fact
// that cannot be computed is left absent; never throws, whatever the document.
// String facts point into the document, into static storage or, for a numeric
// id, into *numbers, which holds its JSON text. Sets *data_object to
// data.object when that is an object, else to nullopt, and *data_object_members
// to its members when the facts were computed from it (not from a beta
// data.resource), else to nullopt.
void ComputeFacts(simdjson::dom::element root, FactValue* facts,
                  std::optional<simdjson::dom::element>* data_object,
                  std::optional<ObjectMembers>* data_object_members, FactNumberTexts* numbers);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_FACTS_H_
