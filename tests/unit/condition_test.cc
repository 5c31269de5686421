// Conditions (SPEC section 2, "Conditions"), tested through evaluation: each test
// loads a small rule set with inline YAML and evaluates it against an inline event.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "switchboard/engine.h"

namespace switchboard {
namespace {

const Engine& TheEngine() {
  static const std::unique_ptr<Engine> engine = Engine::Create();
  return *engine;
}

Event ParseEvent(std::string_view json) {
  auto event = Event::Parse(json);
  EXPECT_TRUE(event.ok()) << event.status().message() << "\n" << json;
  return std::move(event).value();
}

// A rule set with one rule 'r' for every event type whose condition is `when`
// (flow YAML); `preamble` goes between `version: 1` and `rules:`.
std::shared_ptr<const RuleSet> RuleWhen(std::string_view when, std::string_view preamble = "",
                                        std::string_view actions = "[{log: {message: x}}]") {
  std::string yaml = "version: 1\n";
  yaml += preamble;
  yaml += "rules:\n  - id: r\n    event: \"*\"\n    when: ";
  yaml += when;
  yaml += "\n    actions: ";
  yaml += actions;
  yaml += "\n";
  LoadResult loaded = TheEngine().LoadString(yaml, "conditions.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.FormatErrors() << "\n" << yaml;
  return loaded.rules;
}

Evaluation Explain(const RuleSet& rules, std::string_view event_json) {
  EvalOptions options;
  options.explain = true;
  return rules.Evaluate(ParseEvent(event_json), options);
}

// Whether rule 'r' with condition `when` fires for `event_json`; on a mismatch
// the message shows the engine's reason.
::testing::AssertionResult Fires(std::string_view when, std::string_view event_json,
                                 std::string_view preamble = "") {
  auto rules = RuleWhen(when, preamble);
  if (!rules) return ::testing::AssertionFailure() << "the rules did not load";
  Evaluation e = Explain(*rules, event_json);
  if (e.fired.size() == 1) return ::testing::AssertionSuccess() << "'" << when << "' fired";
  std::string reason = e.not_fired.empty() ? "(no reason)" : e.not_fired[0].reason;
  return ::testing::AssertionFailure() << "'" << when << "' did not fire on " << event_json
                                       << ": " << reason;
}

// A generic event whose `data` member is `data_json`.
std::string Data(std::string_view data_json) {
  return std::string(R"({"id":"EV1","type":"test.event","data":)") + std::string(data_json) + "}";
}

// An OpenPhone message.received event (legacy v4 shape).
std::string Message(std::string_view text, std::string_view created_at = "2026-03-02T15:00:00Z") {
  return std::string(R"({"id":"EVm1","object":"event","apiVersion":"v4","createdAt":")") +
         std::string(created_at) +
         R"(","type":"message.received","data":{"object":{"id":"AC1","object":"message",)"
         R"("from":"+15555550100","to":["+15555550101"],"direction":"incoming","text":")" +
         std::string(text) + R"(","phoneNumberId":"PN123","userId":"US1"}}})";
}

// ---- equals / not_equals ----

TEST(Condition, EqualsStrings) {
  EXPECT_TRUE(Fires("{ data.s: hello }", Data(R"({"s":"hello"})")));
  EXPECT_TRUE(Fires("{ data.s: { equals: hello } }", Data(R"({"s":"hello"})")));
  EXPECT_FALSE(Fires("{ data.s: hello }", Data(R"({"s":"Hello"})")));
  EXPECT_FALSE(Fires("{ data.s: hello }", Data(R"({"s":"hello world"})")));
}

TEST(Condition, EqualsNumbersNumerically) {
  EXPECT_TRUE(Fires("{ data.n: 5 }", Data(R"({"n":5})")));
  EXPECT_TRUE(Fires("{ data.n: 5 }", Data(R"({"n":5.0})")));
  EXPECT_TRUE(Fires("{ data.n: 5.0 }", Data(R"({"n":5})")));
  EXPECT_TRUE(Fires("{ data.n: { equals: -2.5 } }", Data(R"({"n":-2.5})")));
  EXPECT_FALSE(Fires("{ data.n: 5 }", Data(R"({"n":6})")));
  // A quoted number in YAML is a string and does not equal a JSON number.
  EXPECT_FALSE(Fires("{ data.n: '5' }", Data(R"({"n":5})")));
  EXPECT_FALSE(Fires("{ data.n: 5 }", Data(R"({"n":"5"})")));
}

// Issue: numbers were compared as doubles, so two integers beyond 2^53 that
// round to the same double were equal.
TEST(Condition, EqualsIntegersExactlyBeyondTwoToThe53) {
  const std::string event = Data(R"({"n":1234567890123456789})");
  EXPECT_FALSE(Fires("{ data.n: 1234567890123456788 }", event));
  EXPECT_TRUE(Fires("{ data.n: 1234567890123456789 }", event));
  EXPECT_TRUE(Fires("{ data.n: { not_equals: 1234567890123456788 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { in: [1234567890123456788, 1234567890123456790] } }", event));
  EXPECT_TRUE(Fires("{ data.n: { in: [1, 1234567890123456789] } }", event));
  EXPECT_TRUE(Fires("{ data.n: { contains: 1234567890123456789 } }",
                    Data(R"({"n":[1,1234567890123456789]})")));
  EXPECT_FALSE(Fires("{ data.n: { contains: 1234567890123456788 } }",
                     Data(R"({"n":[1,1234567890123456789]})")));
  // Above INT64_MAX (simdjson's uint64), and the negative end.
  EXPECT_TRUE(Fires("{ data.n: 18446744073709551615 }", Data(R"({"n":18446744073709551615})")));
  EXPECT_FALSE(Fires("{ data.n: 18446744073709551614 }", Data(R"({"n":18446744073709551615})")));
  EXPECT_FALSE(Fires("{ data.n: -9223372036854775807 }", Data(R"({"n":-9223372036854775808})")));
  // An integer against a double: exactly too. 2^53 + 1 is no double's value.
  EXPECT_FALSE(Fires("{ data.n: 9007199254740992.0 }", Data(R"({"n":9007199254740993})")));
  EXPECT_TRUE(Fires("{ data.n: 9007199254740992.0 }", Data(R"({"n":9007199254740992})")));
  // Written with a fraction, the event's number is a double: 9007199254740992.
  EXPECT_FALSE(Fires("{ data.n: 9007199254740993 }", Data(R"({"n":9007199254740993.0})")));
}

// YAML 1.2 core schema numbers in rules, as a probe found them: 0x3E8 was a
// number (strtod reads hex) while 0o10 was text; an integer too long for 64
// bits was a double in YAML but text in a JSON event, so the two never met.
// A leading '+' stays text: "+15555550100" is a phone number.
TEST(Condition, YamlNumbersInEveryNotation) {
  EXPECT_TRUE(Fires("{ data.n: 0x3E8 }", Data(R"({"n":1000})")));
  EXPECT_TRUE(Fires("{ data.n: 0o10 }", Data(R"({"n":8})")));
  EXPECT_TRUE(Fires("{ data.n: 1e3 }", Data(R"({"n":1000})")));
  EXPECT_TRUE(Fires("{ data.n: 100000000000000000000 }", Data(R"({"n":100000000000000000000})")));
  EXPECT_TRUE(Fires("{ data.n: 100000000000000000000 }", Data(R"({"n":"100000000000000000000"})")));
  EXPECT_TRUE(Fires("{ data.n: +1000 }", Data(R"({"n":"+1000"})")));
  EXPECT_FALSE(Fires("{ data.n: +1000 }", Data(R"({"n":1000})")));
  // Not numbers in YAML: a hex float, strtod's words, an octal digit 8.
  EXPECT_TRUE(Fires("{ data.n: 0x1p3 }", Data(R"({"n":"0x1p3"})")));
  EXPECT_TRUE(Fires("{ data.n: infinity }", Data(R"({"n":"infinity"})")));
  EXPECT_TRUE(Fires("{ data.n: 0o18 }", Data(R"({"n":"0o18"})")));
}

TEST(Condition, EqualsBooleans) {
  EXPECT_TRUE(Fires("{ data.b: true }", Data(R"({"b":true})")));
  EXPECT_TRUE(Fires("{ data.b: false }", Data(R"({"b":false})")));
  EXPECT_FALSE(Fires("{ data.b: true }", Data(R"({"b":false})")));
  EXPECT_FALSE(Fires("{ data.b: true }", Data(R"({"b":"true"})")));
}

TEST(Condition, EqualsNull) {
  EXPECT_TRUE(Fires("{ data.z: null }", Data(R"({"z":null})")));
  EXPECT_TRUE(Fires("{ data.z: { equals: null } }", Data(R"({"z":null})")));
  EXPECT_FALSE(Fires("{ data.z: null }", Data(R"({"z":0})")));
  EXPECT_FALSE(Fires("{ data.z: null }", Data(R"({"z":""})")));
}

TEST(Condition, EqualsOnFacts) {
  EXPECT_TRUE(Fires("{ facts.direction: incoming }", Message("hi")));
  EXPECT_TRUE(Fires("{ facts.contact: '+15555550100' }", Message("hi")));
  EXPECT_TRUE(Fires("{ facts.line: PN123 }", Message("hi")));
  EXPECT_FALSE(Fires("{ facts.direction: outgoing }", Message("hi")));
}

TEST(Condition, EqualsOnBooleanFacts) {
  std::string missed = R"({"id":"EVc","object":"event","apiVersion":"v3",
    "createdAt":"2026-03-02T15:00:00Z","type":"call.completed",
    "data":{"object":{"id":"AC9","object":"call","direction":"incoming","status":"no-answer",
    "from":"+15555550100","to":"+15555550101","phoneNumberId":"PN123","answeredAt":null}}})";
  EXPECT_TRUE(Fires("{ facts.missed: true }", missed));
  EXPECT_FALSE(Fires("{ facts.missed: false }", missed));
  // `facts.missed: 'true'` (text) never matched: it is now a load error
  // (RuleLoader.RejectsBooleanFactComparedWithText).
}

TEST(Condition, NotEquals) {
  EXPECT_TRUE(Fires("{ data.s: { not_equals: hello } }", Data(R"({"s":"bye"})")));
  EXPECT_FALSE(Fires("{ data.s: { not_equals: hello } }", Data(R"({"s":"hello"})")));
  EXPECT_TRUE(Fires("{ data.n: { not_equals: 5 } }", Data(R"({"n":4})")));
  EXPECT_FALSE(Fires("{ data.n: { not_equals: 5 } }", Data(R"({"n":5.0})")));
  EXPECT_FALSE(Fires("{ data.b: { not_equals: false } }", Data(R"({"b":false})")));
  EXPECT_FALSE(Fires("{ data.z: { not_equals: null } }", Data(R"({"z":null})")));
  EXPECT_TRUE(Fires("{ data.z: { not_equals: null } }", Data(R"({"z":1})")));
}

// ---- in / not_in ----

TEST(Condition, InInlineList) {
  EXPECT_TRUE(Fires("{ data.s: { in: [a, b, c] } }", Data(R"({"s":"b"})")));
  EXPECT_FALSE(Fires("{ data.s: { in: [a, b, c] } }", Data(R"({"s":"d"})")));
  EXPECT_TRUE(Fires("{ data.n: { in: [1, 2, 3] } }", Data(R"({"n":2})")));
  EXPECT_FALSE(Fires("{ data.n: { in: [1, 2, 3] } }", Data(R"({"n":"2"})")));
  EXPECT_TRUE(Fires("{ data.b: { in: [true] } }", Data(R"({"b":true})")));
  EXPECT_FALSE(Fires("{ data.s: { in: [] } }", Data(R"({"s":"a"})")));
}

TEST(Condition, InNamedList) {
  const char* lists = "lists:\n  staff: [\"+15555550100\", \"+15550002222\"]\n";
  EXPECT_TRUE(Fires("{ facts.contact: { in: staff } }", Message("hi"), lists));
  EXPECT_FALSE(Fires("{ facts.contact: { not_in: staff } }", Message("hi"), lists));
  EXPECT_FALSE(Fires("{ facts.line: { in: staff } }", Message("hi"), lists));
  EXPECT_TRUE(Fires("{ facts.line: { not_in: staff } }", Message("hi"), lists));
}

TEST(Condition, NotInInlineList) {
  EXPECT_TRUE(Fires("{ data.s: { not_in: [a, b] } }", Data(R"({"s":"c"})")));
  EXPECT_FALSE(Fires("{ data.s: { not_in: [a, b] } }", Data(R"({"s":"a"})")));
  EXPECT_FALSE(Fires("{ data.n: { not_in: [1, 2] } }", Data(R"({"n":1})")));
}

// ---- matches / not_matches ----

TEST(Condition, MatchesFindsThePatternAnywhere) {
  EXPECT_TRUE(Fires(R"({ facts.text: { matches: '\bhours?\b' } })", Message("what are your hours today")));
  EXPECT_TRUE(Fires("{ facts.text: { matches: 'our' } }", Message("what are your hours")));
  EXPECT_FALSE(Fires("{ facts.text: { matches: '^hours' } }", Message("what are your hours")));
  EXPECT_FALSE(Fires("{ facts.text: { matches: 'HOURS' } }", Message("what are your hours")));
  EXPECT_TRUE(Fires("{ facts.text: { matches: '(?i)HOURS' } }", Message("what are your hours")));
}

TEST(Condition, MatchesNumbersAsWrittenInJson) {
  EXPECT_TRUE(Fires(R"({ data.n: { matches: '^\d{3}$' } })", Data(R"({"n":123})")));
  EXPECT_FALSE(Fires(R"({ data.b: { matches: 'true' } })", Data(R"({"b":true})")));
}

// Issue: "numbers are matched as written", but an integer beyond 2^53 was
// matched as the text of the double it rounds to.
TEST(Condition, MatchesIntegersBeyondTwoToThe53AsWritten) {
  const std::string event =
      Data(R"({"g":12345678901234567,"j":123456789012345678,"u":18446744073709551615})");
  EXPECT_TRUE(Fires("{ data.g: { matches: '^12345678901234567$' } }", event));
  EXPECT_TRUE(Fires("{ data.j: { matches: '^123456789012345678$' } }", event));
  EXPECT_TRUE(Fires("{ data.u: { matches: '^18446744073709551615$' } }", event));
  EXPECT_TRUE(Fires("{ data.j: { ends_with: '5678' } }", event));
  EXPECT_TRUE(Fires("{ data.j: { starts_with: '1234567890123456' } }", event));
  EXPECT_FALSE(Fires("{ data.g: { ends_with: '68' } }", event));
}

// Numbers that are not integers are matched in their shortest form that reads
// back the same (the DOM keeps the double, not the text).
TEST(Condition, MatchesOtherNumbersInTheirShortestForm) {
  EXPECT_TRUE(Fires("{ data.n: { matches: '^1.5$' } }", Data(R"({"n":1.50})")));
  EXPECT_TRUE(Fires("{ data.n: { matches: '^100$' } }", Data(R"({"n":1e2})")));
}

// A number simdjson cannot hold arrives as the text it was written as.
TEST(Condition, NumbersBeyondRangeAreMatchedAsText) {
  const std::string event = Data(R"({"n":100000000000000000000,"x":1e400})");
  EXPECT_TRUE(Fires("{ data.n: { matches: '^100000000000000000000$' } }", event));
  EXPECT_TRUE(Fires("{ data.n: '100000000000000000000' }", event));
  EXPECT_TRUE(Fires("{ data.x: { equals: '1e400' } }", event));
  EXPECT_FALSE(Fires("{ data.n: { gt: 1 } }", event));  // text, not a number
}

TEST(Condition, NotMatches) {
  EXPECT_TRUE(Fires("{ facts.text: { not_matches: '(?i)stop' } }", Message("hello")));
  EXPECT_FALSE(Fires("{ facts.text: { not_matches: '(?i)stop' } }", Message("please STOP")));
}

// ---- contains / not_contains ----

TEST(Condition, ContainsSubstringOfString) {
  EXPECT_TRUE(Fires("{ data.s: { contains: 'our h' } }", Data(R"({"s":"your hours"})")));
  EXPECT_FALSE(Fires("{ data.s: { contains: 'Hours' } }", Data(R"({"s":"your hours"})")));
  EXPECT_FALSE(Fires("{ data.s: { contains: 'hours!' } }", Data(R"({"s":"hours"})")));
}

// SPEC: contains is "substring of a string"; facts are used exactly like raw paths.
TEST(Condition, ContainsSubstringOfStringFact) {
  EXPECT_TRUE(Fires("{ facts.text: { contains: hours } }", Message("what are your hours?")));
  EXPECT_FALSE(Fires("{ facts.text: { not_contains: hours } }", Message("what are your hours?")));
  EXPECT_TRUE(Fires("{ facts.contact: { contains: '555' } }", Message("hi")));
}

// A number argument is a scalar too: its text is the substring, as starts_with and
// ends_with already treat it.
TEST(Condition, ContainsNumberArgumentOnString) {
  EXPECT_TRUE(Fires("{ data.s: { ends_with: 1234 } }", Data(R"({"s":"call 555-1234"})")));
  EXPECT_TRUE(Fires("{ data.s: { contains: 555 } }", Data(R"({"s":"call 555-1234"})")));
}

// The doc's "string operators see numbers as written" held for starts_with,
// ends_with and matches, not for contains on a number value.
TEST(Condition, ContainsOnANumberValueSeesItsText) {
  EXPECT_TRUE(Fires("{ data.n: { contains: '5' } }", Data(R"({"n":5})")));
  EXPECT_TRUE(Fires("{ data.n: { contains: 234 } }", Data(R"({"n":12345})")));
  EXPECT_FALSE(Fires("{ data.n: { not_contains: 234 } }", Data(R"({"n":12345})")));
  EXPECT_TRUE(Fires("{ data.n: { contains: '.5' } }", Data(R"({"n":1.50})")));
  EXPECT_FALSE(Fires("{ data.b: { contains: 'ru' } }", Data(R"({"b":true})")));
}

TEST(Condition, ContainsElementOfArray) {
  EXPECT_TRUE(Fires("{ data.to: { contains: '+15550002222' } }",
                    Data(R"({"to":["+15550001111","+15550002222"]})")));
  EXPECT_FALSE(Fires("{ data.to: { contains: '+1555000' } }",
                     Data(R"({"to":["+15550001111","+15550002222"]})")));
  EXPECT_TRUE(Fires("{ data.ns: { contains: 2 } }", Data(R"({"ns":[1,2,3]})")));
  EXPECT_FALSE(Fires("{ data.ns: { contains: 4 } }", Data(R"({"ns":[1,2,3]})")));
  EXPECT_FALSE(Fires("{ data.ns: { contains: a } }", Data(R"({"ns":[]})")));
}

TEST(Condition, NotContains) {
  EXPECT_TRUE(Fires("{ data.s: { not_contains: stop } }", Data(R"({"s":"hello"})")));
  EXPECT_FALSE(Fires("{ data.s: { not_contains: stop } }", Data(R"({"s":"please stop"})")));
  EXPECT_TRUE(Fires("{ data.to: { not_contains: c } }", Data(R"({"to":["a","b"]})")));
  EXPECT_FALSE(Fires("{ data.to: { not_contains: b } }", Data(R"({"to":["a","b"]})")));
}

// ---- starts_with / ends_with ----

TEST(Condition, StartsWith) {
  EXPECT_TRUE(Fires("{ facts.contact: { starts_with: '+1555' } }", Message("hi")));
  EXPECT_FALSE(Fires("{ facts.contact: { starts_with: '+44' } }", Message("hi")));
  EXPECT_TRUE(Fires("{ data.s: { starts_with: '' } }", Data(R"({"s":"x"})")));
  EXPECT_FALSE(Fires("{ data.s: { starts_with: 'abc' } }", Data(R"({"s":"ab"})")));
}

TEST(Condition, EndsWith) {
  EXPECT_TRUE(Fires("{ facts.contact: { ends_with: '0100' } }", Message("hi")));
  EXPECT_FALSE(Fires("{ facts.contact: { ends_with: '0101' } }", Message("hi")));
  EXPECT_FALSE(Fires("{ data.s: { ends_with: 'xabc' } }", Data(R"({"s":"abc"})")));
}

// ---- exists ----

TEST(Condition, ExistsTrue) {
  EXPECT_TRUE(Fires("{ data.s: { exists: true } }", Data(R"({"s":""})")));
  EXPECT_TRUE(Fires("{ data.s: { exists: true } }", Data(R"({"s":0})")));
  EXPECT_TRUE(Fires("{ data.s: { exists: true } }", Data(R"({"s":false})")));
  EXPECT_FALSE(Fires("{ data.s: { exists: true } }", Data(R"({"s":null})")));
  EXPECT_FALSE(Fires("{ data.s: { exists: true } }", Data(R"({})")));
  EXPECT_TRUE(Fires("{ facts.text: { exists: true } }", Message("hi")));
}

TEST(Condition, ExistsFalse) {
  EXPECT_TRUE(Fires("{ data.s: { exists: false } }", Data(R"({})")));
  EXPECT_TRUE(Fires("{ data.s: { exists: false } }", Data(R"({"s":null})")));
  EXPECT_FALSE(Fires("{ data.s: { exists: false } }", Data(R"({"s":"x"})")));
  EXPECT_TRUE(Fires("{ data.a.b.c: { exists: false } }", Data(R"({"a":"not an object"})")));
  EXPECT_TRUE(Fires("{ facts.call_id: { exists: false } }", Message("hi")));
  EXPECT_FALSE(Fires("{ facts.text: { exists: false } }", Message("hi")));
}

// ---- gt / gte / lt / lte ----

TEST(Condition, ComparesNumbers) {
  std::string event = Data(R"({"n":10})");
  EXPECT_TRUE(Fires("{ data.n: { gt: 9 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { gt: 10 } }", event));
  EXPECT_TRUE(Fires("{ data.n: { gte: 10 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { gte: 10.5 } }", event));
  EXPECT_TRUE(Fires("{ data.n: { lt: 10.5 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { lt: 10 } }", event));
  EXPECT_TRUE(Fires("{ data.n: { lte: 10 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { lte: -3 } }", event));
  EXPECT_TRUE(Fires("{ data.n: { gt: 5, lt: 20 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { gt: 5, lt: 8 } }", event));
  // Strings are not numbers.
  EXPECT_FALSE(Fires("{ data.n: { gt: 1 } }", Data(R"({"n":"10"})")));
}

TEST(Condition, ComparesIntegersExactlyBeyondTwoToThe53) {
  const std::string event = Data(R"({"n":1234567890123456789})");
  EXPECT_TRUE(Fires("{ data.n: { gt: 1234567890123456788 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { gt: 1234567890123456789 } }", event));
  EXPECT_TRUE(Fires("{ data.n: { gte: 1234567890123456789 } }", event));
  EXPECT_TRUE(Fires("{ data.n: { lt: 1234567890123456790 } }", event));
  EXPECT_FALSE(Fires("{ data.n: { lte: 1234567890123456788 } }", event));
  EXPECT_TRUE(Fires("{ data.n: { gt: 9007199254740992.0 } }", Data(R"({"n":9007199254740993})")));
  EXPECT_TRUE(
      Fires("{ data.n: { gt: 9223372036854775807 } }", Data(R"({"n":9223372036854775808})")));
  EXPECT_TRUE(
      Fires("{ data.n: { lt: -9223372036854775807 } }", Data(R"({"n":-9223372036854775808})")));
  EXPECT_TRUE(
      Fires("{ data.n: { lt: 1e300, gt: -1e300 } }", Data(R"({"n":18446744073709551615})")));
}

TEST(Condition, ComparesIsoTimes) {
  std::string event = Message("hi", "2026-03-02T15:00:00Z");
  EXPECT_TRUE(Fires("{ facts.created_at: { gt: '2026-03-02T14:59:59Z' } }", event));
  EXPECT_FALSE(Fires("{ facts.created_at: { gt: '2026-03-02T15:00:00Z' } }", event));
  EXPECT_TRUE(Fires("{ facts.created_at: { gte: '2026-03-02T15:00:00Z' } }", event));
  EXPECT_TRUE(Fires("{ facts.created_at: { lt: '2026-03-03' } }", event));
  EXPECT_FALSE(Fires("{ facts.created_at: { lt: '2026-03-02' } }", event));
  EXPECT_TRUE(Fires("{ facts.created_at: { lte: '2026-03-02T10:00:00-05:00' } }", event));
  EXPECT_FALSE(Fires("{ facts.created_at: { lte: '2026-03-02T09:59:59-05:00' } }", event));
  EXPECT_TRUE(Fires("{ data.t: { gt: '2026-01-01T00:00:00Z' } }",
                    Data(R"({"t":"2026-01-01T00:00:00.001Z"})")));
  EXPECT_FALSE(Fires("{ data.t: { gt: '2026-01-01T00:00:00Z' } }", Data(R"({"t":"not a time"})")));
}

// ---- ignore_case ----

TEST(Condition, IgnoreCaseForEveryStringOperator) {
  std::string event = Data(R"({"s":"Hello World","to":["Alpha","Beta"]})");
  EXPECT_TRUE(Fires("{ data.s: { equals: 'hello world', ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.s: { equals: 'hello world' } }", event));
  EXPECT_FALSE(Fires("{ data.s: { not_equals: 'HELLO WORLD', ignore_case: true } }", event));
  EXPECT_TRUE(Fires("{ data.s: { not_equals: 'HELLO WORLD' } }", event));
  EXPECT_TRUE(Fires("{ data.s: { in: ['HELLO WORLD'], ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.s: { in: ['HELLO WORLD'] } }", event));
  EXPECT_FALSE(Fires("{ data.s: { not_in: ['HELLO WORLD'], ignore_case: true } }", event));
  EXPECT_TRUE(Fires("{ data.s: { matches: 'WORLD$', ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.s: { matches: 'WORLD$' } }", event));
  EXPECT_FALSE(Fires("{ data.s: { not_matches: 'WORLD', ignore_case: true } }", event));
  EXPECT_TRUE(Fires("{ data.s: { contains: 'O W', ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.s: { contains: 'O W' } }", event));
  EXPECT_FALSE(Fires("{ data.s: { not_contains: 'O W', ignore_case: true } }", event));
  EXPECT_TRUE(Fires("{ data.s: { starts_with: 'HELLO', ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.s: { starts_with: 'HELLO' } }", event));
  EXPECT_TRUE(Fires("{ data.s: { ends_with: 'WORLD', ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.s: { ends_with: 'WORLD' } }", event));
  EXPECT_TRUE(Fires("{ data.to: { contains: beta, ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.to: { contains: beta } }", event));
  // The order of keys in the matcher does not matter.
  EXPECT_TRUE(Fires("{ data.s: { ignore_case: true, matches: '^HELLO' } }", event));
}

// Letters beyond ASCII too, as `matches` (RE2) folds them: every operator agrees.
TEST(Condition, IgnoreCaseFoldsLettersBeyondAscii) {
  std::string event = Data(
      R"({"s":"Order for the \u00c9COLE \u00c0 P\u00c1RIS","g":"\u03a3\u039f\u03a6\u0399\u0391"})");
  EXPECT_TRUE(Fires("{ data.s: { contains: '\u00e9cole \u00e0', ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.s: { contains: '\u00e9cole' } }", event));
  EXPECT_FALSE(
      Fires("{ data.s: { contains: 'ecole', ignore_case: true } }", event));  // no accent folding
  EXPECT_TRUE(Fires("{ data.s: { ends_with: 'p\u00e1ris', ignore_case: true } }", event));
  EXPECT_TRUE(Fires("{ data.s: { starts_with: 'ORDER FOR', ignore_case: true } }", event));
  EXPECT_TRUE(Fires("{ data.s: { matches: '\u00e9cole', ignore_case: true } }", event));
  EXPECT_TRUE(
      Fires("{ data.g: { equals: '\u03c3\u03bf\u03c6\u03b9\u03b1', ignore_case: true } }", event));
  EXPECT_TRUE(
      Fires("{ data.g: { in: [x, '\u03c3\u03bf\u03c6\u03b9\u03b1'], ignore_case: true } }", event));
  EXPECT_FALSE(Fires(
      "{ data.g: { not_in: ['\u03c3\u03bf\u03c6\u03b9\u03b1'], ignore_case: true } }", event));
  EXPECT_TRUE(Fires("{ data.g: { starts_with: '\u03c3\u03bf', ignore_case: true } }", event));
  EXPECT_FALSE(Fires("{ data.g: { starts_with: '\u03c3\u03bf' } }", event));
}

TEST(Condition, IgnoreCaseOnFacts) {
  EXPECT_TRUE(Fires("{ facts.text: { equals: 'WHAT ARE YOUR HOURS', ignore_case: true } }",
                    Message("What are your hours")));
  EXPECT_TRUE(Fires("{ facts.text: { matches: 'hours', ignore_case: true } }",
                    Message("What are your HOURS")));
  EXPECT_TRUE(Fires("{ facts.line: { starts_with: pn, ignore_case: true } }", Message("hi")));
}

// ---- arrays ----

TEST(Condition, ScalarOperatorHoldsWhenAnyElementHolds) {
  std::string event = Data(R"({"to":["+15550001111","+15550002222"],"ns":[1,7,3]})");
  EXPECT_TRUE(Fires("{ data.to: '+15550002222' }", event));
  EXPECT_FALSE(Fires("{ data.to: '+15550003333' }", event));
  EXPECT_TRUE(Fires("{ data.to: { starts_with: '+1555000' } }", event));
  EXPECT_TRUE(Fires("{ data.to: { ends_with: '2222' } }", event));
  EXPECT_TRUE(Fires("{ data.to: { matches: '1111$' } }", event));
  EXPECT_TRUE(Fires("{ data.to: { in: ['+15550001111'] } }", event));
  EXPECT_TRUE(Fires("{ data.ns: { gt: 5 } }", event));
  EXPECT_FALSE(Fires("{ data.ns: { gt: 7 } }", event));
  EXPECT_TRUE(Fires("{ data.ns: { lt: 2 } }", event));
}

TEST(Condition, NegatedOperatorOnArrayHoldsWhenNoElementMatches) {
  std::string event = Data(R"({"to":["a","b"]})");
  EXPECT_FALSE(Fires("{ data.to: { not_equals: a } }", event));
  EXPECT_TRUE(Fires("{ data.to: { not_equals: c } }", event));
  EXPECT_FALSE(Fires("{ data.to: { not_in: [b, z] } }", event));
  EXPECT_FALSE(Fires("{ data.to: { not_matches: '^b$' } }", event));
}

TEST(Condition, EmptyArrayHoldsNoScalarOperator) {
  std::string event = Data(R"({"to":[]})");
  EXPECT_FALSE(Fires("{ data.to: a }", event));
  EXPECT_FALSE(Fires("{ data.to: { matches: '.*' } }", event));
  EXPECT_TRUE(Fires("{ data.to: { exists: true } }", event));
}

// ---- missing paths ----

TEST(Condition, MissingPathMakesEveryOperatorFalseExceptExistsFalseAndNegations) {
  std::string event = Data(R"({"present":"x"})");
  const char* fail[] = {
      "{ data.gone: x }",
      "{ data.gone: null }",
      "{ data.gone: { equals: x } }",
      "{ data.gone: { in: [x] } }",
      "{ data.gone: { matches: '.*' } }",
      "{ data.gone: { contains: x } }",
      "{ data.gone: { starts_with: '' } }",
      "{ data.gone: { ends_with: '' } }",
      "{ data.gone: { exists: true } }",
      "{ data.gone: { gt: 0 } }",
      "{ data.gone: { gte: 0 } }",
      "{ data.gone: { lt: 0 } }",
      "{ data.gone: { lte: 0 } }",
      "{ data.gone: { gt: '2026-01-01T00:00:00Z' } }",
      "{ facts.call_id: { equals: x } }",
      "{ facts.call_id: { matches: '.*' } }",
  };
  for (const char* when : fail) EXPECT_FALSE(Fires(when, event));
  const char* hold[] = {
      "{ data.gone: { exists: false } }",
      "{ data.gone: { not_equals: x } }",
      "{ data.gone: { not_in: [x] } }",
      "{ data.gone: { not_matches: '.*' } }",
      "{ data.gone: { not_contains: x } }",
      "{ data.present.deeper: { not_equals: x } }",
      "{ facts.call_id: { not_equals: x } }",
      "{ facts.text: { not_matches: x } }",
  };
  for (const char* when : hold) EXPECT_TRUE(Fires(when, event));
}

// ---- paths ----

TEST(Condition, PathsWithArrayIndexes) {
  std::string event = Data(R"({"to":["a","b"],"items":[{"name":"x"},{"name":"y","tags":["p","q"]}]})");
  // In flow YAML a key with brackets must be quoted.
  EXPECT_TRUE(Fires(R"({ "data.to[0]": a })", event));
  EXPECT_TRUE(Fires(R"({ "data.to[1]": b })", event));
  EXPECT_FALSE(Fires(R"({ "data.to[0]": b })", event));
  EXPECT_FALSE(Fires(R"({ "data.to[2]": { exists: true } })", event));
  EXPECT_TRUE(Fires(R"({ "data.to[2]": { exists: false } })", event));
  EXPECT_TRUE(Fires(R"({ "data.to[2]": { not_equals: a } })", event));
  EXPECT_TRUE(Fires(R"({ "data.items[1].name": y })", event));
  EXPECT_TRUE(Fires(R"({ "data.items[1].tags[1]": q })", event));
  EXPECT_TRUE(Fires(R"({ "data.items[0].tags": { exists: false } })", event));
  EXPECT_FALSE(Fires(R"({ "data.items[0].name[0]": { exists: true } })", event));
}

TEST(Condition, PathsWithArrayIndexesInBlockYaml) {
  LoadResult loaded = TheEngine().LoadString(R"(version: 1
rules:
  - id: r
    event: message.received
    when:
      data.object.to[0]: "+15555550101"
      data.object.to[0]: { starts_with: "+1" }
    actions: [{log: {message: x}}]
)");
  // The same key twice in one mapping is an error.
  ASSERT_FALSE(loaded.ok());
  loaded = TheEngine().LoadString(R"(version: 1
rules:
  - id: r
    event: message.received
    when:
      data.object.to[0]: "+15555550101"
      data.object.from: { starts_with: "+1" }
    actions: [{log: {message: x}}]
)");
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  EXPECT_EQ(loaded.rules->Evaluate(ParseEvent(Message("hi"))).fired.size(), 1u);
}

TEST(Condition, RawOpenPhonePaths) {
  EXPECT_TRUE(Fires(R"({ "data.object.to[0]": '+15555550101' })", Message("hi")));
  EXPECT_TRUE(Fires("{ type: message.received, id: EVm1, apiVersion: v4 }", Message("hi")));
}

// ---- combinations ----

TEST(Condition, MappingEntriesMustAllHold) {
  std::string event = Data(R"({"a":1,"b":2})");
  EXPECT_TRUE(Fires("{ data.a: 1, data.b: 2 }", event));
  EXPECT_FALSE(Fires("{ data.a: 1, data.b: 3 }", event));
}

TEST(Condition, ListOfConditionsMeansAll) {
  std::string event = Data(R"({"a":1,"b":2})");
  EXPECT_TRUE(Fires("[ { data.a: 1 }, { data.b: 2 } ]", event));
  EXPECT_FALSE(Fires("[ { data.a: 1 }, { data.b: 3 } ]", event));
  EXPECT_FALSE(Fires("[ { data.a: 0 }, { data.b: 2 } ]", event));
}

TEST(Condition, AllAnyNot) {
  std::string event = Data(R"({"a":1,"b":2})");
  EXPECT_TRUE(Fires("{ all: [ { data.a: 1 }, { data.b: 2 } ] }", event));
  EXPECT_FALSE(Fires("{ all: [ { data.a: 1 }, { data.b: 3 } ] }", event));
  EXPECT_TRUE(Fires("{ any: [ { data.a: 9 }, { data.b: 2 } ] }", event));
  EXPECT_FALSE(Fires("{ any: [ { data.a: 9 }, { data.b: 9 } ] }", event));
  EXPECT_TRUE(Fires("{ not: { data.a: 9 } }", event));
  EXPECT_FALSE(Fires("{ not: { data.a: 1 } }", event));
  EXPECT_TRUE(Fires("{ not: { data.gone: { exists: true } } }", event));
}

TEST(Condition, NestedAllAnyNot) {
  std::string event = Data(R"({"a":1,"b":2,"c":"x"})");
  EXPECT_TRUE(Fires(
      "{ any: [ { all: [ { data.a: 1 }, { not: { data.b: 2 } } ] }, "
      "{ all: [ { data.c: x }, { not: { any: [ { data.a: 5 }, { data.b: 5 } ] } } ] } ] }",
      event));
  EXPECT_FALSE(Fires(
      "{ any: [ { all: [ { data.a: 1 }, { not: { data.b: 2 } } ] }, "
      "{ all: [ { data.c: x }, { not: { any: [ { data.a: 1 }, { data.b: 5 } ] } } ] } ] }",
      event));
  EXPECT_TRUE(Fires("{ not: { not: { data.a: 1 } } }", event));
  EXPECT_TRUE(Fires("{ any: [ [ { data.a: 1 }, { data.b: 2 } ], { data.c: y } ] }", event));
}

TEST(Condition, Macros) {
  const char* macros =
      "macros:\n"
      "  inbound_text:\n"
      "    facts.direction: incoming\n"
      "    facts.text: { exists: true }\n"
      "  hours_question:\n"
      "    macro: inbound_text\n"
      "    facts.text: { matches: '(?i)hours' }\n";
  EXPECT_TRUE(Fires("{ macro: inbound_text }", Message("hi"), macros));
  EXPECT_TRUE(Fires("{ macro: hours_question }", Message("your HOURS?"), macros));
  EXPECT_FALSE(Fires("{ macro: hours_question }", Message("hi"), macros));
  EXPECT_TRUE(Fires("{ not: { macro: hours_question } }", Message("hi"), macros));
  EXPECT_FALSE(Fires("{ macro: inbound_text }", Data(R"({"x":1})"), macros));
}

TEST(Condition, EventTypesInsideConditions) {
  const char* macros = "macros:\n  calls: { event: 'call.*' }\n";
  std::string message = Message("hi");
  std::string call = R"({"id":"EVc","type":"call.completed","data":{"object":{"object":"call"}}})";
  EXPECT_TRUE(Fires("{ event: message.received }", message));
  EXPECT_FALSE(Fires("{ event: message.received }", call));
  EXPECT_TRUE(Fires("{ event: 'call.*' }", call));
  EXPECT_FALSE(Fires("{ event: 'call.*' }", message));
  EXPECT_TRUE(Fires("{ event: [message.delivered, 'message.*'] }", message));
  EXPECT_TRUE(Fires("{ event: 'message.?eceived' }", message));
  EXPECT_TRUE(Fires("{ macro: calls }", call, macros));
  EXPECT_FALSE(Fires("{ macro: calls }", message, macros));
  EXPECT_TRUE(Fires("{ not: { event: 'call.*' } }", message));
}

TEST(Condition, EventTypeMatchesTheCanonicalType) {
  // callSummary is the legacy name of call.summary.completed (facts.type).
  std::string summary =
      R"({"id":"EVs","object":"event","apiVersion":"v3","createdAt":"2026-03-02T15:00:00Z",
      "type":"callSummary","data":{"object":{"object":"callSummary","callId":"AC1"}}})";
  EXPECT_TRUE(Fires("{ event: call.summary.completed }", summary));
  EXPECT_TRUE(Fires("{ facts.type: call.summary.completed }", summary));
}

// ---- captures ----

TEST(Condition, NamedCapturesAreAvailableToActions) {
  auto rules = RuleWhen(
      R"({ facts.text: { matches: 'order #?(?P<order>\d+) for (?P<name>\w+)' } })", "",
      R"([{log: {message: "order={{ captures.order }} name={{ captures.name }}"}}])");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("where is order #4521 for Dana?")));
  ASSERT_EQ(e.fired.size(), 1u);
  ASSERT_EQ(e.fired[0].actions.size(), 1u);
  EXPECT_EQ(e.fired[0].actions[0].params.Find("message")->as_string(), "order=4521 name=Dana");
  EXPECT_EQ(e.fired[0].captures,
            (std::vector<std::pair<std::string, std::string>>{{"order", "4521"}, {"name", "Dana"}}));
}

TEST(Condition, CapturesFromArrayElementThatMatched) {
  auto rules = RuleWhen(R"({ data.codes: { matches: '^code-(?P<code>\d+)$' } })", "",
                        R"([{log: {message: "{{ captures.code }}"}}])");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Data(R"({"codes":["nope","code-77"]})")));
  ASSERT_EQ(e.fired.size(), 1u);
  EXPECT_EQ(e.fired[0].actions[0].params.Find("message")->as_string(), "77");
}

TEST(Condition, CapturesOfOneRuleDoNotLeakIntoAnother) {
  std::string yaml = R"(version: 1
rules:
  - id: a
    event: "*"
    when: { facts.text: { matches: '(?P<word>hello)' } }
    actions: [{log: {message: "a={{ captures.word }}"}}]
  - id: b
    event: "*"
    when: { any: [ { facts.text: { matches: '(?P<word>zzz)' } }, { facts.text: { exists: true } } ] }
    actions: [{log: {message: "b={{ captures.word }}"}}]
)";
  LoadResult loaded = TheEngine().LoadString(yaml);
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  Evaluation e = loaded.rules->Evaluate(ParseEvent(Message("hello")));
  ASSERT_EQ(e.fired.size(), 2u);
  EXPECT_EQ(e.fired[0].actions[0].params.Find("message")->as_string(), "a=hello");
  EXPECT_EQ(e.fired[1].actions[0].params.Find("message")->as_string(), "b=");
}

// ---- schedules ----

const char* kSchedules =
    "schedules:\n"
    "  business_hours:\n"
    "    timezone: America/New_York\n"
    "    weekly:\n"
    "      mon-fri: [\"09:00-17:00\"]\n"
    "      sat: [\"10:00-14:00\"]\n"
    "    closed: [\"2026-03-03\"]\n";

TEST(Condition, ScheduleUsesTheEventTime) {
  // 2026-03-02 is a Monday; New York is on EST (UTC-5) until 2026-03-08.
  EXPECT_TRUE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-02T15:00:00Z"),
                    kSchedules));  // 10:00 Monday
  EXPECT_TRUE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-02T14:00:00Z"),
                    kSchedules));  // 09:00 Monday, start inclusive
  EXPECT_FALSE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-02T13:59:59Z"),
                     kSchedules));  // 08:59
  EXPECT_FALSE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-02T22:00:00Z"),
                     kSchedules));  // 17:00 Monday, end exclusive
  EXPECT_FALSE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-02T02:00:00Z"),
                     kSchedules));  // 21:00 Sunday
  EXPECT_TRUE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-07T16:00:00Z"),
                    kSchedules));  // 11:00 Saturday
  EXPECT_FALSE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-07T20:00:00Z"),
                     kSchedules));  // 15:00 Saturday
  EXPECT_FALSE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-03T15:00:00Z"),
                     kSchedules));  // 10:00 on a closed Tuesday
  EXPECT_TRUE(Fires("{ not: { schedule: business_hours } }",
                    Message("hi", "2026-03-02T23:00:00Z"), kSchedules));  // 18:00 Monday
}

TEST(Condition, ScheduleFollowsDaylightSavingTime) {
  // 2026-03-09 is a Monday on EDT (UTC-4): 13:30Z is 09:30 local.
  EXPECT_TRUE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-09T13:30:00Z"),
                    kSchedules));
  EXPECT_FALSE(Fires("{ schedule: business_hours }", Message("hi", "2026-03-09T21:30:00Z"),
                     kSchedules));  // 17:30 EDT
}

TEST(Condition, ScheduleWithoutEventTimeUsesProcessingTime) {
  auto rules = RuleWhen("{ schedule: business_hours }", kSchedules);
  ASSERT_NE(rules, nullptr);
  auto event = ParseEvent(R"({"id":"EVg","type":"test.event"})");
  EvalOptions options;
  options.now = std::chrono::system_clock::time_point(std::chrono::seconds(1772463600));
  // 1772463600 = 2026-03-02T15:00:00Z, Monday 10:00 in New York.
  EXPECT_EQ(rules->Evaluate(event, options).fired.size(), 1u);
  options.now = std::chrono::system_clock::time_point(std::chrono::seconds(1772463600 + 8 * 3600));
  EXPECT_EQ(rules->Evaluate(event, options).fired.size(), 0u);
  // A createdAt that is no time counts as none (and there is no facts.created_at).
  auto garbled = ParseEvent(Message("hi", "Monday morning"));
  EXPECT_FALSE(garbled.fact(Fact::kCreatedAt).present());
  EXPECT_EQ(rules->Evaluate(garbled, options).fired.size(), 0u);  // 18:00
  options.now = std::chrono::system_clock::time_point(std::chrono::seconds(1772463600));
  EXPECT_EQ(rules->Evaluate(garbled, options).fired.size(), 1u);  // 10:00
}

}  // namespace
}  // namespace switchboard
