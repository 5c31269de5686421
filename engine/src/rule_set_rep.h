// The compiled form of a rule set, shared by the loader (which builds it) and the
// evaluator (which only reads it).
#ifndef SWITCHBOARD_SRC_RULE_SET_REP_H_
#define SWITCHBOARD_SRC_RULE_SET_REP_H_

#include <re2/re2.h>
#include <re2/set.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "keyword_set.h"
#include "number.h"
#include "path.h"
#include "switchboard/engine.h"
#include "template.h"
#include "timeutil.h"

namespace switchboard {

// A path in a condition: a fact ("facts.contact") or a path into the document.
struct PathRef {
  Path path;
  int fact = -1;  // index of the Fact when >= 0
};

enum class OpKind {
  kEquals, kNotEquals, kIn, kNotIn, kMatches, kNotMatches, kContains, kNotContains,
  kStartsWith, kEndsWith, kExists, kGt, kGte, kLt, kLte,
};

struct Operator {
  OpKind kind = OpKind::kEquals;
  Value arg;                           // equals, contains, starts_with, ends_with
  std::vector<Value> list;             // in, not_in
  std::shared_ptr<const RE2> regex;    // matches, not_matches
  bool named_groups = false;           // regex has (?P<name>...) groups: captures
  std::string pattern;                 // as written
  bool exists = true;                  // exists
  bool is_time = false;                // gt..lte: compare times, else numbers
  Number number;
  int64_t time_ms = 0;
  std::string text;                    // "matches '(?i)hours'", for reasons
};

struct Condition {
  enum class Kind { kAll, kAny, kNot, kSchedule, kEvent, kPath };
  Kind kind = Kind::kAll;
  std::vector<Condition> children;     // all, any, not (one child)
  int schedule = -1;                   // schedule index
  std::string schedule_name;
  std::vector<std::string> types;      // event: types or globs
  PathRef path;
  std::vector<Operator> ops;
  bool ignore_case = false;
};

// An action parameter tree whose string leaves are templates.
struct ParamTree {
  enum class Kind { kTemplate, kObject, kArray, kScalar };
  Kind kind = Kind::kScalar;
  std::optional<Template> tpl;
  std::vector<std::pair<std::string, ParamTree>> members;
  std::vector<ParamTree> items;
  Value scalar;  // numbers, booleans, null
  bool secret = false;
  // This node or one below it is secret: its redacted rendering differs from
  // the plain one. Set by BuildIndex.
  bool has_secret = false;
};

struct CompiledAction {
  std::string type;
  std::shared_ptr<const ActionType> impl;
  // Unique names (the loader rejects duplicates), in the order of the rule file.
  std::vector<std::pair<std::string, ParamTree>> params;
  bool has_secret = false;  // some parameter has_secret; set by BuildIndex
};

struct CompiledRule {
  std::string id;
  std::string description;
  std::string file;
  int line = 0;
  int order = 0;  // load order
  std::vector<std::string> events;
  bool has_when = false;
  Condition when;
  std::optional<Template> throttle_key;
  int64_t throttle_per_ms = 0;
  int throttle_limit = 1;
  int priority = 0;
  bool stop = false;
  bool enabled = true;
  std::vector<CompiledAction> actions;
  // A template of the rule (throttle key, actions) reads `now`, whose text is
  // then worth formatting. Set by BuildIndex.
  bool uses_now = false;
};

// Several `matches` conditions on one path, tested with one RE2::Set pass. The
// set's answer is exact: a rule whose pattern did not match cannot fire, and
// one whose pattern matched need not run that regex again (unless it has named
// groups to capture).
struct RegexPrefilter {
  PathRef path;
  // Asked first when every pattern is a keyword pattern (null otherwise); the
  // set answers the texts it declines. Either may be null, not both: a lone
  // keyword pattern has no set, its rule then runs its own regex.
  std::unique_ptr<KeywordSet> keywords;
  std::unique_ptr<RE2::Set> set;
  std::vector<int> rule_of_pattern;            // pattern index -> position in the bucket
  std::vector<const Operator*> op_of_pattern;  // pattern index -> its `matches` operator
};

// The rules that can match one event type, in firing order.
struct Bucket {
  std::vector<int> rules;  // indexes into RuleSet::Rep::rules
  std::vector<RegexPrefilter> prefilters;
  // By position: 1 where the rule belongs to a prefilter (to at most one).
  std::vector<char> prefiltered;
};

struct RuleSet::Rep {
  Value vars{Value::Object()};
  std::vector<std::string> schedule_names;
  std::vector<Schedule> schedules;
  std::vector<CompiledRule> rules;  // enabled and disabled, in firing order
  std::unordered_map<std::string, Bucket> by_type;  // exact types named by rules
  Bucket globs;                     // rules with a glob, for other types
  std::vector<InlineTest> tests;
  std::set<std::string> env_names;  // every env.NAME a template reads
  // Keys view the ids in `rules`, which never change once the index is built.
  std::unordered_map<std::string_view, int> index_by_id;

  const Bucket& BucketFor(std::string_view type) const;
};

// Builds the type index and the regex prefilters once the rules are sorted, and
// the flags that spare evaluation a walk over each fired rule (uses_now, has_secret).
void BuildIndex(RuleSet::Rep* rep);
// `*` matches any run of characters, `?` one character.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_RULE_SET_REP_H_
