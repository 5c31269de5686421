// The OpenPhone source adapter. OpenPhone has shipped several payload shapes for the
// same events (legacy v2/v3/v4 under data.object, beta 2026-03-30 under data.resource
// and data.context), and real deliveries drift from the documentation; this file folds
// them into one set of facts (SPEC section 1, shared/openphone/api.md).
//
// The document is untrusted: every lookup goes through the helpers below, which treat
// a missing key, a null and a value of the wrong type alike, so a fact is simply absent
// rather than an error. No simdjson call here can throw.
#include "facts.h"

#include <optional>
#include <string_view>

#include "number.h"
#include "unicode_case.h"

namespace switchboard {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// The value at `key` when `parent` is an object that has it (null included).
std::optional<element> Field(element parent, std::string_view key) {
  object obj;
  if (parent.get(obj)) return std::nullopt;
  element value;
  if (obj.at_key(key).get(value)) return std::nullopt;
  return value;
}

// Stores the members of `parent` (when it is an object) that `members` wants:
// those whose key members->Slot(key) maps to a slot. One pass over the object,
// where a lookup per key (at_key) would scan it again for each. When a key
// repeats, the first wins, as with at_key.
template <typename Members>
void CollectMembers(std::optional<element> parent, Members* members) {
  object obj;
  if (!parent || parent->get(obj)) return;
  // The iterator's key() and value() rather than its key_value_pair: copying
  // the pair's element, just stored as two words, is a 16-byte load that the
  // processor cannot forward from those stores (a stall of 10+ cycles a member).
  for (auto it = obj.begin(), end = obj.end(); it != end; ++it) {
    std::optional<element>* slot = members->Slot(it.key());
    if (slot != nullptr && !*slot) slot->emplace(it.value());
  }
}

// The members each object of the document has that facts read. Slot() tells the
// keys apart by their length first, so that a key meets one or two comparisons.
struct RootMembers {
  std::optional<element> type, id, data, created_at, api_version;

  std::optional<element>* Slot(std::string_view key) {
    switch (key.size()) {
      case 2: return key == "id" ? &id : nullptr;
      case 4: return key == "type" ? &type : key == "data" ? &data : nullptr;
      case 9: return key == "createdAt" ? &created_at : nullptr;
      case 10: return key == "apiVersion" ? &api_version : nullptr;
    }
    return nullptr;
  }
};

struct DataMembers {
  std::optional<element> resource, context, object;

  std::optional<element>* Slot(std::string_view key) {
    switch (key.size()) {
      case 6: return key == "object" ? &object : nullptr;
      case 7: return key == "context" ? &context : nullptr;
      case 8: return key == "resource" ? &resource : nullptr;
    }
    return nullptr;
  }
};

// data.context (beta only).
struct ContextMembers {
  std::optional<element> participants, sender_identifier, recipient_identifiers, phone_number_id,
      user_id;

  std::optional<element>* Slot(std::string_view key) {
    switch (key.size()) {
      case 6: return key == "userId" ? &user_id : nullptr;
      case 12: return key == "participants" ? &participants : nullptr;
      case 13: return key == "phoneNumberId" ? &phone_number_id : nullptr;
      case 16: return key == "senderIdentifier" ? &sender_identifier : nullptr;
      case 20: return key == "recipientIdentifiers" ? &recipient_identifiers : nullptr;
    }
    return nullptr;
  }
};

std::optional<std::string_view> AsString(std::optional<element> value) {
  std::string_view s;
  if (!value || value->get(s)) return std::nullopt;
  return s;
}

// An id: a string, or a number's JSON text kept in *text (ids are opaque).
std::optional<std::string_view> AsId(std::optional<element> value, NumberText* text) {
  if (auto s = AsString(value)) return s;
  if (value && ElementNumberText(*value, text)) return text->view();
  return std::nullopt;
}

std::optional<bool> AsBool(std::optional<element> value) {
  bool b;
  if (!value || value->get(b)) return std::nullopt;
  return b;
}

std::optional<element> AsObject(std::optional<element> value) {
  if (!value || !value->is_object()) return std::nullopt;
  return value;
}

// The first element of an array, when it is a string.
std::optional<std::string_view> FirstString(std::optional<element> value) {
  array arr;
  if (!value || value->get(arr)) return std::nullopt;
  std::string_view s;
  if (arr.at(0).get(s)) return std::nullopt;  // empty array, or not a string
  return s;
}

std::optional<std::string_view> StringField(element parent, std::string_view key) {
  return AsString(Field(parent, key));
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Without blanks (space, tab, CR, LF) at either end.
std::string_view Trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t begin = 0, end = s.size();
  while (begin < end && blank(s[begin])) ++begin;
  while (end > begin && blank(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

// A phone number, or nullopt when blank: an empty string is not a contact, and
// absent lets rules test `exists` instead of comparing with "".
std::optional<std::string_view> PhoneNumber(std::optional<std::string_view> s) {
  if (!s) return std::nullopt;
  std::string_view trimmed = Trim(*s);
  if (trimmed.empty()) return std::nullopt;
  return trimmed;
}

// The first recipient of a legacy `to`: v4 sends an array, older payloads a string,
// and a v3 group text once arrived as "a,b". The view stays inside the document.
std::optional<std::string_view> FirstRecipient(std::optional<element> to) {
  if (auto first = FirstString(to)) return PhoneNumber(first);
  auto text = AsString(to);
  if (!text) return std::nullopt;
  return PhoneNumber(text->substr(0, text->find(',')));
}

// The first non-blank string of a participant list, trimmed: an entry that is
// empty (or not a string) does not hide the number after it.
std::optional<std::string_view> FirstParticipant(element participants) {
  array arr;
  if (participants.get(arr)) return std::nullopt;
  for (const element entry : arr) {
    if (auto number = PhoneNumber(AsString(entry))) return number;
  }
  return std::nullopt;
}

// Events whose data object is the call itself, so its `id` is the call id. Summaries,
// transcripts and beta voicemails are separate objects that name the call in `callId`.
bool IsCallObjectType(std::string_view type) {
  return type == "call.ringing" || type == "call.answered" || type == "call.completed" ||
         type == "call.missed" || type == "call.forwarded" || type == "call.recording.completed";
}

// The external party. `context` is empty without a data.context.
std::optional<std::string_view> Contact(const ObjectMembers& object, const ContextMembers& context,
                                        bool has_context,
                                        std::optional<std::string_view> direction) {
  // v4 calls: participants are the external numbers. An empty list (seen on real
  // missed calls) falls through to from/to, which v4 calls do not carry anyway.
  if (object.participants) {
    if (auto first = FirstParticipant(*object.participants)) return first;
  }
  if (has_context) {
    // Beta calls, summaries, transcripts and voicemails. "unavailable" means the
    // arrays are unknown, not that the call had no external party: take nothing.
    if (auto participants = AsObject(context.participants)) {
      if (StringField(*participants, "resolution") != "unavailable") {
        if (auto external = Field(*participants, "external")) {
          if (auto first = FirstParticipant(*external)) return first;
        }
      }
    }
  }
  if (!direction) return std::nullopt;
  if (*direction == "incoming") {
    if (auto from = PhoneNumber(AsString(object.from))) return from;
    if (has_context) return PhoneNumber(AsString(context.sender_identifier));
  } else {
    if (auto to = FirstRecipient(object.to)) return to;
    if (has_context) return FirstRecipient(context.recipient_identifiers);
  }
  return std::nullopt;
}

// SPEC: true for an incoming call nobody answered. Legacy payloads have no
// call.missed: an unanswered call is call.completed with answeredAt null, and its status
// still reads "completed" when the caller left a voicemail, so answeredAt decides as
// much as the status does. Only an explicit null counts: a payload without answeredAt
// (beta call.missed is minimal) says nothing.
bool IsMissed(const ObjectMembers& object, std::string_view type,
              std::optional<std::string_view> direction) {
  if (type == "call.missed") return true;  // beta, incoming only
  if (direction != "incoming") return false;
  if (object.answered_at && object.answered_at->is_null()) return true;
  auto status = AsString(object.status);
  return status == "no-answer" || status == "missed" || status == "unanswered" ||
         status == "abandoned";
}

// Whether the call left a voicemail; nullopt when the event does not say. A positive
// sign anywhere wins over a negative one (a null `voicemail` beside `hasVoicemail: true`
// is still a voicemail).
std::optional<bool> Voicemail(const ObjectMembers& object, std::string_view type) {
  if (type == "call.voicemail.completed") return true;
  std::optional<bool> result;
  if (object.voicemail) {
    // Legacy v2/v3: {url, type, duration} or null. Any other type is not evidence.
    if (object.voicemail->is_object()) return true;
    if (object.voicemail->is_null()) result = false;
  }
  if (auto has_voicemail = AsBool(object.has_voicemail)) {  // beta
    if (*has_voicemail) return true;
    result = false;
  }
  if (result) return result;
  // call.completed and call.missed are where rules ask "missed, and no voicemail?":
  // a false default lets `facts.voicemail: false` work on payloads (v4, beta
  // call.missed) that carry no voicemail field. Beta sends the voicemail later as its
  // own call.voicemail.completed event, so false here means "none known yet".
  if (type == "call.completed" || type == "call.missed") return false;
  return std::nullopt;
}

}  // namespace

// The legacy docs' sample names summary and transcript events after their objects;
// rules match one name whatever was sent. Literals give the facts static storage.
std::string_view CanonicalType(std::string_view type) {
  if (type == "callSummary") return "call.summary.completed";
  if (type == "callTranscript") return "call.transcript.completed";
  return type;
}

std::optional<std::string_view> OpenPhoneTypeIgnoringCase(std::string_view type) {
  static constexpr std::string_view kTypes[] = {
      "message.received",         "message.delivered",        "message.failed",
      "call.ringing",             "call.answered",            "call.completed",
      "call.missed",              "call.forwarded",           "call.recording.completed",
      "call.summary.completed",   "call.transcript.completed", "call.voicemail.completed",
      "contact.updated",          "contact.deleted"};
  const std::string lower = ToLowerUtf8(type);  // the types are lower case
  for (std::string_view known : kTypes) {
    if (known == lower) return known;
  }
  return std::nullopt;
}

void ComputeFacts(element root, FactValue* facts, std::optional<element>* data_object,
                  std::optional<ObjectMembers>* data_object_members, FactNumberTexts* numbers) {
  data_object_members->reset();
  auto set_string = [facts](Fact f, std::optional<std::string_view> s) {
    if (s) facts[static_cast<int>(f)] = FactValue::String(*s);
  };
  auto set_bool = [facts](Fact f, std::optional<bool> b) {
    if (b) facts[static_cast<int>(f)] = FactValue::Bool(*b);
  };

  RootMembers root_members;
  CollectMembers(root, &root_members);
  std::optional<std::string_view> raw_type = AsString(root_members.type);
  // A generic source may number its events: the id is then the number's text.
  set_string(Fact::kId, AsId(root_members.id, &numbers->id));

  // OpenPhone-shaped: data.resource (beta) or data.object (legacy). Anything else is
  // a generic JSON source, which gets only type and id, as sent.
  DataMembers data;
  CollectMembers(AsObject(root_members.data), &data);
  *data_object = AsObject(data.object);
  std::optional<element> object = AsObject(data.resource);
  const bool legacy = !object;  // the facts come from data.object
  std::optional<element> context;
  if (object) {
    context = AsObject(data.context);
  } else {
    object = *data_object;
  }
  if (!object) {
    set_string(Fact::kType, raw_type);
    return;
  }
  // data.object's members are kept for the rule paths that lead to them.
  ObjectMembers resource_members;
  ObjectMembers& members = legacy ? data_object_members->emplace() : resource_members;
  CollectMembers(object, &members);
  ContextMembers context_members;
  CollectMembers(context, &context_members);

  const std::string_view type = raw_type ? CanonicalType(*raw_type) : std::string_view();
  if (raw_type) set_string(Fact::kType, type);
  set_string(Fact::kCreatedAt, AsString(root_members.created_at));
  set_string(Fact::kApiVersion, AsString(root_members.api_version));

  std::optional<std::string_view> direction = AsString(members.direction);
  if (direction != "incoming" && direction != "outgoing") direction = std::nullopt;
  // Beta call.missed carries no direction, but only incoming calls are missed.
  if (!direction && type == "call.missed") direction = "incoming";
  set_string(Fact::kDirection, direction);

  set_string(Fact::kContact, Contact(members, context_members, context.has_value(), direction));

  std::optional<std::string_view> line = AsString(members.phone_number_id);
  if (!line) line = AsString(context_members.phone_number_id);
  set_string(Fact::kLine, line);

  // Text is a message fact: a rule testing `facts.text` means "a message saying ...",
  // so text fields that other objects may carry (transcripts, future beta resources)
  // must not match it. Legacy v2/v3 messages say `body`, v4 and beta `text`.
  const std::optional<std::string_view> object_kind = AsString(members.object);
  const bool is_message = StartsWith(type, "message.") || object_kind == "message";
  if (is_message) {
    std::optional<std::string_view> text = AsString(members.text);
    if (!text) text = AsString(members.body);
    set_string(Fact::kText, text);
  }

  if (StartsWith(type, "call.")) {
    // callId first: a beta call.voicemail.completed resource has an id of its own.
    std::optional<std::string_view> call_id = AsId(members.call_id, &numbers->call_id);
    if (!call_id && (IsCallObjectType(type) || object_kind == "call")) {
      call_id = AsId(members.id, &numbers->call_id);  // v2/v3 calls sometimes lack it: absent
    }
    set_string(Fact::kCallId, call_id);
    if (type == "call.completed" || type == "call.missed") {
      set_bool(Fact::kMissed, IsMissed(members, type, direction));
    }
    set_bool(Fact::kVoicemail, Voicemail(members, type));
  }

  std::optional<std::string_view> user_id = AsString(members.user_id);
  if (!user_id) user_id = AsString(context_members.user_id);
  set_string(Fact::kUserId, user_id);
}

}  // namespace switchboard
