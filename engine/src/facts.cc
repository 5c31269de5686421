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

std::optional<std::string_view> StringField(element parent, std::string_view key) {
  auto value = Field(parent, key);
  std::string_view s;
  if (!value || value->get(s)) return std::nullopt;
  return s;
}

std::optional<bool> BoolField(element parent, std::string_view key) {
  auto value = Field(parent, key);
  bool b;
  if (!value || value->get(b)) return std::nullopt;
  return b;
}

std::optional<element> ObjectField(element parent, std::string_view key) {
  auto value = Field(parent, key);
  if (!value || !value->is_object()) return std::nullopt;
  return value;
}

// The first element of the array at `key`, when it is a string.
std::optional<std::string_view> FirstStringOf(element parent, std::string_view key) {
  auto value = Field(parent, key);
  array arr;
  if (!value || value->get(arr)) return std::nullopt;
  std::string_view s;
  if (arr.at(0).get(s)) return std::nullopt;  // empty array, or not a string
  return s;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// A phone number, or nullopt when blank: an empty string is not a contact, and
// absent lets rules test `exists` instead of comparing with "".
std::optional<std::string_view> Number(std::optional<std::string_view> s) {
  if (!s) return std::nullopt;
  std::string_view trimmed = Trim(*s);
  if (trimmed.empty()) return std::nullopt;
  return trimmed;
}

// The first recipient of a legacy `to`: v4 sends an array, older payloads a string,
// and a v3 group text once arrived as "a,b". The view stays inside the document.
std::optional<std::string_view> FirstRecipient(element object, std::string_view key) {
  if (auto first = FirstStringOf(object, key)) return Number(first);
  auto to = StringField(object, key);
  if (!to) return std::nullopt;
  return Number(to->substr(0, to->find(',')));
}

// The legacy docs' sample names summary and transcript events after their objects;
// rules match one name whatever was sent. Literals give the facts static storage.
std::string_view CanonicalType(std::string_view type) {
  if (type == "callSummary") return "call.summary.completed";
  if (type == "callTranscript") return "call.transcript.completed";
  return type;
}

// Events whose data object is the call itself, so its `id` is the call id. Summaries,
// transcripts and beta voicemails are separate objects that name the call in `callId`.
bool IsCallObjectType(std::string_view type) {
  return type == "call.ringing" || type == "call.answered" || type == "call.completed" ||
         type == "call.missed" || type == "call.forwarded" || type == "call.recording.completed";
}

// The external party: `object` is data.object (legacy) or data.resource (beta);
// `context` is data.context (beta only, otherwise nullopt).
std::optional<std::string_view> Contact(element object, std::optional<element> context,
                                        std::optional<std::string_view> direction) {
  // v4 calls: participants are the external numbers. An empty list (seen on real
  // missed calls) falls through to from/to, which v4 calls do not carry anyway.
  if (auto first = Number(FirstStringOf(object, "participants"))) return first;
  if (context) {
    // Beta calls, summaries, transcripts and voicemails. "unavailable" means the
    // arrays are unknown, not that the call had no external party: take nothing.
    if (auto participants = ObjectField(*context, "participants")) {
      if (StringField(*participants, "resolution") != "unavailable") {
        if (auto first = Number(FirstStringOf(*participants, "external"))) return first;
      }
    }
  }
  if (!direction) return std::nullopt;
  if (*direction == "incoming") {
    if (auto from = Number(StringField(object, "from"))) return from;
    if (context) return Number(StringField(*context, "senderIdentifier"));
  } else {
    if (auto to = FirstRecipient(object, "to")) return to;
    if (context) return Number(FirstStringOf(*context, "recipientIdentifiers"));
  }
  return std::nullopt;
}

// SPEC: true for an incoming call nobody answered. Legacy payloads have no
// call.missed: an unanswered call is call.completed with answeredAt null, and its status
// still reads "completed" when the caller left a voicemail, so answeredAt decides as
// much as the status does. Only an explicit null counts: a payload without answeredAt
// (beta call.missed is minimal) says nothing.
bool IsMissed(element object, std::string_view type, std::optional<std::string_view> direction) {
  if (type == "call.missed") return true;  // beta, incoming only
  if (direction != "incoming") return false;
  auto answered_at = Field(object, "answeredAt");
  if (answered_at && answered_at->is_null()) return true;
  auto status = StringField(object, "status");
  return status == "no-answer" || status == "missed" || status == "unanswered" ||
         status == "abandoned";
}

// Whether the call left a voicemail; nullopt when the event does not say. A positive
// sign anywhere wins over a negative one (a null `voicemail` beside `hasVoicemail: true`
// is still a voicemail).
std::optional<bool> Voicemail(element object, std::string_view type) {
  if (type == "call.voicemail.completed") return true;
  std::optional<bool> result;
  if (auto voicemail = Field(object, "voicemail")) {
    // Legacy v2/v3: {url, type, duration} or null. Any other type is not evidence.
    if (voicemail->is_object()) return true;
    if (voicemail->is_null()) result = false;
  }
  if (auto has_voicemail = BoolField(object, "hasVoicemail")) {  // beta
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

void ComputeFacts(element root, FactValue* facts) {
  auto set_string = [facts](Fact f, std::optional<std::string_view> s) {
    if (s) facts[static_cast<int>(f)] = FactValue::String(*s);
  };
  auto set_bool = [facts](Fact f, std::optional<bool> b) {
    if (b) facts[static_cast<int>(f)] = FactValue::Bool(*b);
  };

  std::optional<std::string_view> raw_type = StringField(root, "type");
  set_string(Fact::kId, StringField(root, "id"));

  // OpenPhone-shaped: data.resource (beta) or data.object (legacy). Anything else is
  // a generic JSON source, which gets only type and id, as sent.
  std::optional<element> data = ObjectField(root, "data");
  std::optional<element> object;
  std::optional<element> context;
  if (data) {
    object = ObjectField(*data, "resource");
    if (object) {
      context = ObjectField(*data, "context");
    } else {
      object = ObjectField(*data, "object");
    }
  }
  if (!object) {
    set_string(Fact::kType, raw_type);
    return;
  }

  const std::string_view type = raw_type ? CanonicalType(*raw_type) : std::string_view();
  if (raw_type) set_string(Fact::kType, type);
  set_string(Fact::kCreatedAt, StringField(root, "createdAt"));
  set_string(Fact::kApiVersion, StringField(root, "apiVersion"));

  std::optional<std::string_view> direction = StringField(*object, "direction");
  if (direction != "incoming" && direction != "outgoing") direction = std::nullopt;
  set_string(Fact::kDirection, direction);

  set_string(Fact::kContact, Contact(*object, context, direction));

  std::optional<std::string_view> line = StringField(*object, "phoneNumberId");
  if (!line && context) line = StringField(*context, "phoneNumberId");
  set_string(Fact::kLine, line);

  // Text is a message fact: a rule testing `facts.text` means "a message saying ...",
  // so text fields that other objects may carry (transcripts, future beta resources)
  // must not match it. Legacy v2/v3 messages say `body`, v4 and beta `text`.
  const bool is_message =
      StartsWith(type, "message.") || StringField(*object, "object") == "message";
  if (is_message) {
    std::optional<std::string_view> text = StringField(*object, "text");
    if (!text) text = StringField(*object, "body");
    set_string(Fact::kText, text);
  }

  if (StartsWith(type, "call.")) {
    // callId first: a beta call.voicemail.completed resource has an id of its own.
    std::optional<std::string_view> call_id = StringField(*object, "callId");
    if (!call_id && (IsCallObjectType(type) || StringField(*object, "object") == "call")) {
      call_id = StringField(*object, "id");  // v2/v3 calls sometimes lack it: absent
    }
    set_string(Fact::kCallId, call_id);
    if (type == "call.completed" || type == "call.missed") {
      set_bool(Fact::kMissed, IsMissed(*object, type, direction));
    }
    set_bool(Fact::kVoicemail, Voicemail(*object, type));
  }

  std::optional<std::string_view> user_id = StringField(*object, "userId");
  if (!user_id && context) user_id = StringField(*context, "userId");
  set_string(Fact::kUserId, user_id);
}

}  // namespace switchboard
