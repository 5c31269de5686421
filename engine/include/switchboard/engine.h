// Switchboard: an automation rules engine for phone-system webhooks.
//
// A program creates an Engine (which knows the action types), loads YAML rules
// into an immutable RuleSet, parses each webhook body into an Event and asks the
// RuleSet which rules fire:
//
//   auto engine = switchboard::Engine::Create();
//   switchboard::LoadResult loaded = engine->LoadFiles({"rules/"});
//   if (!loaded.ok()) { std::cerr << loaded.FormatErrors(); return 1; }
//   auto event = switchboard::Event::Parse(body);
//   if (!event.ok()) { ... event.status().message() ... }
//   switchboard::Evaluation result = loaded.rules->Evaluate(*event);
//   for (const auto& fired : result.fired)
//     for (const auto& action : fired.actions) engine->Execute(action);
//
// Evaluation is pure: it decides which rules fire and renders their actions;
// nothing runs until the caller executes the actions. No exception crosses this
// API: failures come back as Status, Result<T> or a LoadResult's diagnostics.
#ifndef SWITCHBOARD_ENGINE_H_
#define SWITCHBOARD_ENGINE_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/action.h"
#include "switchboard/event.h"
#include "switchboard/export.h"
#include "switchboard/status.h"
#include "switchboard/throttle.h"
#include "switchboard/value.h"

namespace switchboard {

class RuleSet;

// One load error, with its position in the rule file.
struct SWITCHBOARD_EXPORT Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string item;     // what it concerns, e.g. "rule 'hours'"; may be empty
  std::string message;  // e.g. "unknown operator 'match' (did you mean 'matches'?)"
  std::string snippet;  // the source line and a caret under the column; may be empty

  // "file:line:col: item: message" (the parts that are known).
  std::string Headline() const;
  // Headline() then the snippet.
  std::string ToString() const;
};

// An inline test from a rule file's `tests:` section.
struct InlineTest {
  std::string file;
  int line = 0;
  std::string name;
  std::string event_json;  // the event, read from `event:` or `payload:`
  std::vector<std::pair<std::string, Value>> set;  // path -> value overrides
  std::vector<std::string> expect_fired;           // rule ids, in firing order
};

// The result of one inline test.
struct TestOutcome {
  bool passed = false;
  std::vector<std::string> fired;  // the rules of the test's file (and named ones) that fired
  std::string message;             // why it failed; empty when passed
};

// Options for one evaluation.
struct EvalOptions {
  // The processing time: `now` in templates, the throttle window, and the
  // schedule time of events without facts.created_at. Default: the clock.
  std::optional<TimeStamp> now;
  // Throttle state to read. Default: none, and throttles are not applied.
  const ThrottleStore* throttle = nullptr;
  // List in Evaluation::not_fired every enabled rule for the event's type that
  // did not fire, with the first failing condition and the actual value.
  // Default: false (not_fired stays empty: the fast path for servers).
  bool explain = false;
};

// Rule ids and action type names in an Evaluation point into the RuleSet that
// produced it; the Evaluation keeps that RuleSet alive (Evaluation::rules).
struct FiredRule {
  // Not `= default`: an element that a vector value-initializes (emplace_back())
  // is zero-filled first unless its constructor is user-provided.
  FiredRule() {}

  std::string_view rule_id;
  std::vector<FiredAction> actions;
  // The rendered throttle key; empty when the rule has no throttle.
  std::string throttle_key;
  std::vector<std::pair<std::string, std::string>> captures;
};

struct NotFiredRule {
  std::string_view rule_id;
  // e.g. "facts.text matches '(?i)hours': \"hello\"", "throttled",
  // "stopped by rule 'stop-words'", "schedule business_hours: inside".
  std::string reason;
  // With EvalOptions::explain: the failing condition and the actual value
  // (absent when the path is missing; for a schedule, the time it was tested
  // at: facts.created_at, or the processing time without one).
  std::string condition;
  std::optional<Value> actual;
};

struct SWITCHBOARD_EXPORT Evaluation {
  Evaluation() = default;
  Evaluation(const Evaluation&) = default;
  Evaluation(Evaluation&&) = default;
  Evaluation& operator=(const Evaluation&) = default;
  Evaluation& operator=(Evaluation&&) = default;
  // Hands the storage of `fired` (vectors and strings, not their contents) to
  // the next evaluation on this thread: a server that evaluates event after
  // event allocates for its results only when they outgrow the last ones.
  ~Evaluation();

  std::vector<FiredRule> fired;       // in firing order
  std::vector<NotFiredRule> not_fired;  // only with EvalOptions::explain
  // Not OK when the evaluation could not be completed: kUnavailable when
  // memory ran out (no exception crosses the API). `fired` and `not_fired`
  // are then empty: that is no decision that nothing fires, and the event
  // should be evaluated again later.
  Status error;
  // The rule set that produced this evaluation; null when `fired` and
  // `not_fired` are both empty. The rule ids and action type names above point
  // into it: holding the Evaluation (or a copy) keeps it alive, even after every
  // other pointer to it is dropped.
  std::shared_ptr<const RuleSet> rules;
};

// Summary of one loaded rule, for listings.
struct RuleInfo {
  std::string id;
  std::string description;
  std::string file;
  int line = 0;
  std::vector<std::string> events;
  int priority = 0;
  bool enabled = true;
  bool stop = false;
  // The window of its throttle (`per`); zero when the rule has no throttle.
  std::chrono::milliseconds throttle_per{0};
};

// A compiled, immutable set of rules. Thread-safe: any number of threads may
// evaluate at once. Shared by pointer so that a server can swap it atomically.
class SWITCHBOARD_EXPORT RuleSet : public std::enable_shared_from_this<RuleSet> {
 public:
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Which rules fire for `event`, highest priority first, with their actions
  // rendered. Deterministic given the event, options.now and the throttle state.
  Evaluation Evaluate(const Event& event, const EvalOptions& options = {}) const;

  // Records the throttled firings of `evaluation` in `store` (none when it is
  // null). An exception the store throws is returned as kInternal (the first
  // one; the other firings are still recorded).
  Status RecordFirings(const Evaluation& evaluation, TimeStamp at, ThrottleStore* store) const;

  std::vector<RuleInfo> rules() const;
  // The environment variables the rules' templates read (env.NAME), sorted.
  // Their values are secrets: a program that reports errors of running the
  // actions (an endpoint may echo what it was sent) can redact them.
  std::vector<std::string> env_names() const;
  const std::vector<InlineTest>& tests() const;
  // Runs one inline test with a fresh throttle state.
  TestOutcome RunTest(const InlineTest& test) const;

  struct Rep;  // internal
  explicit RuleSet(std::unique_ptr<Rep> rep);

 private:
  std::unique_ptr<Rep> rep_;
};

struct SWITCHBOARD_EXPORT LoadResult {
  std::shared_ptr<const RuleSet> rules;  // null when there are errors
  std::vector<Diagnostic> errors;        // every error of the load, in file order

  bool ok() const { return rules != nullptr; }
  // Every diagnostic's ToString(), separated by newlines.
  std::string FormatErrors() const;
};

struct LoadOptions {
  // Keep the files' inline `tests:` (RuleSet::tests()), reading their event
  // files, which must then exist. Default: true. A server has no use for them:
  // with false the tests are still checked (a bad test fails the load, as any
  // error in a file does) but their event files are not read nor kept.
  bool tests = true;
};

class SWITCHBOARD_EXPORT Engine {
 public:
  // An engine that knows the built-in action types.
  static std::unique_ptr<Engine> Create();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Registers (or replaces) an action type under `name`, e.g. "crm.note". Rule
  // sets loaded afterwards may use it. Not thread-safe against loads.
  Status RegisterAction(std::string name, std::shared_ptr<const ActionType> type);

  // Loads YAML rule files; a directory contributes its *.yaml and *.yml files.
  // Files are loaded in name order; one bad file fails the whole load.
  LoadResult LoadFiles(const std::vector<std::string>& paths,
                       const LoadOptions& options = {}) const;
  // Loads one rule document from memory; `file_name` is used in diagnostics and
  // to resolve tests' relative event paths.
  LoadResult LoadString(std::string_view yaml, std::string_view file_name = "<string>",
                        const LoadOptions& options = {}) const;

  // Runs one fired action through its type's Execute.
  Status Execute(const FiredAction& action) const;

  struct Rep;  // internal

 private:
  Engine();
  std::unique_ptr<Rep> rep_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_ENGINE_H_
