// Evaluation of a rule set (SPEC sections 2 and 5): which rules an event meets,
// firing order, stop, enabled, throttles, the reasons of rules that did not fire,
// the RE2::Set prefilter, thread safety, and inline tests.
#include <gtest/gtest.h>
#include <malloc.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "switchboard/engine.h"

namespace switchboard {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Engine& TheEngine() {
  static const std::unique_ptr<Engine> engine = Engine::Create();
  return *engine;
}

std::shared_ptr<const RuleSet> Rules(std::string_view yaml) {
  if (!yaml.empty() && yaml.front() == '\n') yaml.remove_prefix(1);
  LoadResult loaded = TheEngine().LoadString(yaml, "eval.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.FormatErrors();
  return loaded.rules;
}

Event ParseEvent(std::string_view json) {
  auto event = Event::Parse(json);
  EXPECT_TRUE(event.ok()) << event.status().message();
  return std::move(event).value();
}

std::string Message(std::string_view text, std::string_view from = "+15555550100") {
  return std::string(R"({"id":"EVm1","object":"event","apiVersion":"v4",)"
                     R"("createdAt":"2026-03-02T15:00:00Z","type":"message.received",)"
                     R"("data":{"object":{"id":"AC1","object":"message","from":")") +
         std::string(from) +
         R"(","to":["+15555550101"],"direction":"incoming","text":")" + std::string(text) +
         R"(","phoneNumberId":"PN123"}}})";
}

std::string OfType(std::string_view type) {
  return R"({"id":"EVt","type":")" + std::string(type) + R"("})";
}

std::vector<std::string> FiredIds(const Evaluation& e) {
  std::vector<std::string> out;
  for (const FiredRule& f : e.fired) out.emplace_back(f.rule_id);
  return out;
}

std::vector<std::string> NotFiredIds(const Evaluation& e) {
  std::vector<std::string> out;
  for (const NotFiredRule& n : e.not_fired) out.emplace_back(n.rule_id);
  return out;
}

const NotFiredRule* NotFired(const Evaluation& e, std::string_view id) {
  for (const NotFiredRule& n : e.not_fired) {
    if (n.rule_id == id) return &n;
  }
  return nullptr;
}

EvalOptions Explain() {
  EvalOptions options;
  options.explain = true;
  return options;
}

TimeStamp At(int64_t seconds) { return TimeStamp(std::chrono::seconds(seconds)); }

using Ids = std::vector<std::string>;

// ---- event types ----

const char* kTypedRules = R"(
version: 1
rules:
  - id: on-message
    event: message.received
    when: { facts.text: never }
    actions: [{log: {message: m}}]
  - id: on-call
    event: call.completed
    actions: [{log: {message: c}}]
  - id: on-any-call
    event: "call.*"
    actions: [{log: {message: c}}]
  - id: on-everything
    event: "*"
    actions: [{log: {message: e}}]
  - id: on-some
    event: [call.missed, message.delivered]
    actions: [{log: {message: s}}]
)";

TEST(Evaluation, RulesForOtherTypesAreNotConsidered) {
  auto rules = Rules(kTypedRules);
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("hi")), Explain());
  EXPECT_EQ(FiredIds(e), Ids({"on-everything"}));
  EXPECT_EQ(NotFiredIds(e), Ids({"on-message"}));
}

TEST(Evaluation, GlobEventTypes) {
  auto rules = Rules(kTypedRules);
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("call.completed")), Explain())),
            Ids({"on-call", "on-any-call", "on-everything"}));
  // A type no rule names exactly: only the globs apply.
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("call.ringing")), Explain())),
            Ids({"on-any-call", "on-everything"}));
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("contact.updated")), Explain())),
            Ids({"on-everything"}));
  // "call.*" needs the dot.
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("callSomething")), Explain())),
            Ids({"on-everything"}));
}

// A probe: `event: callSummary` (OpenPhone's legacy name, which facts.type
// turns into call.summary.completed) loaded and never fired.
TEST(Evaluation, LegacyTypeNamesInRulesMeanTheirCanonicalTypes) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: summary
    event: callSummary
    actions: [{log: {message: s}}]
  - id: transcript
    event: [message.received, callTranscript]
    actions: [{log: {message: t}}]
  - id: in-when
    event: "*"
    when: { event: callSummary }
    actions: [{log: {message: w}}]
)");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("call.summary.completed")))),
            Ids({"summary", "in-when"}));
  const std::string legacy = R"({"id":"EVs","type":"callSummary",
    "data":{"object":{"object":"callSummary","callId":"AC1"}}})";
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(legacy))), Ids({"summary", "in-when"}));
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("call.transcript.completed")))),
            Ids({"transcript"}));
  std::vector<std::string> events;
  for (const RuleInfo& info : rules->rules()) {
    for (const std::string& type : info.events) events.push_back(type);
  }
  EXPECT_EQ(events, Ids({"call.summary.completed", "callSummary", "message.received",
                         "call.transcript.completed", "callTranscript", "*"}));
  // A generic source keeps its type as sent (a review: the rule no longer
  // matched such an event once its type meant the canonical one).
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("callSummary")))), Ids({"summary", "in-when"}));
}

TEST(Evaluation, ListOfEventTypes) {
  auto rules = Rules(kTypedRules);
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("call.missed")), Explain())),
            Ids({"on-any-call", "on-everything", "on-some"}));
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(OfType("message.delivered")), Explain())),
            Ids({"on-everything", "on-some"}));
}

TEST(Evaluation, LegacyTypeNamesMatchTheCanonicalType) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: summary
    event: call.summary.completed
    actions: [{log: {message: s}}]
)");
  ASSERT_NE(rules, nullptr);
  std::string legacy = R"({"id":"EVs","object":"event","apiVersion":"v3",
    "createdAt":"2026-03-02T15:00:00Z","type":"callSummary",
    "data":{"object":{"object":"callSummary","callId":"AC1"}}})";
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(legacy))), Ids({"summary"}));
}

// ---- order, stop, enabled ----

TEST(Evaluation, HigherPriorityFiresFirstAndTiesKeepFileOrder) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions: [{log: {message: a}}]
  - id: b
    event: message.received
    priority: 10
    actions: [{log: {message: b}}]
  - id: c
    event: "message.*"
    priority: 5
    actions: [{log: {message: c}}]
  - id: d
    event: message.received
    priority: 10
    actions: [{log: {message: d}}]
  - id: e
    event: message.received
    priority: -1
    actions: [{log: {message: e}}]
  - id: f
    event: message.received
    actions: [{log: {message: f}}]
)");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(Message("hi")))),
            Ids({"b", "d", "c", "a", "f", "e"}));
}

TEST(Evaluation, StopSkipsEveryLowerPriorityRule) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: first
    event: message.received
    priority: 20
    actions: [{log: {message: a}}]
  - id: stop-words
    event: message.received
    priority: 10
    stop: true
    when: { facts.text: { matches: '(?i)\bstop\b' } }
    actions: [{log: {message: b}}]
  - id: same-priority
    event: message.received
    priority: 10
    actions: [{log: {message: s}}]
  - id: later
    event: message.received
    actions: [{log: {message: c}}]
  - id: later-glob
    event: "*"
    priority: -5
    actions: [{log: {message: d}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation stopped = rules->Evaluate(ParseEvent(Message("STOP please")), Explain());
  // A rule of the stop rule's own priority is not lower: it still fires, even
  // though it comes after it.
  EXPECT_EQ(FiredIds(stopped), Ids({"first", "stop-words", "same-priority"}));
  ASSERT_EQ(NotFiredIds(stopped), Ids({"later", "later-glob"}));
  EXPECT_EQ(stopped.not_fired[0].reason, "stopped by rule 'stop-words'");
  EXPECT_EQ(stopped.not_fired[1].reason, "stopped by rule 'stop-words'");
  // The same without explain (the server's path).
  EXPECT_EQ(FiredIds(rules->Evaluate(ParseEvent(Message("STOP please")))),
            Ids({"first", "stop-words", "same-priority"}));

  // A stop rule that does not fire stops nothing.
  Evaluation normal = rules->Evaluate(ParseEvent(Message("hello")), Explain());
  EXPECT_EQ(FiredIds(normal), Ids({"first", "same-priority", "later", "later-glob"}));
}

TEST(Evaluation, DisabledRulesNeverFireAndAreNotListed) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: off
    event: message.received
    enabled: false
    actions: [{log: {message: a}}]
  - id: off-failing
    event: message.received
    enabled: false
    when: { facts.text: never }
    actions: [{log: {message: a}}]
  - id: on
    event: message.received
    enabled: true
    actions: [{log: {message: b}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("hi")), Explain());
  EXPECT_EQ(FiredIds(e), Ids({"on"}));
  EXPECT_TRUE(e.not_fired.empty());
  auto infos = rules->rules();
  ASSERT_EQ(infos.size(), 3u);
  EXPECT_FALSE(infos[0].enabled);
}

// engine.h: not_fired is only filled with EvalOptions::explain (the fast path
// for servers leaves it empty); `switchboard eval` asks for it.
TEST(Evaluation, NotFiredIsOnlyListedWithExplain) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: never
    event: message.received
    when: { facts.text: never }
    actions: [{log: {message: a}}]
  - id: always
    event: message.received
    actions: [{log: {message: b}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation fast = rules->Evaluate(ParseEvent(Message("hi")));
  EXPECT_EQ(FiredIds(fast), Ids({"always"}));
  EXPECT_TRUE(fast.not_fired.empty());
  Evaluation explained = rules->Evaluate(ParseEvent(Message("hi")), Explain());
  EXPECT_EQ(FiredIds(explained), Ids({"always"}));
  ASSERT_EQ(NotFiredIds(explained), Ids({"never"}));
  EXPECT_EQ(explained.not_fired[0].reason, R"(facts.text equals "never": "hi")");
}

// ---- throttles ----

const char* kThrottled = R"(
version: 1
rules:
  - id: reply
    event: message.received
    throttle:
      key: "{{ facts.contact }}"
      per: 12h
    actions: [{log: {message: r}}]
  - id: twice
    event: message.received
    throttle:
      key: "{{ facts.contact }}"
      per: 1h
      limit: 2
    actions: [{log: {message: t}}]
  - id: unthrottled
    event: message.received
    actions: [{log: {message: u}}]
)";

TEST(Evaluation, ThrottleSuppressesRepeatsForTheSameKeyWithinTheWindow) {
  auto rules = Rules(kThrottled);
  ASSERT_NE(rules, nullptr);
  InMemoryThrottleStore store;
  EvalOptions options = Explain();
  options.throttle = &store;
  TimeStamp t0 = At(1772463600);
  options.now = t0;
  Event alice = ParseEvent(Message("hi", "+15555550100"));

  Evaluation first = rules->Evaluate(alice, options);
  ASSERT_EQ(FiredIds(first), Ids({"reply", "twice", "unthrottled"}));
  EXPECT_EQ(first.fired[0].throttle_key, "+15555550100");
  EXPECT_EQ(first.fired[2].throttle_key, "");
  rules->RecordFirings(first, t0, &store);

  options.now = t0 + minutes(1);
  Evaluation second = rules->Evaluate(alice, options);
  EXPECT_EQ(FiredIds(second), Ids({"twice", "unthrottled"}));
  const NotFiredRule* throttled = NotFired(second, "reply");
  ASSERT_NE(throttled, nullptr);
  EXPECT_EQ(throttled->reason.rfind("throttled", 0), 0u) << throttled->reason;
  rules->RecordFirings(second, t0 + minutes(1), &store);

  // `twice` allows two firings per hour.
  options.now = t0 + minutes(2);
  Evaluation third = rules->Evaluate(alice, options);
  EXPECT_EQ(FiredIds(third), Ids({"unthrottled"}));
  ASSERT_NE(NotFired(third, "twice"), nullptr);
  EXPECT_EQ(NotFired(third, "twice")->reason.rfind("throttled", 0), 0u);

  // Another contact has its own budget.
  Evaluation bob = rules->Evaluate(ParseEvent(Message("hi", "+15555550199")), options);
  EXPECT_EQ(FiredIds(bob), Ids({"reply", "twice", "unthrottled"}));

  // `twice` recovers one hour after its first firing; `reply` needs 12 hours.
  options.now = t0 + minutes(61);
  EXPECT_EQ(FiredIds(rules->Evaluate(alice, options)), Ids({"twice", "unthrottled"}));
  options.now = t0 + hours(12) + minutes(1);
  EXPECT_EQ(FiredIds(rules->Evaluate(alice, options)), Ids({"reply", "twice", "unthrottled"}));
}

// SPEC 6: no exception crosses the API, not even one a ThrottleStore throws. A
// store that cannot answer suppresses the rule (it may have fired already).
class FailingThrottleStore : public ThrottleStore {
 public:
  int CountSince(std::string_view, std::string_view, TimeStamp) const override {
    throw std::runtime_error("store down");
  }
  void Record(std::string_view, std::string_view, TimeStamp) override {
    throw std::runtime_error("store down");
  }
};

TEST(Evaluation, AThrottleStoreThatThrowsSuppressesTheRule) {
  auto rules = Rules(kThrottled);
  ASSERT_NE(rules, nullptr);
  FailingThrottleStore store;
  EvalOptions options = Explain();
  options.throttle = &store;
  options.now = At(1772463600);
  Evaluation e = rules->Evaluate(ParseEvent(Message("hi", "+15555550100")), options);
  EXPECT_EQ(FiredIds(e), Ids({"unthrottled"}));
  ASSERT_NE(NotFired(e, "reply"), nullptr);
  EXPECT_EQ(NotFired(e, "reply")->reason, "throttle store failed (key '+15555550100'): store down");
  Evaluation fired = rules->Evaluate(ParseEvent(Message("hi", "+15555550100")), Explain());
  Status recorded = rules->RecordFirings(fired, At(1772463600), &store);
  EXPECT_EQ(recorded.code(), StatusCode::kInternal);
  EXPECT_NE(recorded.message().find("store down"), std::string::npos) << recorded.message();
  EXPECT_TRUE(rules->RecordFirings(fired, At(1772463600), nullptr).ok());  // no store: nothing
}

// The earliest time there is: the window's start does not overflow.
TEST(Evaluation, ThrottleWindowAtTheEarliestTime) {
  auto rules = Rules(kThrottled);
  ASSERT_NE(rules, nullptr);
  InMemoryThrottleStore store;
  EvalOptions options;
  options.throttle = &store;
  options.now = TimeStamp::min();
  Evaluation e = rules->Evaluate(ParseEvent(Message("hi", "+15555550100")), options);
  EXPECT_EQ(FiredIds(e), Ids({"reply", "twice", "unthrottled"}));
}

// The environment variables the templates read, for a program that redacts
// their values from what it reports.
TEST(Evaluation, EnvNamesListsEveryVariableTheTemplatesRead) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: a
    event: message.received
    throttle: { key: "{{ env.B_KEY }}{{ facts.contact }}", per: 1h }
    actions:
      - http:
          url: "https://example.com/x?k={{ env.A_TOKEN }}"
          headers: { X-Key: "tok-{{ env.C_SECRET }}", X-Other: "{{ facts.text }}" }
      - log: { message: "{{ env.A_TOKEN }}" }
)");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->env_names(), std::vector<std::string>({"A_TOKEN", "B_KEY", "C_SECRET"}));
  EXPECT_TRUE(Rules(kThrottled)->env_names().empty());
}

// A key read from env.* is a secret: the explanation does not show it.
TEST(Evaluation, ThrottledReasonRedactsAKeyFromEnv) {
  setenv("SWITCHBOARD_EVAL_TEST_SECRET", "k3y-s3cret", 1);
  auto rules = Rules(R"(
version: 1
rules:
  - id: reply
    event: message.received
    throttle: { key: "{{ env.SWITCHBOARD_EVAL_TEST_SECRET }}/{{ facts.contact }}", per: 1h }
    actions: [{log: {message: r}}]
)");
  ASSERT_NE(rules, nullptr);
  InMemoryThrottleStore store;
  EvalOptions options = Explain();
  options.throttle = &store;
  const TimeStamp t0 = At(1772463600);
  options.now = t0;
  Event alice = ParseEvent(Message("hi", "+15555550100"));
  Evaluation first = rules->Evaluate(alice, options);
  ASSERT_EQ(FiredIds(first), Ids({"reply"}));
  rules->RecordFirings(first, t0, &store);
  Evaluation second = rules->Evaluate(alice, options);
  const NotFiredRule* throttled = NotFired(second, "reply");
  ASSERT_NE(throttled, nullptr);
  EXPECT_EQ(throttled->reason, "throttled (key '[redacted]/+15555550100')");
  unsetenv("SWITCHBOARD_EVAL_TEST_SECRET");
}

// The store's lookups take views of the rule id and key: the two parts must still
// be told apart ("ab" + "c" is not "a" + "bc").
TEST(Evaluation, ThrottleStoreKeepsRuleIdAndKeyApart) {
  InMemoryThrottleStore store;
  TimeStamp t0 = At(1772463600);
  store.Record("ab", "c", t0);
  store.Record("ab", "c", t0 + minutes(1));
  store.Record("a", "bc", t0);
  EXPECT_EQ(store.CountSince("ab", "c", t0), 2);
  EXPECT_EQ(store.CountSince("ab", "c", t0 + minutes(1)), 1);
  EXPECT_EQ(store.CountSince("a", "bc", t0), 1);
  EXPECT_EQ(store.CountSince("abc", "", t0), 0);
  store.Prune(t0 + minutes(1));
  EXPECT_EQ(store.CountSince("ab", "c", t0), 1);
  EXPECT_EQ(store.CountSince("a", "bc", t0), 0);
}

// A caller that records firings before storing them takes back the ones it
// could not store (the server, when a transaction rolls back).
TEST(Evaluation, ThrottleStoreForgetsOneFiringAtItsExactTime) {
  InMemoryThrottleStore store;
  TimeStamp t0 = At(1772463600);
  store.Record("r", "k", t0);
  store.Record("r", "k", t0);
  store.Record("r", "k", t0 + minutes(1));
  EXPECT_FALSE(store.Forget("r", "k", t0 + minutes(2))) << "no firing at that time";
  EXPECT_FALSE(store.Forget("r", "other", t0));
  EXPECT_FALSE(store.Forget("other", "k", t0));
  EXPECT_EQ(store.CountSince("r", "k", t0), 3);
  EXPECT_TRUE(store.Forget("r", "k", t0));
  EXPECT_EQ(store.CountSince("r", "k", t0), 2) << "one of the two at t0, not both";
  EXPECT_EQ(store.CountSince("r", "k", t0 + minutes(1)), 1);
  EXPECT_TRUE(store.Forget("r", "k", t0 + minutes(1)));
  EXPECT_TRUE(store.Forget("r", "k", t0));
  EXPECT_EQ(store.CountSince("r", "k", t0), 0);
  EXPECT_FALSE(store.Forget("r", "k", t0));
  store.Record("r", "k", t0);  // the emptied key works as a new one
  EXPECT_EQ(store.CountSince("r", "k", t0), 1);
}

// Loading stored firings into a store that holds some of them already (and
// others not stored yet): each time is held as often as either side has it.
TEST(Evaluation, ThrottleStoreRecordsOnlyTheMissingFirings) {
  InMemoryThrottleStore store;
  TimeStamp t0 = At(1772463600);
  const TimeStamp t1 = t0 + minutes(1), t2 = t0 + minutes(2), t3 = t0 + minutes(3);
  store.Record("r", "k", t1);  // stored, and in memory
  store.Record("r", "k", t3);  // in memory only (its transaction is open)
  store.RecordMissing("r", "k", {t2, t1, t0, t2});
  EXPECT_EQ(store.CountSince("r", "k", t0), 5);  // t0, t1, t2 twice, t3
  EXPECT_EQ(store.CountSince("r", "k", t2), 3);
  EXPECT_EQ(store.CountSince("r", "k", t3), 1);
  store.RecordMissing("r", "k", {t2, t1, t0, t2});  // again: nothing new
  EXPECT_EQ(store.CountSince("r", "k", t0), 5);
  store.RecordMissing("other", "k", {t0});
  store.RecordMissing("empty", "k", {});
  EXPECT_EQ(store.CountSince("other", "k", t0), 1);
  EXPECT_EQ(store.CountSince("empty", "k", t0), 0);
}

TEST(Evaluation, ThrottleWindowBoundary) {
  auto rules = Rules(kThrottled);
  ASSERT_NE(rules, nullptr);
  InMemoryThrottleStore store;
  EvalOptions options;
  options.throttle = &store;
  TimeStamp t0 = At(1772463600);
  options.now = t0;
  Event alice = ParseEvent(Message("hi"));
  rules->RecordFirings(rules->Evaluate(alice, options), t0, &store);
  options.now = t0 + hours(12) - std::chrono::seconds(1);
  EXPECT_EQ(FiredIds(rules->Evaluate(alice, options))[0], "twice");
  options.now = t0 + hours(12) + std::chrono::seconds(1);
  EXPECT_EQ(FiredIds(rules->Evaluate(alice, options))[0], "reply");
}

TEST(Evaluation, ThrottlesAreNotAppliedWithoutAStore) {
  auto rules = Rules(kThrottled);
  ASSERT_NE(rules, nullptr);
  InMemoryThrottleStore store;
  Event alice = ParseEvent(Message("hi"));
  TimeStamp t0 = At(1772463600);
  EvalOptions options;
  options.now = t0;
  for (int i = 0; i < 3; ++i) {
    Evaluation e = rules->Evaluate(alice, options);
    EXPECT_EQ(FiredIds(e), Ids({"reply", "twice", "unthrottled"}));
    EXPECT_EQ(e.fired[0].throttle_key, "+15555550100");
    rules->RecordFirings(e, t0, &store);
  }
}

TEST(Evaluation, RecordFiringsRecordsOnlyThrottledRules) {
  auto rules = Rules(kThrottled);
  ASSERT_NE(rules, nullptr);
  InMemoryThrottleStore store;
  TimeStamp t0 = At(1772463600);
  EvalOptions options;
  options.now = t0;
  rules->RecordFirings(rules->Evaluate(ParseEvent(Message("hi")), options), t0, &store);
  EXPECT_EQ(store.CountSince("reply", "+15555550100", t0), 1);
  EXPECT_EQ(store.CountSince("twice", "+15555550100", t0), 1);
  EXPECT_EQ(store.CountSince("unthrottled", "", t0), 0);
  EXPECT_EQ(store.CountSince("reply", "+15555550100", t0 + std::chrono::milliseconds(1)), 0);
}

// ---- explain ----

TEST(Evaluation, ExplainNamesTheFailingConditionAndTheActualValue) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: hours
    event: message.received
    when:
      facts.direction: incoming
      facts.text: { matches: '(?i)\bhours\b' }
    actions: [{log: {message: a}}]
  - id: missing
    event: message.received
    when:
      data.object.media[0].url: { exists: true }
    actions: [{log: {message: a}}]
  - id: number
    event: message.received
    when: { data.object.count: { gt: 5 } }
    actions: [{log: {message: a}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("hello")), Explain());
  EXPECT_TRUE(e.fired.empty());
  const NotFiredRule* hours = NotFired(e, "hours");
  ASSERT_NE(hours, nullptr);
  EXPECT_EQ(hours->reason, R"(facts.text matches '(?i)\bhours\b': "hello")");
  EXPECT_EQ(hours->condition, R"(facts.text matches '(?i)\bhours\b')");
  ASSERT_TRUE(hours->actual.has_value());
  EXPECT_EQ(*hours->actual, Value("hello"));

  const NotFiredRule* missing = NotFired(e, "missing");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->reason, "data.object.media[0].url exists true: (missing)");
  EXPECT_FALSE(missing->actual.has_value());

  const NotFiredRule* number = NotFired(e, "number");
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(number->reason, "data.object.count gt 5: (missing)");
}

TEST(Evaluation, ExplainShowsArraysAndNumbersAsJson) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: to
    event: "*"
    when: { data.to: { contains: c } }
    actions: [{log: {message: a}}]
  - id: n
    event: "*"
    when: { data.n: { lt: 2 } }
    actions: [{log: {message: a}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(R"({"type":"x","data":{"to":["a","b"],"n":3}})"),
                                 Explain());
  ASSERT_NE(NotFired(e, "to"), nullptr);
  EXPECT_EQ(NotFired(e, "to")->reason, R"(data.to contains "c": ["a","b"])");
  ASSERT_NE(NotFired(e, "n"), nullptr);
  EXPECT_EQ(NotFired(e, "n")->reason, "data.n lt 2: 3");
}

// The actual value of --explain (and eval --json) keeps an integer exact.
// A long value is cut in the reason (its JSON at 200 bytes) and in `actual`
// (1,024 bytes), each between two characters: a reason cut inside "é" was not
// UTF-8, and the server could not keep the trace that held it.
TEST(Evaluation, ExplainCutsLongValuesBetweenCharacters) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: never
    event: message.received
    when: { facts.text: never }
    actions: [{log: {message: a}}]
)");
  ASSERT_NE(rules, nullptr);
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "\xC3\xA9";  // é
  Evaluation e = rules->Evaluate(ParseEvent(Message(text)), Explain());
  const NotFiredRule* never = NotFired(e, "never");
  ASSERT_NE(never, nullptr);
  // `facts.text equals "never": "` then 99 whole characters (the quote takes a byte).
  EXPECT_EQ(never->reason,
            R"(facts.text equals "never": ")" + text.substr(0, 198) + "...");
  ASSERT_TRUE(never->actual.has_value());
  EXPECT_EQ(never->actual->as_string(), text.substr(0, 1024) + "...");

  // An odd limit falls inside a character: the cut moves back to its start.
  std::string odd = "x" + text;
  e = rules->Evaluate(ParseEvent(Message(odd)), Explain());
  never = NotFired(e, "never");
  ASSERT_NE(never, nullptr);
  EXPECT_EQ(never->reason, R"(facts.text equals "never": ")" + odd.substr(0, 199) + "...");
  EXPECT_EQ(never->actual->as_string(), odd.substr(0, 1023) + "...");
}

TEST(Evaluation, ExplainShowsIntegersBeyondTwoToThe53Exactly) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: n
    event: "*"
    when: { data.n: 1234567890123456788 }
    actions: [{log: {message: a}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e =
      rules->Evaluate(ParseEvent(R"({"type":"x","data":{"n":1234567890123456789}})"), Explain());
  const NotFiredRule* n = NotFired(e, "n");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->reason, "data.n equals 1234567890123456788: 1234567890123456789");
  ASSERT_TRUE(n->actual.has_value());
  EXPECT_EQ(n->actual->ToJson(), "1234567890123456789");
}

TEST(Evaluation, ExplainForNegatedScheduleSaysInside) {
  auto rules = Rules(R"(
version: 1
schedules:
  business_hours:
    timezone: America/New_York
    weekly: { mon-fri: ["09:00-17:00"] }
rules:
  - id: after-hours
    event: message.received
    when: { not: { schedule: business_hours } }
    actions: [{log: {message: closed}}]
  - id: in-hours
    event: message.received
    when: { schedule: business_hours }
    actions: [{log: {message: open}}]
)");
  ASSERT_NE(rules, nullptr);
  // 2026-03-02T15:00:00Z is Monday 10:00 in New York.
  Evaluation inside = rules->Evaluate(ParseEvent(Message("hi")), Explain());
  EXPECT_EQ(FiredIds(inside), Ids({"in-hours"}));
  ASSERT_NE(NotFired(inside, "after-hours"), nullptr);
  EXPECT_EQ(NotFired(inside, "after-hours")->reason, "schedule business_hours: inside");
  // The actual value is the time the schedule was tested at.
  EXPECT_EQ(NotFired(inside, "after-hours")->actual, Value("2026-03-02T15:00:00.000Z"));

  std::string night = Message("hi");
  night.replace(night.find("2026-03-02T15:00:00Z"), 20, "2026-03-03T03:00:00Z");
  Evaluation outside = rules->Evaluate(ParseEvent(night), Explain());
  EXPECT_EQ(FiredIds(outside), Ids({"after-hours"}));
  ASSERT_NE(NotFired(outside, "in-hours"), nullptr);
  EXPECT_EQ(NotFired(outside, "in-hours")->reason, "schedule business_hours: outside");
  EXPECT_EQ(NotFired(outside, "in-hours")->condition, "schedule business_hours");
  EXPECT_EQ(NotFired(outside, "in-hours")->actual, Value("2026-03-03T03:00:00.000Z"));
}

TEST(Evaluation, ExplainForNegatedPathAndEvent) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: not-path
    event: message.received
    when: { not: { facts.direction: incoming } }
    actions: [{log: {message: a}}]
  - id: not-event
    event: "*"
    when: { not: { event: "message.*" } }
    actions: [{log: {message: a}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("hi")), Explain());
  ASSERT_NE(NotFired(e, "not-path"), nullptr);
  EXPECT_EQ(NotFired(e, "not-path")->reason,
            "not facts.direction equals \"incoming\": \"incoming\"");
  EXPECT_EQ(NotFired(e, "not-path")->condition, "not facts.direction equals \"incoming\"");
  ASSERT_NE(NotFired(e, "not-event"), nullptr);
  EXPECT_NE(NotFired(e, "not-event")->reason.find("message.*"), std::string::npos);
  EXPECT_NE(NotFired(e, "not-event")->reason.find("\"message.received\""), std::string::npos);
}

// ---- the RE2::Set prefilter ----

// 20 rules on one path, each with its own keyword; the word list is chosen so
// that no keyword contains another.
std::string KeywordRules(std::string_view path, bool ignore_case, std::string_view extra = "") {
  std::string yaml = "version: 1\nrules:\n";
  for (int i = 0; i < 20; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "k%02d", i);
    yaml += "  - id: " + std::string(id) + "\n    event: message.received\n";
    yaml += "    when:\n      " + std::string(path) + ": { matches: '\\bkw" + std::to_string(i) +
            "x\\b'" + (ignore_case ? ", ignore_case: true" : "") + " }\n";
    yaml += "    actions: [{log: {message: \"" + std::string(id) + "\"}}]\n";
  }
  yaml += extra;
  return yaml;
}

// Evaluates with the prefilter (no explain) and in full (explain); both must agree.
Ids FiredBothWays(const RuleSet& rules, const Event& event) {
  Ids fast = FiredIds(rules.Evaluate(event));
  Ids full = FiredIds(rules.Evaluate(event, Explain()));
  EXPECT_EQ(fast, full) << "the prefilter changed the result";
  return fast;
}

TEST(Evaluation, RegexPrefilterFiresExactlyTheMatchingRules) {
  auto rules = Rules(KeywordRules("facts.text", false));
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("kw3x and kw17x"))), Ids({"k03", "k17"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("kw0x"))), Ids({"k00"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("kw19x kw1x kw10x"))),
            Ids({"k01", "k10", "k19"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("nothing here kw20x kw3"))), Ids({}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("KW3X"))), Ids({}));
  Ids all_ids;
  std::string all_text;
  for (int i = 0; i < 20; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "k%02d", i);
    all_ids.push_back(id);
    all_text += "kw" + std::to_string(i) + "x ";
  }
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message(all_text))), all_ids);
}

TEST(Evaluation, RegexPrefilterWithIgnoreCase) {
  auto rules = Rules(KeywordRules("facts.text", true));
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("KW3X and Kw17X"))), Ids({"k03", "k17"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("kw5x"))), Ids({"k05"}));
}

TEST(Evaluation, RegexPrefilterWhenTheValueIsAnArray) {
  auto rules = Rules(KeywordRules("data.object.tags", false));
  ASSERT_NE(rules, nullptr);
  std::string event = R"({"id":"EVa","type":"message.received","data":{"object":{"object":"message",)"
                      R"("tags":["none","kw5x","kw12x"]}}})";
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(event)), Ids({"k05", "k12"}));
  std::string plain = R"({"id":"EVa","type":"message.received","data":{"object":{"tags":"kw7x"}}})";
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(plain)), Ids({"k07"}));
  std::string number = R"({"id":"EVa","type":"message.received","data":{"object":{"tags":42}}})";
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(number)), Ids({}));
}

TEST(Evaluation, RegexPrefilterWhenTheValueIsMissing) {
  auto rules = Rules(KeywordRules("facts.text", false, R"(  - id: no-text
    event: message.received
    when: { facts.text: { not_matches: 'kw1x' } }
    actions: [{log: {message: n}}]
)"));
  ASSERT_NE(rules, nullptr);
  std::string no_text = R"({"id":"EVa","type":"message.received","data":{"object":{"object":"message"}}})";
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(no_text)), Ids({"no-text"}));
}

// Two prefilter groups in one bucket (two paths): one whose value is missing
// or not a string leaves its rules to be evaluated in full, without readmitting
// or rejecting the other group's.
TEST(Evaluation, RegexPrefilterGroupsOnTwoPathsAreIndependent) {
  std::string yaml = KeywordRules("facts.text", false);
  for (int i = 0; i < 3; ++i) {
    yaml += "  - id: s" + std::to_string(i) + "\n    event: message.received\n"
            "    when: { data.object.subject: { not_matches: 'x', matches: '^s" +
            std::to_string(i) + "' } }\n    actions: [{log: {message: s}}]\n";
  }
  // Without a subject the s rules fail on their own (and not_matches holds).
  yaml += "  - id: any-subject\n    event: message.received\n"
          "    when: { data.object.subject: { not_matches: '^s0' } }\n"
          "    actions: [{log: {message: a}}]\n";
  auto rules = Rules(yaml);
  ASSERT_NE(rules, nullptr);
  auto with_subject = [](const std::string& subject_json, const std::string& text) {
    return R"({"id":"EVa","type":"message.received","data":{"object":{"object":"message",)"
           R"("direction":"incoming","text":")" + text + R"(","subject":)" + subject_json + "}}}";
  };
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("kw5x"))), Ids({"k05", "any-subject"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(with_subject("\"s1 y\"", "kw5x kw6x"))),
            Ids({"k05", "k06", "s1", "any-subject"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(with_subject("\"s0\"", "none"))), Ids({"s0"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(with_subject("7", "kw19x"))),
            Ids({"k19", "any-subject"}));
}

TEST(Evaluation, RegexPrefilterKeepsOtherConditionsAndOrder) {
  // Extra rules: one whose regex is combined with another condition, one whose
  // regex sits under `any` (not required), one with a higher priority.
  auto rules = Rules(KeywordRules("facts.text", false, R"(  - id: combined
    event: message.received
    priority: 1
    when:
      facts.direction: outgoing
      facts.text: { matches: 'kw4x' }
    actions: [{log: {message: c}}]
  - id: either
    event: message.received
    when: { any: [ { facts.text: { matches: 'zzz' } }, { facts.contact: { exists: true } } ] }
    actions: [{log: {message: e}}]
  - id: first
    event: message.received
    priority: 5
    when: { facts.text: { matches: 'kw4' } }
    actions: [{log: {message: f}}]
)"));
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("kw4x"))), Ids({"first", "k04", "either"}));
}

TEST(Evaluation, RegexPrefilterCapturesStillWork) {
  std::string yaml = KeywordRules("facts.text", false, R"(  - id: order
    event: message.received
    when: { facts.text: { matches: 'order (?P<n>\d+)' } }
    actions: [{log: {message: "n={{ captures.n }}"}}]
)");
  auto rules = Rules(yaml);
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("kw2x order 99")));
  ASSERT_EQ(FiredIds(e), Ids({"k02", "order"}));
  EXPECT_EQ(e.fired[1].actions[0].params.Find("message")->as_string(), "n=99");
}

// SPEC: `captures` and `rule` are template context, whole as well as by field.
// What a thread keeps of its last results is bounded: a large capture (or any
// large text) is freed with its Evaluation, not kept for the next one. Measured
// with glibc's allocator statistics, which a sanitizer's allocator replaces.
TEST(Evaluation, LargeResultsAreNotKeptForTheNextEvaluation) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "allocator statistics are the sanitizer's";
#else
  auto rules = Rules(R"(
version: 1
rules:
  - id: all
    event: message.received
    when: { facts.text: { matches: '(?P<all>.*)' } }
    actions: [{log: {message: "x"}}]
)");
  ASSERT_NE(rules, nullptr);
  std::thread([&] {
    const std::string big_json = Message(std::string(256 * 1024, 'a'));
    const std::string small_json = Message("b");
    // Warm up: the thread's spare results and parse buffers exist.
    { Evaluation warm = rules->Evaluate(ParseEvent(small_json)); }
    const size_t before = mallinfo2().uordblks;
    { Evaluation big = rules->Evaluate(ParseEvent(big_json)); }
    const size_t after = mallinfo2().uordblks;
    EXPECT_LT(after, before + 64 * 1024) << "kept " << (after - before) << " bytes";
  }).join();
#endif
}

TEST(Evaluation, WholeCapturesAndRuleRenderAsObjects) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: whole
    description: all of it
    event: message.received
    when: { facts.text: { matches: '(?P<word>hours)' } }
    actions: [{log: {message: "{{ captures | json }} {{ rule }}"}}]
  - id: no-groups
    event: message.received
    actions: [{log: {message: "{{ captures }}"}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("your hours?")));
  ASSERT_EQ(FiredIds(e), Ids({"whole", "no-groups"}));
  EXPECT_EQ(e.fired[0].actions[0].params.Find("message")->as_string(),
            R"({"word":"hours"} {"id":"whole","description":"all of it"})");
  EXPECT_EQ(e.fired[1].actions[0].params.Find("message")->as_string(), "{}");
}

TEST(Evaluation, RegexPrefilterOfTwoRulesStillTestsTheirOtherOperators) {
  // Two regexes on one path make a prefilter. A rule whose regex the set found
  // does not run that regex again, but every other operator and condition of it
  // still decides: the other operators on the same path, before and after the
  // regex, and the rule's other conditions.
  auto rules = Rules(R"(version: 1
rules:
  - id: hours
    event: message.received
    when:
      facts.text: { not_contains: stop, matches: '(?i)\bhours\b', ends_with: '?' }
      facts.direction: incoming
    actions: [{log: {message: h}}]
  - id: price
    event: message.received
    when:
      facts.text: { matches: '(?i)\bprice\b' }
    actions: [{log: {message: p}}]
)");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("Your hours?"))), Ids({"hours"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("hours and price?"))), Ids({"hours", "price"}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("Your hours."))), Ids({}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("stop: hours?"))), Ids({}));
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(Message("the price"))), Ids({"price"}));
  std::string outgoing = R"({"id":"EVa","type":"message.received","data":{"object":)"
                         R"({"object":"message","direction":"outgoing","text":"hours?"}}})";
  EXPECT_EQ(FiredBothWays(*rules, ParseEvent(outgoing)), Ids({}));
}

// Keyword patterns ('\bword\b', '(?i)\b(a|b)\b') are answered without RE2 for
// ASCII texts; other texts go to the RE2::Set (two or more rules) or to each
// rule's own regex (a lone rule). Every path gives RE2's answer, including the
// one where Unicode case folding makes the difference: U+212A KELVIN SIGN is a
// case-insensitive 'k' and no word character.
TEST(Evaluation, KeywordPrefilterAndItsFallbacks) {
  const std::string kelvin = "\xE2\x84\xAA";
  auto lone = Rules(R"(version: 1
rules:
  - id: ok
    event: message.received
    when: { facts.text: { matches: '(?i)\bok\b' } }
    actions: [{log: {message: o}}]
)");
  ASSERT_NE(lone, nullptr);
  EXPECT_EQ(FiredBothWays(*lone, ParseEvent(Message("OK then"))), Ids({"ok"}));
  EXPECT_EQ(FiredBothWays(*lone, ParseEvent(Message("okay"))), Ids({}));
  EXPECT_EQ(FiredBothWays(*lone, ParseEvent(Message("ok \xF0\x9F\x91\x8D"))), Ids({"ok"}));
  EXPECT_EQ(FiredBothWays(*lone, ParseEvent(Message("o" + kelvin + "x"))), Ids({"ok"}));

  auto pair = Rules(R"(version: 1
rules:
  - id: ok
    event: message.received
    when: { facts.text: { matches: '(?i)\bok\b' } }
    actions: [{log: {message: o}}]
  - id: stop
    event: message.received
    when: { facts.text: { matches: '\b(STOP|UNSUBSCRIBE)\b' } }
    actions: [{log: {message: s}}]
)");
  ASSERT_NE(pair, nullptr);
  EXPECT_EQ(FiredBothWays(*pair, ParseEvent(Message("ok, STOP"))), Ids({"ok", "stop"}));
  EXPECT_EQ(FiredBothWays(*pair, ParseEvent(Message("stop"))), Ids({}));
  EXPECT_EQ(FiredBothWays(*pair, ParseEvent(Message("UNSUBSCRIBE \xC3\xA9t\xC3\xA9"))),
            Ids({"stop"}));
  EXPECT_EQ(FiredBothWays(*pair, ParseEvent(Message("o" + kelvin + "x STOP"))), Ids({"ok", "stop"}));

  // One pattern that is not a keyword pattern: the group is the set's alone.
  auto mixed = Rules(R"(version: 1
rules:
  - id: ok
    event: message.received
    when: { facts.text: { matches: '(?i)\bok\b' } }
    actions: [{log: {message: o}}]
  - id: order
    event: message.received
    when: { facts.text: { matches: 'order \d+' } }
    actions: [{log: {message: n}}]
)");
  ASSERT_NE(mixed, nullptr);
  EXPECT_EQ(FiredBothWays(*mixed, ParseEvent(Message("ok, order 12"))), Ids({"ok", "order"}));
  EXPECT_EQ(FiredBothWays(*mixed, ParseEvent(Message("order"))), Ids({}));
}

// A throttle store that evaluates another event, on the same thread, whenever
// it is asked: user code that Evaluate calls back may evaluate too.
class ReentrantThrottle : public ThrottleStore {
 public:
  ReentrantThrottle(const RuleSet* rules, const Event* other) : rules_(rules), other_(other) {}
  int CountSince(std::string_view, std::string_view, TimeStamp) const override {
    inner_fired_ = FiredIds(rules_->Evaluate(*other_));
    return 0;
  }
  void Record(std::string_view, std::string_view, TimeStamp) override {}
  Ids inner_fired() const { return inner_fired_; }

 private:
  const RuleSet* rules_;
  const Event* other_;
  mutable Ids inner_fired_;
};

TEST(Evaluation, AnEvaluationInsideAnotherOnTheSameThreadDoesNotDisturbIt) {
  auto rules = Rules(R"(version: 1
rules:
  - id: first
    event: message.received
    when: { facts.text: { matches: alpha } }
    throttle: { key: "{{ facts.contact }}", per: 1h }
    actions: [{log: {message: a}}]
  - id: second
    event: message.received
    when: { facts.text: { matches: beta } }
    actions: [{log: {message: b}}]
)");
  ASSERT_NE(rules, nullptr);
  Event beta = ParseEvent(Message("beta only"));
  ReentrantThrottle throttle(rules.get(), &beta);
  EvalOptions options;
  options.throttle = &throttle;
  Evaluation outer = rules->Evaluate(ParseEvent(Message("alpha only")), options);
  EXPECT_EQ(throttle.inner_fired(), Ids({"second"}));
  // The inner evaluation's prefilter found beta; the outer event has none.
  EXPECT_EQ(FiredIds(outer), Ids({"first"}));
}

// ---- determinism and threads ----

std::string Summary(const Evaluation& e) {
  std::string out;
  for (const FiredRule& f : e.fired) {
    out += std::string(f.rule_id) + "[" + f.throttle_key + "]";
    for (const FiredAction& a : f.actions) out += std::string(a.type) + a.params.ToJson() + a.error;
    out += ";";
  }
  out += "|";
  for (const NotFiredRule& n : e.not_fired) out += std::string(n.rule_id) + ":" + n.reason + ";";
  return out;
}

TEST(Evaluation, IsDeterministicAndThreadSafe) {
  std::string yaml = KeywordRules("facts.text", false, R"(  - id: reply
    event: message.received
    throttle: { key: "{{ facts.contact }}", per: 1h }
    when: { facts.text: { matches: '(?P<word>kw\d+x)' } }
    actions:
      - openphone.send_message: { to: "{{ facts.contact }}", content: "got {{ captures.word }} at {{ now }}" }
  - id: glob
    event: "*"
    actions: [{log: {message: "{{ facts.type }}"}}]
)");
  auto rules = Rules(yaml);
  ASSERT_NE(rules, nullptr);
  std::vector<Event> events;
  for (int i = 0; i < 8; ++i) {
    events.push_back(ParseEvent(Message("kw" + std::to_string(i) + "x kw" +
                                        std::to_string(i + 9) + "x")));
  }
  events.push_back(ParseEvent(OfType("call.completed")));
  InMemoryThrottleStore store;
  store.Record("reply", "+15555550100", At(1772463600));
  EvalOptions options;
  options.now = At(1772463600 + 600);
  options.throttle = &store;
  for (bool explain : {false, true}) {
    options.explain = explain;
    std::vector<std::string> expected;
    for (const Event& e : events) expected.push_back(Summary(rules->Evaluate(e, options)));
    // Same input, same output.
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(Summary(rules->Evaluate(events[i], options)), expected[i]);
    }
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < 200; ++round) {
          size_t i = (round + t) % events.size();
          if (Summary(rules->Evaluate(events[i], options)) != expected[i]) ++mismatches[t];
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(mismatches, std::vector<int>(4, 0)) << "explain=" << explain;
  }
}

TEST(Evaluation, NowIsTheProcessingTime) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: a
    event: "*"
    actions: [{log: {message: "{{ now }} {{ rule.id }}"}}]
)");
  ASSERT_NE(rules, nullptr);
  EvalOptions options;
  options.now = At(1772463600) + std::chrono::milliseconds(250);
  Evaluation e = rules->Evaluate(ParseEvent(OfType("x")), options);
  ASSERT_EQ(e.fired.size(), 1u);
  EXPECT_EQ(e.fired[0].actions[0].params.Find("message")->as_string(),
            "2026-03-02T15:00:00.250Z a");
}

// ---- inline tests ----

const char* kWithTests = R"(
version: 1
rules:
  - id: hours-keyword
    event: message.received
    when: { facts.text: { matches: '(?i)\bhours?\b' } }
    actions: [{log: {message: h}}]
  - id: greet
    event: message.received
    priority: 5
    when: { facts.text: { matches: '(?i)^hi\b' } }
    actions: [{log: {message: g}}]
  - id: reply-once
    event: message.received
    throttle: { key: "{{ facts.contact }}", per: 1h }
    when: { facts.text: { exists: true } }
    actions: [{log: {message: r}}]
tests:
  - name: hours question
    payload:
      id: EV1
      type: message.received
      data: { object: { object: message, direction: incoming, from: "+15555550100", text: "what are your hours?" } }
    expect: { fired: [hours-keyword, reply-once] }
  - name: greeting with set
    payload:
      id: EV1
      type: message.received
      data: { object: { object: message, from: "+15555550100", text: "what are your hours?" } }
    set: { data.object.text: "hi there, hours?" }
    expect: { fired: [greet, hours-keyword, reply-once] }
  - name: wrong expectation
    payload:
      id: EV1
      type: message.received
      data: { object: { object: message, text: "hello" } }
    expect: { fired: [hours-keyword] }
  - name: nothing fires without text
    payload: { id: EV2, type: message.received, data: { object: { object: message } } }
    expect: { fired: [] }
  - name: set adds a new path
    payload: { id: EV3, type: message.received, data: { object: { object: message } } }
    set: { data.object.text: "HOURS" }
    expect: { fired: [hours-keyword, reply-once] }
)";

const InlineTest* FindTest(const RuleSet& rules, std::string_view name) {
  for (const InlineTest& t : rules.tests()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// Runs the named inline tests of `rules`: each must pass.
void ExpectTestsPass(const RuleSet& rules, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    const InlineTest* test = FindTest(rules, name);
    ASSERT_NE(test, nullptr) << name;
    TestOutcome outcome = rules.RunTest(*test);
    EXPECT_TRUE(outcome.passed) << name << ": " << outcome.message;
  }
}

TEST(Evaluation, InlineTestsAreLoadedWithTheirPositions) {
  auto rules = Rules(kWithTests);
  ASSERT_NE(rules, nullptr);
  ASSERT_EQ(rules->tests().size(), 5u);
  const InlineTest& t = rules->tests()[0];
  EXPECT_EQ(t.name, "hours question");
  EXPECT_EQ(t.file, "eval.yaml");
  EXPECT_EQ(t.line, 18);
  EXPECT_EQ(t.expect_fired, Ids({"hours-keyword", "reply-once"}));
  ASSERT_EQ(rules->tests()[1].set.size(), 1u);
  EXPECT_EQ(rules->tests()[1].set[0].first, "data.object.text");
  EXPECT_EQ(rules->tests()[1].set[0].second, Value("hi there, hours?"));
}

TEST(Evaluation, InlineTestPasses) {
  auto rules = Rules(kWithTests);
  ASSERT_NE(rules, nullptr);
  const InlineTest* test = FindTest(*rules, "hours question");
  ASSERT_NE(test, nullptr);
  TestOutcome outcome = rules->RunTest(*test);
  EXPECT_TRUE(outcome.passed) << outcome.message;
  EXPECT_EQ(outcome.fired, Ids({"hours-keyword", "reply-once"}));
  EXPECT_TRUE(outcome.message.empty());
  // Each run starts with fresh throttle state: the throttled rule fires again.
  TestOutcome again = rules->RunTest(*test);
  EXPECT_TRUE(again.passed) << again.message;
}

TEST(Evaluation, InlineTestSetOverridesThePayload) {
  auto rules = Rules(kWithTests);
  ASSERT_NE(rules, nullptr);
  ExpectTestsPass(*rules, {"greeting with set", "set adds a new path"});
}

// `set` creates what is missing on its path: objects, and an array for [0].
TEST(Evaluation, InlineTestSetCreatesAMissingArray) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: to-vip
    event: message.received
    when: { data.object.to: "+15550001111" }
    actions: [{log: {message: x}}]
tests:
  - name: set a new list
    payload: { id: EV1, type: message.received, data: { object: { object: message } } }
    set: { "data.object.to[0]": "+15550001111" }
    expect: { fired: [to-vip] }
)");
  ASSERT_NE(rules, nullptr);
  ExpectTestsPass(*rules, {"set a new list"});
}

// An inline test's payload is rewritten as JSON to apply `set`: its integers,
// and those that `set` writes, must come through exactly.
TEST(Evaluation, InlineTestPayloadKeepsIntegersExact) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: exact
    event: t
    when: { data.n: 1234567890123456789, data.m: 9007199254740993 }
    actions: [{log: {message: x}}]
tests:
  - name: payload and set
    payload: { id: EV1, type: t, data: { n: 1234567890123456789 } }
    set: { data.m: 9007199254740993 }
    expect: { fired: [exact] }
  - name: a neighbour does not fire
    payload: { id: EV1, type: t, data: { n: 1234567890123456788, m: 9007199254740993 } }
    expect: { fired: [] }
)");
  ASSERT_NE(rules, nullptr);
  ExpectTestsPass(*rules, {"payload and set", "a neighbour does not fire"});
}

TEST(Evaluation, InlineTestFailsWithAMessage) {
  auto rules = Rules(kWithTests);
  ASSERT_NE(rules, nullptr);
  const InlineTest* test = FindTest(*rules, "wrong expectation");
  ASSERT_NE(test, nullptr);
  TestOutcome outcome = rules->RunTest(*test);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.fired, Ids({"reply-once"}));
  EXPECT_NE(outcome.message.find("expected [hours-keyword] to fire, got [reply-once]"),
            std::string::npos)
      << outcome.message;
  // The reason of the expected rule that did not fire.
  EXPECT_NE(outcome.message.find("\"hello\""), std::string::npos) << outcome.message;
}

// A disabled rule, or one for other event types, is not evaluated at all: the
// failure still says why it did not fire.
TEST(Evaluation, InlineTestFailureExplainsDisabledAndOtherTypeRules) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: off
    event: message.received
    enabled: false
    actions: [{log: {message: x}}]
  - id: calls
    event: [call.completed, call.ringing]
    actions: [{log: {message: x}}]
tests:
  - name: disabled
    payload: { id: EV1, type: message.received, data: { object: { text: hi } } }
    expect: { fired: [off] }
  - name: other type
    payload: { id: EV1, type: message.received, data: { object: { text: hi } } }
    expect: { fired: [calls] }
)");
  ASSERT_NE(rules, nullptr);
  TestOutcome disabled = rules->RunTest(*FindTest(*rules, "disabled"));
  EXPECT_FALSE(disabled.passed);
  EXPECT_NE(disabled.message.find("off: disabled (enabled: false)"), std::string::npos)
      << disabled.message;
  TestOutcome other = rules->RunTest(*FindTest(*rules, "other type"));
  EXPECT_FALSE(other.passed);
  EXPECT_NE(other.message.find("calls: not for event type 'message.received'"), std::string::npos)
      << other.message;
}

TEST(Evaluation, InlineTestExpectingNothing) {
  auto rules = Rules(kWithTests);
  ASSERT_NE(rules, nullptr);
  const InlineTest* test = FindTest(*rules, "nothing fires without text");
  ASSERT_NE(test, nullptr);
  TestOutcome outcome = rules->RunTest(*test);
  EXPECT_TRUE(outcome.passed) << outcome.message;
  EXPECT_TRUE(outcome.fired.empty());
}

TEST(Evaluation, InlineTestWithEventFileRelativeToTheRuleFile) {
  std::string dir = SWITCHBOARD_TEST_DATA;
  auto loaded = TheEngine().LoadString(R"(version: 1
rules:
  - id: legacy-body
    event: message.received
    when: { facts.text: af }
    actions: [{log: {message: "{{ facts.contact }}"}}]
tests:
  - name: from a file
    event: payloads/legacy-v2-message.received.json
    expect: { fired: [legacy-body] }
  - name: from a file with set
    event: payloads/legacy-v2-message.received.json
    set: { data.object.body: "changed" }
    expect: { fired: [] }
)",
                                       dir + "/inline.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  ASSERT_EQ(loaded.rules->tests().size(), 2u);
  for (const InlineTest& t : loaded.rules->tests()) {
    TestOutcome outcome = loaded.rules->RunTest(t);
    EXPECT_TRUE(outcome.passed) << t.name << ": " << outcome.message;
  }
}

TEST(Evaluation, ExplainForAnyNamesTheFirstAlternative) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: either
    event: message.received
    when: { any: [ { facts.text: yes }, { facts.text: sure } ] }
    actions: [{log: {message: a}}]
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("no")), Explain());
  ASSERT_EQ(NotFiredIds(e), Ids({"either"}));
  EXPECT_NE(e.not_fired[0].reason.find(R"(facts.text equals "yes": "no")"), std::string::npos)
      << e.not_fired[0].reason;
}

TEST(Evaluation, RuleInfoListsEveryRule) {
  auto rules = Rules(R"(
version: 1
rules:
  - id: low
    description: the low one
    event: [message.received, "call.*"]
    throttle: { key: "{{ facts.contact }}", per: 90d }
    actions: [{log: {message: a}}]
  - id: high
    event: message.received
    priority: 3
    stop: true
    enabled: false
    actions: [{log: {message: a}}]
)");
  ASSERT_NE(rules, nullptr);
  auto infos = rules->rules();
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[0].id, "high");
  EXPECT_EQ(infos[0].priority, 3);
  EXPECT_TRUE(infos[0].stop);
  EXPECT_FALSE(infos[0].enabled);
  EXPECT_EQ(infos[1].id, "low");
  EXPECT_EQ(infos[1].description, "the low one");
  EXPECT_EQ(infos[1].events, Ids({"message.received", "call.*"}));
  EXPECT_EQ(infos[1].line, 3);
  EXPECT_EQ(infos[0].throttle_per, std::chrono::milliseconds(0));
  EXPECT_EQ(infos[1].throttle_per, std::chrono::hours(24 * 90));
}

TEST(Evaluation, InlineTestsOverManyRegexRules) {
  // Enough `matches` rules on one path for the RE2::Set prefilter.
  std::string yaml = KeywordRules("facts.text", true, R"(tests:
  - name: two keywords
    payload: { id: EV1, type: message.received, data: { object: { object: message, text: "KW2X then kw11x" } } }
    expect: { fired: [k02, k11] }
  - name: one keyword expected, another fires
    payload: { id: EV1, type: message.received, data: { object: { object: message, text: "kw4x" } } }
    expect: { fired: [k05] }
)");
  auto rules = Rules(yaml);
  ASSERT_NE(rules, nullptr);
  ASSERT_EQ(rules->tests().size(), 2u);
  TestOutcome pass = rules->RunTest(rules->tests()[0]);
  EXPECT_TRUE(pass.passed) << pass.message;
  EXPECT_EQ(pass.fired, Ids({"k02", "k11"}));
  TestOutcome fail = rules->RunTest(rules->tests()[1]);
  EXPECT_FALSE(fail.passed);
  EXPECT_EQ(fail.fired, Ids({"k04"}));
  // The reason for k05 comes from a full (explained) evaluation.
  EXPECT_NE(fail.message.find(R"(k05: facts.text matches '\bkw5x\b': "kw4x")"), std::string::npos)
      << fail.message;
}

// ---- results and the rule set they point into ----

TEST(Evaluation, ResultsOutliveTheLastPointerToTheirRuleSet) {
  std::shared_ptr<const RuleSet> rules = Rules(R"(
version: 1
rules:
  - id: a-rule-id-longer-than-the-inline-buffer
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ facts.contact }}", content: "hi" }
)");
  ASSERT_NE(rules, nullptr);
  Evaluation e = rules->Evaluate(ParseEvent(Message("hello")));
  std::weak_ptr<const RuleSet> weak = rules;
  rules.reset();
  EXPECT_FALSE(weak.expired());  // the Evaluation holds it
  ASSERT_EQ(e.fired.size(), 1u);
  EXPECT_EQ(e.fired[0].rule_id, "a-rule-id-longer-than-the-inline-buffer");
  ASSERT_EQ(e.fired[0].actions.size(), 1u);
  EXPECT_EQ(e.fired[0].actions[0].type, "openphone.send_message");
  Evaluation copy = e;
  e = Evaluation();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(copy.fired[0].rule_id, "a-rule-id-longer-than-the-inline-buffer");
  copy = Evaluation();
  EXPECT_TRUE(weak.expired());
}

TEST(Evaluation, AnEmptyResultHoldsNoRuleSet) {
  std::shared_ptr<const RuleSet> rules = Rules(R"(
version: 1
rules:
  - id: calls-only
    event: call.completed
    actions: [{log: {message: "call"}}]
)");
  Evaluation e = rules->Evaluate(ParseEvent(Message("hello")));
  EXPECT_TRUE(e.fired.empty());
  EXPECT_EQ(e.rules, nullptr);
  EvalOptions explain;
  explain.explain = true;
  // Nothing is listed for another type's rule either.
  EXPECT_EQ(rules->Evaluate(ParseEvent(Message("hello")), explain).rules, nullptr);
  Evaluation call = rules->Evaluate(ParseEvent(OfType("call.completed")));
  EXPECT_EQ(call.rules, rules);
}

TEST(Evaluation, RedactedParamsAreTheParamsUnlessASecretIsRendered) {
  setenv("SWITCHBOARD_EVAL_TEST_TOKEN", "tok3n", 1);
  std::shared_ptr<const RuleSet> rules = Rules(R"(
version: 1
rules:
  - id: both
    event: message.received
    actions:
      - log: { message: "from {{ facts.contact }}" }
      - http:
          url: "https://example.com/x"
          headers: { X-Key: "{{ env.SWITCHBOARD_EVAL_TEST_TOKEN }}", X-From: "{{ facts.contact }}" }
)");
  Evaluation e = rules->Evaluate(ParseEvent(Message("hello")));
  unsetenv("SWITCHBOARD_EVAL_TEST_TOKEN");
  ASSERT_EQ(e.fired.size(), 1u);
  ASSERT_EQ(e.fired[0].actions.size(), 2u);
  const FiredAction& log = e.fired[0].actions[0];
  EXPECT_FALSE(log.has_redacted_copy());
  EXPECT_EQ(&log.redacted_params(), &log.params);  // no copy is made
  const FiredAction& http = e.fired[0].actions[1];
  EXPECT_TRUE(http.has_redacted_copy());
  EXPECT_NE(&http.redacted_params(), &http.params);
  EXPECT_EQ(http.params.Find("headers")->Find("X-Key")->as_string(), "tok3n");
  EXPECT_EQ(http.redacted_params().Find("headers")->Find("X-Key")->as_string(), "[redacted]");
  EXPECT_EQ(http.redacted_params().Find("headers")->Find("X-From")->as_string(), "+15555550100");
  // A copy of the action keeps its own redacted copy.
  FiredAction copy = http;
  EXPECT_NE(&copy.redacted_params(), &http.redacted_params());
  EXPECT_EQ(copy.redacted_params(), http.redacted_params());
}


// Everything an Evaluation says about its fired rules, as text.
std::string Describe(const Evaluation& e) {
  std::string out;
  for (const FiredRule& f : e.fired) {
    out += std::string(f.rule_id) + " key=" + f.throttle_key + " captures=";
    for (const auto& [name, text] : f.captures) out += name + ":" + text + ",";
    for (const FiredAction& a : f.actions) {
      out += "\n  " + std::string(a.type) + " " + a.params.ToJson() +
             " redacted=" + a.redacted_params().ToJson() + " error=" + a.error;
    }
    out += "\n";
  }
  return out;
}

// Each thread builds its next results over the last ones it destroyed; whatever
// came before, they must read as if built afresh (here: on a new thread).
TEST(Evaluation, ResultsBuiltOverEarlierOnesAreTheSameAsFreshOnes) {
  setenv("SWITCHBOARD_RECYCLE_TEST_TOKEN", "s3cret", 1);
  std::shared_ptr<const RuleSet> rules = Rules(R"(
version: 1
rules:
  - id: keyword
    event: message.received
    priority: 5
    when:
      facts.text: { matches: '(?i)(?P<word>hours|price)' }
    throttle: { key: "{{ facts.contact }}-{{ captures.word }}", per: 1h }
    actions:
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: "About {{ captures.word }}: a reply long enough for a buffer of its own"
      - log: { message: "keyword {{ captures.word }}" }
  - id: long-text
    event: message.received
    when:
      facts.text: { contains: long }
    actions:
      - http:
          url: "https://example.com/hook/{{ facts.contact }}"
          method: PUT
          body: { text: "{{ facts.text }}", n: 1 }
  - id: signed
    event: message.received
    when:
      facts.text: { contains: price, ignore_case: true }
    actions:
      - http:
          url: "https://example.com/signed"
          headers: { X-Key: "{{ env.SWITCHBOARD_RECYCLE_TEST_TOKEN }}" }
  - id: every
    event: message.received
    actions:
      - log: { message: "{{ facts.text }}" }
      - openphone.send_message: { to: "{{ facts.text }}", content: "x" }
)");
  ASSERT_NE(rules, nullptr);
  // Each event fires fewer rules, actions or parameters at some position than
  // the one before it, or other kinds of values there.
  const std::vector<std::string> events = {
      Message("a long text about the price, long enough to need a heap buffer", "+15555550123"),
      Message("what are your hours"),
      Message("+15555550199"),
      Message("Price"),
      Message("what are your hours"),
  };
  std::vector<std::string> fresh;
  for (const std::string& json : events) {
    std::thread([&] { fresh.push_back(Describe(rules->Evaluate(ParseEvent(json)))); }).join();
  }
  ASSERT_NE(fresh[0].find("redacted={\"url\":\"https://example.com/signed\",\"headers\":"
                          "{\"X-Key\":\"[redacted]\"}"),
            std::string::npos)
      << fresh[0];
  ASSERT_NE(fresh[1].find("keyword key=+15555550100-hours captures=word:hours,"), std::string::npos)
      << fresh[1];
  ASSERT_NE(fresh[2].find("every key= captures=\n  log {\"message\":\"+15555550199\""),
            std::string::npos)
      << fresh[2];
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(Describe(rules->Evaluate(ParseEvent(events[i]))), fresh[i]) << "event " << i;
    }
    // Two results alive at once: only one is kept for the next evaluation.
    Evaluation a = rules->Evaluate(ParseEvent(events[0]));
    Evaluation b = rules->Evaluate(ParseEvent(events[1]));
    EXPECT_EQ(Describe(a), fresh[0]);
    EXPECT_EQ(Describe(b), fresh[1]);
  }
  unsetenv("SWITCHBOARD_RECYCLE_TEST_TOKEN");
}

}  // namespace
}  // namespace switchboard
