// The OpenPhone source adapter (engine/src/facts.cc), through the public Event API.
// Every payload sample in tests/data/payloads is checked fact by fact; the inline
// events below pin the payload drift described in shared/openphone/api.md and the
// behaviour on untrusted, wrongly typed documents.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/event.h"

namespace switchboard {
namespace {

using ExpectedFacts = std::vector<std::pair<Fact, FactValue>>;

FactValue Str(std::string_view s) { return FactValue::String(s); }
const FactValue kTrue = FactValue::Bool(true);
const FactValue kFalse = FactValue::Bool(false);

// Printable form, so that a mismatch names the value and not just "not equal".
std::string Describe(const FactValue& f) {
  switch (f.kind) {
    case FactValue::Kind::kString: return "\"" + std::string(f.string) + "\"";
    case FactValue::Kind::kBool: return f.boolean ? "true" : "false";
    case FactValue::Kind::kAbsent: break;
  }
  return "absent";
}

// Checks every fact: those listed have exactly the given value, all others are absent.
void ExpectFacts(const Event& event, const ExpectedFacts& expected) {
  for (int i = 0; i < kFactCount; ++i) {
    const Fact fact = static_cast<Fact>(i);
    FactValue want;
    for (const auto& [f, value] : expected) {
      if (f == fact) want = value;
    }
    EXPECT_EQ(Describe(event.fact(fact)), Describe(want)) << "facts." << FactName(fact);
  }
}

std::string PayloadDir() { return std::string(SWITCHBOARD_TEST_DATA) + "/payloads"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---------------------------------------------------------------------------
// Payload samples

struct Sample {
  const char* file;
  ExpectedFacts facts;
};

const std::vector<Sample>& Samples() {
  static const auto* samples = new std::vector<Sample>{
      // Beta (2026-03-30): data.resource + data.context.
      {"beta-call.ringing.json",
       // No participants in this context and no from/to: the number is unknown.
       {{Fact::kType, Str("call.ringing")},
        {Fact::kId, Str("EV200")},
        {Fact::kCreatedAt, Str("2026-04-13T11:59:55.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.answered.json",
       {{Fact::kType, Str("call.answered")},
        {Fact::kId, Str("EV201")},
        {Fact::kCreatedAt, Str("2026-04-13T12:00:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.completed.answered.json",
       {{Fact::kType, Str("call.completed")},
        {Fact::kId, Str("EV202")},
        {Fact::kCreatedAt, Str("2026-04-13T12:00:55.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call")},
        {Fact::kMissed, kFalse},
        {Fact::kVoicemail, kFalse},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.completed.incoming-unanswered-voicemail.json",
       {{Fact::kType, Str("call.completed")},
        {Fact::kId, Str("EV203")},
        {Fact::kCreatedAt, Str("2026-04-13T13:00:25.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call-missed")},
        {Fact::kMissed, kTrue},
        {Fact::kVoicemail, kTrue},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.forwarded.json",
       // No direction in the resource: the contact comes from participants.external.
       {{Fact::kType, Str("call.forwarded")},
        {Fact::kId, Str("EV205")},
        {Fact::kCreatedAt, Str("2026-04-13T14:00:12.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call-fwd")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.missed.json",
       {{Fact::kType, Str("call.missed")},
        {Fact::kId, Str("EV204")},
        {Fact::kCreatedAt, Str("2026-04-13T13:00:25.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call-missed")},
        {Fact::kMissed, kTrue},
        {Fact::kVoicemail, kFalse},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.recording.completed.json",
       {{Fact::kType, Str("call.recording.completed")},
        {Fact::kId, Str("EV206")},
        {Fact::kCreatedAt, Str("2026-04-13T12:01:30.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.summary.completed.json",
       {{Fact::kType, Str("call.summary.completed")},
        {Fact::kId, Str("EV208")},
        {Fact::kCreatedAt, Str("2026-04-13T12:03:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-summary")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.transcript.completed.json",
       {{Fact::kType, Str("call.transcript.completed")},
        {Fact::kId, Str("EV209")},
        {Fact::kCreatedAt, Str("2026-04-13T12:02:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-transcript")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-call.voicemail.completed.json",
       // call_id is the call's (callId), not the voicemail resource's own id.
       {{Fact::kType, Str("call.voicemail.completed")},
        {Fact::kId, Str("EV207")},
        {Fact::kCreatedAt, Str("2026-04-13T13:01:10.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15550000002")},
        {Fact::kLine, Str("PN123")},
        {Fact::kCallId, Str("AC-call-missed")},
        {Fact::kVoicemail, kTrue},
        {Fact::kUserId, Str("US123")}}},
      {"beta-contact.updated.json",
       {{Fact::kType, Str("contact.updated")},
        {Fact::kId, Str("EV300")},
        {Fact::kCreatedAt, Str("2026-04-13T12:00:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-contact.deleted.json",
       {{Fact::kType, Str("contact.deleted")},
        {Fact::kId, Str("EV301")},
        {Fact::kCreatedAt, Str("2026-04-13T12:05:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-message.received.json",
       {{Fact::kType, Str("message.received")},
        {Fact::kId, Str("EV-test-message-received")},
        {Fact::kCreatedAt, Str("2026-03-30T18:00:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555551234")},
        {Fact::kLine, Str("PNsamplephonenumber000000000000")},
        {Fact::kText, Str("Hello from Quo! This is a sample message.")},
        {Fact::kUserId, Str("USsampleus")}}},
      {"beta-message.received.payloads-page.json",
       {{Fact::kType, Str("message.received")},
        {Fact::kId, Str("EV123")},
        {Fact::kCreatedAt, Str("2026-04-13T12:00:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15550001111")},
        {Fact::kLine, Str("PN123")},
        {Fact::kText, Str("hello")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-message.delivered.json",
       {{Fact::kType, Str("message.delivered")},
        {Fact::kId, Str("EV124")},
        {Fact::kCreatedAt, Str("2026-04-13T12:00:05.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("outgoing")},
        {Fact::kContact, Str("+15550001111")},
        {Fact::kLine, Str("PN123")},
        {Fact::kText, Str("hello back")},
        {Fact::kUserId, Str("US123")}}},
      {"beta-message.failed.json",
       {{Fact::kType, Str("message.failed")},
        {Fact::kId, Str("EV125")},
        {Fact::kCreatedAt, Str("2026-04-13T12:01:00.000Z")},
        {Fact::kApiVersion, Str("2026-03-30")},
        {Fact::kDirection, Str("outgoing")},
        {Fact::kContact, Str("+15550001111")},
        {Fact::kLine, Str("PN123")},
        {Fact::kText, Str("hello back")},
        {Fact::kUserId, Str("US123")}}},

      // Legacy v2: data.object, `body`, `to` as a string, `voicemail` object or null.
      {"legacy-v2-call.ringing.json",
       {{Fact::kType, Str("call.ringing")},
        {Fact::kId, Str("EV95c3708f9112412a834cc8d415470cd8")},
        {Fact::kCreatedAt, Str("2022-01-23T17:07:51.454Z")},
        {Fact::kApiVersion, Str("v2")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550100")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kCallId, Str("ACbaee66e137f0467dbed5ad4bc8d60800")},
        {Fact::kVoicemail, kFalse},  // "voicemail": null on a call event
        {Fact::kUserId, Str("USu5AsEHuQ")}}},
      {"legacy-v2-call.completed.incoming-unanswered-no-voicemail.json",
       {{Fact::kType, Str("call.completed")},
        {Fact::kId, Str("EVd39d3c8d6f244d21a9131de4fc9350d0")},
        {Fact::kCreatedAt, Str("2022-01-24T19:22:25.427Z")},
        {Fact::kApiVersion, Str("v2")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550100")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kCallId, Str("ACbaee66e137f0467dbed5ad4bc8d60800")},
        {Fact::kMissed, kTrue},
        {Fact::kVoicemail, kFalse},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},
      {"legacy-v2-call.completed.incoming-unanswered-voicemail.json",
       {{Fact::kType, Str("call.completed")},
        {Fact::kId, Str("EVd39d3c8d6f244d21a9131de4fc9350d0")},
        {Fact::kCreatedAt, Str("2022-01-24T19:22:25.427Z")},
        {Fact::kApiVersion, Str("v2")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550100")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kCallId, Str("ACbaee66e137f0467dbed5ad4bc8d60800")},
        {Fact::kMissed, kTrue},
        {Fact::kVoicemail, kTrue},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},
      {"legacy-v2-call.recording.completed.json",
       {{Fact::kType, Str("call.recording.completed")},
        {Fact::kId, Str("EVda6e196255814311aaac1983005fa2d9")},
        {Fact::kCreatedAt, Str("2022-01-24T19:30:55.400Z")},
        {Fact::kApiVersion, Str("v2")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550100")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kCallId, Str("ACbaee66e137f0467dbed5ad4bc8d60802")},
        {Fact::kVoicemail, kFalse},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},
      {"legacy-v2-message.received.json",
       {{Fact::kType, Str("message.received")},
        {Fact::kId, Str("EVc67ec998b35c41d388af50799aeeba3e")},
        {Fact::kCreatedAt, Str("2022-01-23T16:55:52.557Z")},
        {Fact::kApiVersion, Str("v2")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550100")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kText, Str("af")},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},
      {"legacy-v2-message.delivered.json",
       {{Fact::kType, Str("message.delivered")},
        {Fact::kId, Str("EVdefd85c2c3b740429cf28ade5b69bcba")},
        {Fact::kCreatedAt, Str("2022-01-23T17:05:56.220Z")},
        {Fact::kApiVersion, Str("v2")},
        {Fact::kDirection, Str("outgoing")},
        {Fact::kContact, Str("+15555550101")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kText, Str("za")},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},

      // Legacy v3: like v2, and these call samples have no data.object.id.
      {"legacy-v3-call.completed.incoming-unanswered-voicemail.json",
       {{Fact::kType, Str("call.completed")},
        {Fact::kId, Str("EVd39d3c8d6f244d21a9131de4fc9350d0")},
        {Fact::kCreatedAt, Str("2022-01-24T19:22:25.427Z")},
        {Fact::kApiVersion, Str("v3")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550100")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kMissed, kTrue},
        {Fact::kVoicemail, kTrue},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},
      {"legacy-v3-call.recording.completed.json",
       {{Fact::kType, Str("call.recording.completed")},
        {Fact::kId, Str("EVda6e196255814311aaac1983005fa2d9")},
        {Fact::kCreatedAt, Str("2022-01-24T19:30:55.400Z")},
        {Fact::kApiVersion, Str("v3")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550100")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kVoicemail, kFalse},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},

      // Legacy v4: `text`, `to` as an array, calls with participants[].
      {"legacy-v4-call.ringing.json",
       {{Fact::kType, Str("call.ringing")},
        {Fact::kId, Str("EV0ea54cadfbf342e6ac4ca1f22ed1700c")},
        {Fact::kCreatedAt, Str("2022-06-24T19:35:46.825Z")},
        {Fact::kApiVersion, Str("v4")},
        {Fact::kDirection, Str("outgoing")},
        {Fact::kContact, Str("+15555555555")},
        {Fact::kLine, Str("PN1ZmRMzlx")},
        {Fact::kCallId, Str("ACsXlF0")},
        {Fact::kUserId, Str("USlHhXmRMz")}}},
      {"legacy-v4-call.summary.completed.json",
       // Type sent as "callSummary"; a legacy summary carries no number or line.
       {{Fact::kType, Str("call.summary.completed")},
        {Fact::kId, Str("EV0ea54cadfbf342e6ac4ca1f22ed1700c")},
        {Fact::kCreatedAt, Str("2022-06-24T19:35:46.825Z")},
        {Fact::kApiVersion, Str("v4")},
        {Fact::kCallId, Str("AC16558bc5f73445598a2627f5a94fe014")}}},
      {"legacy-v4-call.transcript.completed.json",
       // The dialogue's identifier is not taken as the contact: which speaker is
       // external is not defined.
       {{Fact::kType, Str("call.transcript.completed")},
        {Fact::kId, Str("EV0ea54cadfbf342e6ac4ca1f22ed1700c")},
        {Fact::kCreatedAt, Str("2022-06-24T19:35:46.825Z")},
        {Fact::kApiVersion, Str("v4")},
        {Fact::kCallId, Str("AC16558bc5f73445598a2627f5a94fe014")}}},
      {"legacy-v4-message.received.json",
       {{Fact::kType, Str("message.received")},
        {Fact::kId, Str("EVc67ec998b35c41d388af50799aeeba3e")},
        {Fact::kCreatedAt, Str("2022-01-23T16:55:52.557Z")},
        {Fact::kApiVersion, Str("v4")},
        {Fact::kDirection, Str("incoming")},
        {Fact::kContact, Str("+15555550199")},
        {Fact::kLine, Str("PNtoDbDhuz")},
        {Fact::kText, Str("Hello, world!")},
        {Fact::kUserId, Str("USu5AsEHuQ")}}},
  };
  return *samples;
}

// Names the sample in gtest's failure output instead of dumping its bytes.
void PrintTo(const Sample& sample, std::ostream* os) { *os << sample.file; }

class PayloadSample : public testing::TestWithParam<Sample> {};

TEST_P(PayloadSample, ComputesExactlyTheExpectedFacts) {
  const std::string json = ReadFile(PayloadDir() + "/" + GetParam().file);
  ASSERT_FALSE(json.empty()) << "cannot read " << GetParam().file;
  auto event = Event::Parse(json);
  ASSERT_TRUE(event.ok()) << event.status().message();
  ExpectFacts(*event, GetParam().facts);
}

std::string SampleTestName(const testing::TestParamInfo<Sample>& info) {
  std::string name = info.param.file;
  name = name.substr(0, name.size() - std::string_view(".json").size());
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Facts, PayloadSample, testing::ValuesIn(Samples()), SampleTestName);

// A sample added to the directory without expectations would otherwise go unchecked.
TEST(Facts, EveryPayloadSampleHasExpectations) {
  std::set<std::string> covered;
  for (const auto& sample : Samples()) covered.insert(sample.file);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(PayloadDir())) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    EXPECT_TRUE(covered.count(entry.path().filename().string()))
        << entry.path().filename() << " has no expected facts";
  }
  EXPECT_EQ(files, static_cast<int>(covered.size()));
}

// ---------------------------------------------------------------------------
// Inline variations

Event MustParse(std::string_view json) {
  auto event = Event::Parse(json);
  EXPECT_TRUE(event.ok()) << event.status().message() << "\n" << json;
  if (!event.ok()) return Event::Parse("{}").value();
  return std::move(event).value();
}

// A legacy message envelope around `object_fields` (the inside of data.object).
std::string LegacyMessage(std::string_view type, std::string_view object_fields) {
  return R"({"id":"EV1","apiVersion":"v3","createdAt":"2024-01-01T00:00:00Z","type":")" +
         std::string(type) + R"(","data":{"object":{"object":"message",)" +
         std::string(object_fields) + "}}}";
}

// A legacy call envelope (v2-like unless the fields say otherwise).
std::string LegacyCall(std::string_view type, std::string_view object_fields) {
  return R"({"id":"EV2","apiVersion":"v2","type":")" + std::string(type) +
         R"(","data":{"object":{"object":"call",)" + std::string(object_fields) + "}}}";
}

// A beta envelope with the given resource and context.
std::string Beta(std::string_view type, std::string_view resource, std::string_view context) {
  return R"({"id":"EV3","apiVersion":"2026-03-30","type":")" + std::string(type) +
         R"(","data":{"resource":)" + std::string(resource) + R"(,"context":)" +
         std::string(context) + "}}";
}

TEST(Facts, ContactIsOutgoingRecipientWhenToIsAString) {
  Event e = MustParse(LegacyMessage(
      "message.delivered", R"("direction":"outgoing","from":"+15550000001","to":"+15550000002")"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000002\"");
}

TEST(Facts, ContactIsFirstRecipientOfCommaJoinedTo) {
  Event e = MustParse(LegacyMessage(
      "message.delivered",
      R"("direction":"outgoing","from":"+15550000001","to":" +15550000002 , +15550000003")"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000002\"");
}

TEST(Facts, ContactIsFirstRecipientOfToArray) {
  Event e = MustParse(LegacyMessage(
      "message.delivered",
      R"("direction":"outgoing","from":"+15550000001","to":["+15550000002","+15550000003"])"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000002\"");
}

TEST(Facts, ContactIsSenderOfIncomingMessageWhateverTheShapeOfTo) {
  Event e = MustParse(LegacyMessage(
      "message.received",
      R"("direction":"incoming","from":"+15550000009","to":"+15550000001,+15550000002")"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000009\"");
}

TEST(Facts, ContactIsAbsentWhenToIsEmpty) {
  for (const char* to : {R"("")", R"([])", R"(" , +15550000002")", R"(null)"}) {
    Event e = MustParse(
        LegacyMessage("message.delivered", std::string(R"("direction":"outgoing","to":)") + to));
    EXPECT_FALSE(e.fact(Fact::kContact).present()) << "to: " << to;
  }
}

TEST(Facts, ContactIsAbsentWithoutDirectionOnLegacyMessage) {
  // Without a direction, from and to cannot be told apart: do not guess.
  Event e = MustParse(LegacyMessage("message.received", R"("from":"+1555","to":"+1666")"));
  EXPECT_FALSE(e.fact(Fact::kContact).present());
  EXPECT_FALSE(e.fact(Fact::kDirection).present());
}

TEST(Facts, ContactIsOutgoingCallRecipientOnLegacyV2Call) {
  Event e = MustParse(
      LegacyCall("call.ringing",
                 R"("id":"AC1","direction":"outgoing","from":"+15550000001","to":"+15550000002")"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000002\"");
}

TEST(Facts, TextIsTakenFromText) {
  Event e = MustParse(LegacyMessage("message.received", R"("direction":"incoming","text":"hi")"));
  EXPECT_EQ(Describe(e.fact(Fact::kText)), "\"hi\"");
}

TEST(Facts, TextFallsBackToBody) {
  Event e = MustParse(LegacyMessage("message.received", R"("direction":"incoming","body":"hey")"));
  EXPECT_EQ(Describe(e.fact(Fact::kText)), "\"hey\"");
}

TEST(Facts, TextPrefersTextOverBody) {
  Event e = MustParse(LegacyMessage("message.received", R"("text":"new","body":"old")"));
  EXPECT_EQ(Describe(e.fact(Fact::kText)), "\"new\"");
}

TEST(Facts, TextFallsBackToBodyWhenTextIsNull) {
  Event e = MustParse(LegacyMessage("message.received", R"("text":null,"body":"old")"));
  EXPECT_EQ(Describe(e.fact(Fact::kText)), "\"old\"");
}

TEST(Facts, TextKeepsEmptyMessageText) {
  Event e = MustParse(LegacyMessage("message.received", R"("text":"")"));
  EXPECT_EQ(Describe(e.fact(Fact::kText)), "\"\"");
}

TEST(Facts, TextIsAbsentOnNonMessageEvents) {
  Event call = MustParse(LegacyCall("call.completed", R"("id":"AC1","text":"stray")"));
  EXPECT_FALSE(call.fact(Fact::kText).present());
  Event voicemail = MustParse(
      Beta("call.voicemail.completed", R"({"callId":"AC1","text":"x","transcript":"y"})", "{}"));
  EXPECT_FALSE(voicemail.fact(Fact::kText).present());
}

TEST(Facts, TextIsTakenFromMessageObjectWhateverTheType) {
  // A message object under an unfamiliar type is still a message.
  Event e = MustParse(LegacyMessage("message.updated", R"("text":"hi")"));
  EXPECT_EQ(Describe(e.fact(Fact::kText)), "\"hi\"");
  Event odd = MustParse(
      R"({"id":"EV1","type":"conversation.thing","data":{"object":{"object":"message","body":"b"}}})");
  EXPECT_EQ(Describe(odd.fact(Fact::kText)), "\"b\"");
}

TEST(Facts, TypeCanonicalizesCallSummary) {
  Event e = MustParse(
      R"({"id":"EV1","apiVersion":"v4","type":"callSummary","data":{"object":{"callId":"AC9","object":"callSummary"}}})");
  EXPECT_EQ(e.type(), "call.summary.completed");
  EXPECT_EQ(Describe(e.fact(Fact::kCallId)), "\"AC9\"");
}

TEST(Facts, TypeCanonicalizesCallTranscript) {
  Event e = MustParse(
      R"({"id":"EV1","apiVersion":"v4","type":"callTranscript","data":{"object":{"callId":"AC9","object":"callTranscript"}}})");
  EXPECT_EQ(e.type(), "call.transcript.completed");
  EXPECT_EQ(Describe(e.fact(Fact::kCallId)), "\"AC9\"");
}

TEST(Facts, TypeIsKeptAsSentWhenAlreadyCanonical) {
  Event e = MustParse(
      R"({"id":"EV1","type":"call.summary.completed","data":{"object":{"callId":"AC9"}}})");
  EXPECT_EQ(e.type(), "call.summary.completed");
  Event unknown = MustParse(R"({"id":"EV1","type":"call.teleported","data":{"object":{}}})");
  EXPECT_EQ(unknown.type(), "call.teleported");
}

TEST(Facts, ContactIsAbsentWhenV4ParticipantsIsEmpty) {
  // The captured v4 missed call: no-answer, answeredAt null, no number at all.
  Event e = MustParse(
      R"({"id":"EV1","apiVersion":"v4","type":"call.completed","data":{"object":{"id":"AC1","object":"call","direction":"incoming","status":"no-answer","answeredAt":null,"participants":[],"phoneNumberId":"PN1","userId":"US1"}}})");
  ExpectFacts(e, {{Fact::kType, Str("call.completed")},
                  {Fact::kId, Str("EV1")},
                  {Fact::kApiVersion, Str("v4")},
                  {Fact::kDirection, Str("incoming")},
                  {Fact::kLine, Str("PN1")},
                  {Fact::kCallId, Str("AC1")},
                  {Fact::kMissed, kTrue},
                  {Fact::kVoicemail, kFalse},
                  {Fact::kUserId, Str("US1")}});
}

TEST(Facts, ContactIsFirstV4ParticipantForIncomingCall) {
  Event e = MustParse(LegacyCall(
      "call.completed",
      R"("id":"AC1","direction":"incoming","participants":["+15550000007","+15550000008"])"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000007\"");
}

// Issue: only participants[0] was read, although the contact is the first
// non-blank string of the list.
TEST(Facts, ContactIsFirstNonBlankParticipant) {
  Event e = MustParse(
      R"({"id":"x","type":"call.completed","data":{"object":{"direction":"incoming","participants":["", "+1777"],"status":"no-answer"}}})");
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+1777\"");
  for (const char* participants :
       {R"(["  ", null, 5, " +15550000007 ", "+15550000008"])", R"([[], {}, "+15550000007"])",
        R"([" \t\r\n", "\t\r\n +15550000007\n\r\t ", "+15550000008"])"}) {
    Event legacy = MustParse(LegacyCall(
        "call.completed", std::string(R"("direction":"outgoing","participants":)") + participants));
    EXPECT_EQ(Describe(legacy.fact(Fact::kContact)), "\"+15550000007\"") << participants;
  }
  // All blank: as if there were none, so from/to decide.
  Event blank = MustParse(
      LegacyCall("call.completed",
                 R"("direction":"incoming","participants":["", " "],"from":"+15550000009")"));
  EXPECT_EQ(Describe(blank.fact(Fact::kContact)), "\"+15550000009\"");
}

TEST(Facts, ContactIsFirstNonBlankBetaExternalParticipant) {
  Event e = MustParse(
      Beta("call.completed", R"({"id":"AC1","direction":"incoming","status":"completed"})",
           R"({"participants":{"external":["", null, " +15550000002","+15550000003"]}})"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000002\"");
  Event blank = MustParse(Beta("call.completed", R"({"id":"AC1","direction":"incoming"})",
                               R"({"participants":{"external":[" "]},"senderIdentifier":"+1"})"));
  EXPECT_EQ(Describe(blank.fact(Fact::kContact)), "\"+1\"");
}

TEST(Facts, ContactIsAbsentWhenBetaResolutionIsUnavailable) {
  // "unavailable" means the arrays are unknown: even a stray number is not trusted.
  for (const char* external : {"[]", R"(["+15550000002"])"}) {
    Event e = MustParse(Beta("call.completed",
                             R"({"id":"AC1","direction":"incoming","status":"unanswered"})",
                             std::string(R"({"participants":{"workspace":[],"external":)") +
                                 external + R"(,"resolution":"unavailable"}})"));
    EXPECT_FALSE(e.fact(Fact::kContact).present()) << external;
    EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "true");
  }
}

TEST(Facts, ContactIsAbsentWhenBetaExternalParticipantsIsEmpty) {
  Event e = MustParse(Beta("call.ringing", R"({"id":"AC1","direction":"incoming"})",
                           R"({"participants":{"external":[],"resolution":"available"}})"));
  EXPECT_FALSE(e.fact(Fact::kContact).present());
}

TEST(Facts, ContactIsBetaExternalParticipantForOutgoingCall) {
  Event e = MustParse(
      Beta("call.completed", R"({"id":"AC1","direction":"outgoing","status":"completed"})",
           R"({"participants":{"workspace":["+15550000001"],"external":["+15550000002"]}})"));
  EXPECT_EQ(Describe(e.fact(Fact::kContact)), "\"+15550000002\"");
  EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "false");
}

TEST(Facts, ContactOfBetaVoicemailFallsBackToFromAndToByDirection) {
  Event incoming = MustParse(Beta(
      "call.voicemail.completed",
      R"({"id":"AC-vm","callId":"AC1","direction":"incoming","from":"+15550000002","to":"+15550000001"})",
      R"({"participants":{"resolution":"unavailable"}})"));
  EXPECT_EQ(Describe(incoming.fact(Fact::kContact)), "\"+15550000002\"");
  EXPECT_EQ(Describe(incoming.fact(Fact::kCallId)), "\"AC1\"");
  Event outgoing = MustParse(Beta(
      "call.voicemail.completed",
      R"({"id":"AC-vm","callId":"AC1","direction":"outgoing","from":"+15550000001","to":"+15550000002"})",
      "{}"));
  EXPECT_EQ(Describe(outgoing.fact(Fact::kContact)), "\"+15550000002\"");
}

TEST(Facts, ContactOfBetaMessageIsSenderOrFirstRecipient) {
  Event incoming = MustParse(
      Beta("message.received", R"({"direction":"incoming","text":"hi"})",
           R"({"senderIdentifier":"+15550000002","recipientIdentifiers":["+15550000001"]})"));
  EXPECT_EQ(Describe(incoming.fact(Fact::kContact)), "\"+15550000002\"");
  Event outgoing = MustParse(Beta(
      "message.delivered", R"({"direction":"outgoing","text":"hi"})",
      R"({"senderIdentifier":"+15550000001","recipientIdentifiers":["+15550000002","+15550000003"]})"));
  EXPECT_EQ(Describe(outgoing.fact(Fact::kContact)), "\"+15550000002\"");
  // recipientIdentifiers as a string, as legacy `to` sometimes is: accepted the same way.
  Event as_string = MustParse(Beta("message.delivered", R"({"direction":"outgoing","text":"hi"})",
                                   R"({"recipientIdentifiers":" +15550000002, +15550000003"})"));
  EXPECT_EQ(Describe(as_string.fact(Fact::kContact)), "\"+15550000002\"");
}

// SPEC: facts.created_at is ISO 8601 UTC. A time sent in UTC is kept as sent.
TEST(Facts, CreatedAtIsUtc) {
  auto created_at = [](const std::string& sent) {
    return Describe(MustParse(R"({"id":"EV1","type":"message.received","createdAt":")" + sent +
                              R"(","data":{"object":{"object":"message"}}})")
                        .fact(Fact::kCreatedAt));
  };
  EXPECT_EQ(created_at("2026-04-13T10:30:00-04:00"), "\"2026-04-13T14:30:00.000Z\"");
  EXPECT_EQ(created_at("2026-04-13T16:30:00.250+02:00"), "\"2026-04-13T14:30:00.250Z\"");
  // Kept only in the canonical form; other ways to write a UTC time are
  // written in it (an embedding probe: these were kept as sent).
  EXPECT_EQ(created_at("2026-04-13T14:30:00.123Z"), "\"2026-04-13T14:30:00.123Z\"");
  EXPECT_EQ(created_at("2026-04-13T14:30:00.123456Z"), "\"2026-04-13T14:30:00.123Z\"");
  EXPECT_EQ(created_at("2026-04-13 14:30:00Z"), "\"2026-04-13T14:30:00.000Z\"");
  EXPECT_EQ(created_at("2026-04-13T14:30:00Z"), "\"2026-04-13T14:30:00Z\"");
  // Text that is no ISO 8601 time is no fact (a probe: it was kept as sent, so
  // a rule saw an event time while schedules used the processing time).
  for (const char* sent : {"not a time", "garbageZ", "2026-13-01T00:00:00Z", "13:30", ""}) {
    EXPECT_EQ(created_at(sent), "absent") << sent;
  }
}

TEST(Facts, IdIsAnOpaqueString) {
  Event legacy = MustParse(
      R"({"id":"9f1c-not-an-ev-id","type":"message.received","data":{"object":{"object":"message"},"deepLink":"x"}})");
  EXPECT_EQ(legacy.id(), "9f1c-not-an-ev-id");
  Event beta = MustParse(Beta("call.ringing", R"({"id":"call_123"})", "{}"));
  EXPECT_EQ(beta.id(), "EV3");
  EXPECT_EQ(Describe(beta.fact(Fact::kCallId)), "\"call_123\"");
  // A numeric call id is its JSON text, as a numeric event id is (a probe: it was absent).
  Event numbered = MustParse(
      R"({"id":123,"type":"call.completed","data":{"object":{"object":"call","id":987}}})");
  EXPECT_EQ(numbered.id(), "123");
  EXPECT_EQ(Describe(numbered.fact(Fact::kCallId)), "\"987\"");
  Event summary = MustParse(
      R"({"id":"EV1","type":"call.summary.completed","data":{"object":{"callId":555,"id":1}}})");
  EXPECT_EQ(Describe(summary.fact(Fact::kCallId)), "\"555\"");
}

TEST(Facts, CallIdIsAbsentForV2CallWithoutObjectId) {
  Event e = MustParse(LegacyCall(
      "call.completed", R"("direction":"incoming","answeredAt":null,"status":"completed")"));
  EXPECT_FALSE(e.fact(Fact::kCallId).present());
  EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "true");
}

TEST(Facts, CallIdIsTheCallIdNotTheOwnIdOfBetaVoicemail) {
  Event e = MustParse(
      Beta("call.voicemail.completed", R"({"id":"AC-voicemail","callId":"AC-call"})", "{}"));
  EXPECT_EQ(Describe(e.fact(Fact::kCallId)), "\"AC-call\"");
}

TEST(Facts, CallIdIsAbsentOnSummaryWithoutCallId) {
  // A summary's own id (if any) does not identify the call.
  Event e = MustParse(
      R"({"id":"EV1","type":"callSummary","data":{"object":{"id":"SU1","object":"callSummary"}}})");
  EXPECT_FALSE(e.fact(Fact::kCallId).present());
}

TEST(Facts, CallFactsAreAbsentOnMessages) {
  Event e = MustParse(LegacyMessage(
      "message.received", R"("id":"AC1","callId":"AC2","voicemail":null,"answeredAt":null)"));
  EXPECT_FALSE(e.fact(Fact::kCallId).present());
  EXPECT_FALSE(e.fact(Fact::kMissed).present());
  EXPECT_FALSE(e.fact(Fact::kVoicemail).present());
}

TEST(Facts, MissedIsTrueForUnansweredLegacyVoicemailCall) {
  // Legacy: status still reads "completed" when a voicemail was left.
  Event e = MustParse(LegacyCall(
      "call.completed",
      R"("id":"AC1","direction":"incoming","status":"completed","answeredAt":null,"voicemail":{"url":"u","type":"audio/mpeg","duration":7})"));
  EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "true");
  EXPECT_EQ(Describe(e.fact(Fact::kVoicemail)), "true");
}

TEST(Facts, MissedIsTrueForUnansweredStatuses) {
  for (const char* status : {"no-answer", "missed", "unanswered", "abandoned"}) {
    // No answeredAt at all: the status alone decides.
    Event e = MustParse(
        LegacyCall("call.completed",
                   std::string(R"("id":"AC1","direction":"incoming","status":")") + status + "\""));
    EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "true") << status;
  }
}

TEST(Facts, MissedIsFalseForAnsweredCall) {
  Event e = MustParse(LegacyCall(
      "call.completed",
      R"("id":"AC1","direction":"incoming","status":"completed","answeredAt":"2024-01-01T00:00:00Z")"));
  EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "false");
}

TEST(Facts, MissedIsFalseForUnansweredOutgoingCall) {
  Event e = MustParse(
      LegacyCall("call.completed",
                 R"("id":"AC1","direction":"outgoing","status":"no-answer","answeredAt":null)"));
  EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "false");
}

TEST(Facts, MissedIsFalseOnCallCompletedWithoutDirection) {
  Event e = MustParse(LegacyCall("call.completed", R"("id":"AC1","answeredAt":null)"));
  EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "false");
}

TEST(Facts, MissedIsTrueOnCallMissedWhateverItCarries) {
  Event e = MustParse(Beta("call.missed", R"({"id":"AC1"})", "{}"));
  EXPECT_EQ(Describe(e.fact(Fact::kMissed)), "true");
  // Only incoming calls are missed: the direction the beta event leaves out.
  EXPECT_EQ(Describe(e.fact(Fact::kDirection)), "\"incoming\"");
}

TEST(Facts, MissedIsAbsentOnOtherCallTypes) {
  for (const char* type : {"call.ringing", "call.answered", "call.recording.completed",
                           "call.voicemail.completed", "call.summary.completed"}) {
    Event e = MustParse(LegacyCall(
        type, R"("id":"AC1","direction":"incoming","status":"no-answer","answeredAt":null)"));
    EXPECT_FALSE(e.fact(Fact::kMissed).present()) << type;
  }
}

TEST(Facts, VoicemailIsTrueWhenHasVoicemailIsTrue) {
  Event e = MustParse(Beta("call.completed", R"({"id":"AC1","hasVoicemail":true})", "{}"));
  EXPECT_EQ(Describe(e.fact(Fact::kVoicemail)), "true");
}

TEST(Facts, VoicemailIsTrueWhenAnyFieldSaysSo) {
  Event e =
      MustParse(LegacyCall("call.completed", R"("id":"AC1","voicemail":null,"hasVoicemail":true)"));
  EXPECT_EQ(Describe(e.fact(Fact::kVoicemail)), "true");
}

TEST(Facts, VoicemailIsFalseByDefaultOnCallCompletedAndCallMissed) {
  Event completed = MustParse(LegacyCall("call.completed", R"("id":"AC1")"));
  EXPECT_EQ(Describe(completed.fact(Fact::kVoicemail)), "false");
  Event missed = MustParse(Beta("call.missed", R"({"id":"AC1"})", "{}"));
  EXPECT_EQ(Describe(missed.fact(Fact::kVoicemail)), "false");
}

TEST(Facts, VoicemailIsAbsentOnOtherCallTypesWithoutVoicemailField) {
  Event e = MustParse(LegacyCall("call.ringing", R"("id":"AC1")"));
  EXPECT_FALSE(e.fact(Fact::kVoicemail).present());
}

TEST(Facts, VoicemailFollowsFieldsOnOtherCallTypes) {
  Event with =
      MustParse(LegacyCall("call.recording.completed", R"("id":"AC1","voicemail":{"url":"u"})"));
  EXPECT_EQ(Describe(with.fact(Fact::kVoicemail)), "true");
  Event without = MustParse(Beta("call.answered", R"({"id":"AC1","hasVoicemail":false})", "{}"));
  EXPECT_EQ(Describe(without.fact(Fact::kVoicemail)), "false");
}

TEST(Facts, LineAndUserPreferObjectOverBetaContext) {
  Event e = MustParse(Beta("call.ringing", R"({"id":"AC1","userId":"US-res"})",
                           R"({"userId":"US-ctx","phoneNumberId":"PN-ctx"})"));
  EXPECT_EQ(Describe(e.fact(Fact::kUserId)), "\"US-res\"");
  EXPECT_EQ(Describe(e.fact(Fact::kLine)), "\"PN-ctx\"");
}

TEST(Facts, DirectionIsAbsentWhenNotIncomingOrOutgoing) {
  Event e = MustParse(LegacyMessage("message.received", R"("direction":"inbound","from":"+1")"));
  EXPECT_FALSE(e.fact(Fact::kDirection).present());
  EXPECT_FALSE(e.fact(Fact::kContact).present());
}

TEST(Facts, GenericJsonGetsOnlyTypeAndId) {
  Event e = MustParse(
      R"({"id":"order-1","type":"callSummary","createdAt":"2024-01-01T00:00:00Z","apiVersion":"v4","direction":"incoming","from":"+1","text":"hi","data":{"text":"x","direction":"incoming"}})");
  // Not OpenPhone-shaped: the type is not canonicalized either.
  ExpectFacts(e, {{Fact::kType, Str("callSummary")}, {Fact::kId, Str("order-1")}});
}

// Issue: a generic source that numbers its events got no facts.id. The id is
// the number's JSON text; a type must be a string (it names the event), so a
// numeric one leaves facts.type absent.
TEST(Facts, NumericIdIsItsJsonText) {
  ExpectFacts(MustParse(R"({"id":123,"type":"order.created"})"),
              {{Fact::kType, Str("order.created")}, {Fact::kId, Str("123")}});
  EXPECT_EQ(MustParse(R"({"id":123,"type":"order.created"})").id(), "123");
  EXPECT_EQ(MustParse(R"({"id":-7})").id(), "-7");
  EXPECT_EQ(MustParse(R"({"id":9007199254740993})").id(), "9007199254740993");
  EXPECT_EQ(MustParse(R"({"id":18446744073709551615})").id(), "18446744073709551615");
  EXPECT_EQ(MustParse(R"({"id":100000000000000000000})").id(), "100000000000000000000");
  EXPECT_EQ(MustParse(R"({"id":2.5})").id(), "2.5");
  // OpenPhone-shaped events take the same id.
  Event legacy = MustParse(R"({"id":42,"type":"message.received","data":{"object":{}}})");
  EXPECT_EQ(Describe(legacy.fact(Fact::kId)), "\"42\"");
  for (const char* id : {"true", "null", "[1]", R"({"a":1})"}) {
    EXPECT_FALSE(
        MustParse(std::string(R"({"type":"t","id":)") + id + "}").fact(Fact::kId).present())
        << id;
  }
}

TEST(Facts, NumericTypeIsAbsent) {
  Event e = MustParse(R"({"id":"EV1","type":42})");
  ExpectFacts(e, {{Fact::kId, Str("EV1")}});
  EXPECT_EQ(e.type(), "");
}

// Ids that are numbers live in the Event, not in the thread's parse buffers.
TEST(Facts, NumericIdsOfEventsAliveTogetherStayTheirOwn) {
  Event a = MustParse(R"({"id":1})");
  { Event b = MustParse(R"({"id":22})"); }
  Event c = MustParse(R"({"id":333})");
  Event d = MustParse(R"({"id":"s"})");
  EXPECT_EQ(a.id(), "1");
  EXPECT_EQ(c.id(), "333");
  EXPECT_EQ(d.id(), "s");
  Event moved = std::move(c);
  EXPECT_EQ(moved.id(), "333");
}

// An embedding probe: any use of a moved-from Event crashed.
TEST(Facts, AMovedFromEventIsEmpty) {
  Event a = MustParse(R"({"id":"EV1","type":"message.received","data":{"object":{"text":"hi"}}})");
  Event b = MustParse(R"({"id":"EV2","type":"t"})");
  Event c = std::move(a);
  b = std::move(c);
  for (const Event* moved : {&a, &c}) {
    EXPECT_EQ(moved->id(), "");
    EXPECT_EQ(moved->type(), "");
    EXPECT_FALSE(moved->fact(Fact::kText).present());
    EXPECT_FALSE(moved->Get("data.object.text").has_value());
    EXPECT_EQ(moved->ToValue().ToJson(), "{}");
    EXPECT_EQ(moved->FactsAsValue().ToJson(), "{}");
  }
  EXPECT_EQ(b.id(), "EV1");
  EXPECT_EQ(b.Get("data.object.text")->as_string(), "hi");
}

TEST(Facts, GenericJsonWithoutTypeOrIdHasNoFacts) {
  Event e = MustParse(R"({"hello":"world"})");
  ExpectFacts(e, {});
  EXPECT_EQ(e.type(), "");
  EXPECT_EQ(e.id(), "");
}

TEST(Facts, DataObjectThatIsNotAnObjectMakesAGenericEvent) {
  for (const char* data : {R"(5)", R"("x")", R"(null)", R"([{"object":{}}])",
                           R"({"object":"message"})", R"({"object":null,"resource":[1]})"}) {
    Event e =
        MustParse(std::string(R"({"id":"EV1","type":"message.received","createdAt":"t","data":)") +
                  data + "}");
    ExpectFacts(e, {{Fact::kType, Str("message.received")}, {Fact::kId, Str("EV1")}});
  }
}

TEST(Facts, WrongTypesLeaveFactsAbsentWithoutCrashing) {
  Event legacy = MustParse(
      R"({"id":7,"type":5,"createdAt":[],"apiVersion":{},"data":{"object":{"object":3,"direction":3,"from":7,"to":7,"participants":"x","phoneNumberId":3,"userId":{},"text":[1],"body":false,"id":1,"callId":2,"answeredAt":5,"status":9,"voicemail":"yes","hasVoicemail":"true"}}})");
  ExpectFacts(legacy, {{Fact::kId, Str("7")}});  // a numeric id is its text

  Event typed = MustParse(
      R"({"id":"EV1","type":"call.completed","data":{"object":{"direction":"incoming","to":[5],"from":null,"participants":[null,7,"+1"],"answeredAt":0,"status":["no-answer"],"voicemail":"yes","hasVoicemail":1,"id":{"x":1},"callId":null,"userId":null}}})");
  ExpectFacts(typed, {{Fact::kType, Str("call.completed")},
                      {Fact::kId, Str("EV1")},
                      {Fact::kDirection, Str("incoming")},
                      {Fact::kContact, Str("+1")},  // the first participant that is a string
                      {Fact::kMissed, kFalse},
                      {Fact::kVoicemail, kFalse}});

  Event outgoing =
      MustParse(LegacyMessage("message.delivered", R"("direction":"outgoing","to":[[1],"+2"])"));
  EXPECT_FALSE(outgoing.fact(Fact::kContact).present());

  Event beta = MustParse(
      R"({"id":"EV1","type":"message.received","data":{"resource":{"direction":"incoming","text":5},"context":[1,2]}})");
  ExpectFacts(beta, {{Fact::kType, Str("message.received")},
                     {Fact::kId, Str("EV1")},
                     {Fact::kDirection, Str("incoming")}});

  for (
      const char* context :
      {R"({"participants":"x"})", R"({"participants":{"external":"x"}})",
       R"({"participants":{"external":[5],"resolution":7}})",
       R"({"participants":null,"senderIdentifier":5,"recipientIdentifiers":7,"userId":1,"phoneNumberId":[]})"}) {
    for (const char* direction : {"incoming", "outgoing"}) {
      Event e = MustParse(
          Beta("call.completed", std::string(R"({"direction":")") + direction + R"("})", context));
      EXPECT_FALSE(e.fact(Fact::kContact).present()) << context;
      EXPECT_FALSE(e.fact(Fact::kLine).present()) << context;
      EXPECT_FALSE(e.fact(Fact::kUserId).present()) << context;
    }
  }
}

TEST(Facts, FactStringsOutliveTheInputTextAndSurviveMoves) {
  std::vector<Event> events;
  {
    std::string json =
        LegacyMessage("message.delivered",
                      R"("direction":"outgoing","to":"+15550000002,+15550000003","text":"t")");
    events.push_back(MustParse(json));
    json.assign(json.size(), 'x');  // overwrite the caller's text
  }
  events.push_back(MustParse("{}"));  // may reallocate: Events move
  EXPECT_EQ(Describe(events[0].fact(Fact::kContact)), "\"+15550000002\"");
  EXPECT_EQ(Describe(events[0].fact(Fact::kText)), "\"t\"");
  Event summary = MustParse(R"({"id":"EV1","type":"callSummary","data":{"object":{}}})");
  Event moved = std::move(summary);
  EXPECT_EQ(moved.type(), "call.summary.completed");
}

// Parse reuses the buffers of Events the thread destroyed: nothing of an earlier
// event may show through in a later one.
TEST(Facts, ReusedParseBuffersKeepNothingOfEarlierEvents) {
  const std::string call =
      R"({"id":"EVcall","type":"call.completed","createdAt":"2026-01-05T15:04:05Z",
      "data":{"object":{"id":"AC1","direction":"incoming","from":"+15550000001",
      "answeredAt":null,"phoneNumberId":"PN1","userId":"US1"}}})";
  const std::string generic = R"({"type":"custom.thing"})";
  for (int round = 0; round < 3; ++round) {
    { Event e = MustParse(call); }  // its buffers go back to the thread
    Event e = MustParse(generic);
    ExpectFacts(e, {{Fact::kType, Str("custom.thing")}});
    EXPECT_EQ(e.raw_json(), generic);
    EXPECT_FALSE(e.Get("data.object.id").has_value());
  }
  // A document larger than the buffers the thread keeps, then a small one again.
  std::string big = R"({"type":"message.received","data":{"object":{"text":")" +
                    std::string(100000, 'x') + R"("}}})";
  {
    Event e = MustParse(big);
    EXPECT_EQ(e.fact(Fact::kText).string.size(), 100000u);
  }
  Event small = MustParse(generic);
  ExpectFacts(small, {{Fact::kType, Str("custom.thing")}});
}

// The value at `path` ("a.b[0].c") walked through the whole document as a
// Value, one member at a time: what Event::Get must answer, however it finds it.
std::optional<Value> WalkValue(const Value& root, const std::string& path) {
  const Value* at = &root;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') ++i;
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      const size_t index = std::stoul(path.substr(i + 1, close - i - 1));
      if (!at->is_array() || index >= at->as_array().size()) return std::nullopt;
      at = &at->as_array()[index];
      i = close + 1;
      continue;
    }
    const size_t end = std::min(path.find_first_of(".[", i), path.size());
    at = at->Find(path.substr(i, end - i));
    if (at == nullptr) return std::nullopt;
    i = end;
  }
  return *at;
}

// Paths under data.object to the members the facts read start from those
// members (WalkEventPath); the others, and beta payloads whose facts come from
// data.resource, search data.object. Either way the answer is the document's.
TEST(Facts, PathsUnderDataObjectReadTheDocument) {
  const std::vector<std::string> events = {
      // Legacy v4: the facts' members.
      R"({"type":"message.received","data":{"object":{"id":"AC1","object":"message",
      "from":"+15550000001","to":["+15550000002","+15550000003"],"direction":"incoming",
      "text":"hi","status":"received","userId":"US1","phoneNumberId":"PN1",
      "body":{"nested":[1,{"deep":true}]},"callId":null,"answeredAt":"2026-01-05T15:04:05Z",
      "participants":[],"voicemail":{"url":"u"},"hasVoicemail":false,"other":"o"}}})",
      // Beta: data.resource has the facts' members, data.object others.
      R"({"type":"message.received","data":{"resource":{"text":"resource text","status":"r"},
      "context":{},"object":{"text":"object text","other":"o"}}})",
      // A data.resource that is not an object: the facts come from data.object.
      R"({"type":"message.received","data":{"resource":"x","object":{"text":"t","status":null}}})",
      // Members absent, null or of other types.
      R"({"type":"call.completed","data":{"object":{"status":null,"text":5,"to":"+1555"}}})",
      R"({"type":"call.completed","data":{"object":{}}})",
      R"({"type":"call.completed","data":{"object":[{"text":"in an array"}]}})",
      R"({"type":"x","data":{"object":"text"}})",
      R"({"type":"x"})",
  };
  const std::vector<std::string> paths = {
      "data.object",          "data.object.text",         "data.object.status",
      "data.object.id",       "data.object.to",           "data.object.to[0]",
      "data.object.to[1]",    "data.object.to[2]",        "data.object.text[0]",
      "data.object.from",     "data.object.body.nested",  "data.object.body.nested[1].deep",
      "data.object.callId",   "data.object.answeredAt",   "data.object.participants[0]",
      "data.object.voicemail.url", "data.object.hasVoicemail", "data.object.phoneNumberId",
      "data.object.userId",   "data.object.object",       "data.object.direction",
      "data.object.other",    "data.object.missing",      "data.object.text.length",
      "data.object[0]",       "data.object[0].text",      "data.resource.text",
  };
  for (int round = 0; round < 2; ++round) {  // the second over the first's buffers
    for (const std::string& json : events) {
      Event e = MustParse(json);
      const Value document = e.ToValue();
      for (const std::string& path : paths) {
        const std::optional<Value> expected = WalkValue(document, path);
        const std::optional<Value> got = e.Get(path);
        ASSERT_EQ(got.has_value(), expected.has_value()) << path << " in " << json;
        if (got) EXPECT_EQ(got->ToJson(), expected->ToJson()) << path << " in " << json;
      }
    }
  }
  // A repeated key: the first, as simdjson's at_key finds it.
  Event repeated = MustParse(
      R"({"type":"message.received","data":{"object":{"text":"first","other":1,"text":"second"}}})");
  EXPECT_EQ(repeated.Get("data.object.text"), Value("first"));
  EXPECT_EQ(repeated.fact(Fact::kText).string, "first");
}

TEST(Facts, EventsAliveTogetherAndMoveAssignedKeepTheirOwnFacts) {
  Event a = MustParse(R"({"id":"EVa","type":"a.type"})");
  Event b = MustParse(R"({"id":"EVb","type":"b.type"})");
  EXPECT_EQ(a.id(), "EVa");
  EXPECT_EQ(b.id(), "EVb");
  a = std::move(b);  // a's own buffers are released (or kept by the thread)
  EXPECT_EQ(a.id(), "EVb");
  EXPECT_EQ(a.type(), "b.type");
  Event c = MustParse(R"({"id":"EVc"})");
  EXPECT_EQ(a.id(), "EVb");
  EXPECT_EQ(c.id(), "EVc");
  EXPECT_FALSE(c.fact(Fact::kType).present());
}

}  // namespace
}  // namespace switchboard
