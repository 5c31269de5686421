#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "condition.h"
#include "event_rep.h"
#include "rule_set_rep.h"
#include "same_text.h"
#include "user_code.h"

namespace switchboard {

namespace {

// One RE2::Set pass over a text costs less than two single regexes, and its
// answer is exact: from two regexes on a path, the set is the cheaper way.
// Keyword patterns (KeywordSet) are cheaper still, even one alone.
constexpr size_t kMinRulesForPrefilter = 2;
constexpr const char* kRedacted = "[redacted]";
constexpr size_t kMinSecretBytes = 4;  // as the server's scrubber

bool IsGlob(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

bool RuleMatchesType(const CompiledRule& rule, std::string_view type) {
  return std::any_of(rule.events.begin(), rule.events.end(),
                     [&](const std::string& p) { return GlobMatch(p, type); });
}

// The first `matches` operator that must hold for the rule to fire (one in an
// all-of position), or null.
const Condition* RequiredRegex(const Condition& c, const Operator** op) {
  if (c.kind == Condition::Kind::kAll) {
    for (const Condition& child : c.children) {
      if (const Condition* found = RequiredRegex(child, op)) return found;
    }
    return nullptr;
  }
  if (c.kind == Condition::Kind::kPath) {
    for (const Operator& o : c.ops) {
      if (o.kind == OpKind::kMatches) {
        *op = &o;
        return &c;
      }
    }
  }
  return nullptr;
}

void BuildPrefilters(const RuleSet::Rep& rep, Bucket* bucket) {
  struct Group {
    PathRef path;
    bool ignore_case;
    std::vector<std::pair<int, const Operator*>> members;  // bucket position, operator
  };
  std::map<std::pair<std::string, bool>, Group> groups;
  for (size_t pos = 0; pos < bucket->rules.size(); ++pos) {
    const CompiledRule& rule = rep.rules[bucket->rules[pos]];
    if (!rule.has_when) continue;
    const Operator* op = nullptr;
    const Condition* c = RequiredRegex(rule.when, &op);
    if (c == nullptr) continue;
    Group& g = groups[{c->path.path.text, c->ignore_case}];
    g.path = c->path;
    g.ignore_case = c->ignore_case;
    g.members.emplace_back(static_cast<int>(pos), op);
  }
  for (auto& [key, g] : groups) {
    RegexPrefilter pf;
    pf.path = g.path;
    if (g.members.size() <= static_cast<size_t>(KeywordSet::kMaxPatterns)) {
      pf.keywords = std::make_unique<KeywordSet>();
      for (const auto& [pos, op] : g.members) {
        if (!pf.keywords->Add(op->pattern, g.ignore_case)) {
          pf.keywords.reset();
          break;
        }
      }
    }
    if (g.members.size() >= kMinRulesForPrefilter) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!g.ignore_case);
      options.set_max_mem(64 << 20);
      pf.set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
      for (const auto& [pos, op] : g.members) {
        if (pf.set->Add(op->pattern, nullptr) < 0) {
          pf.set.reset();
          break;
        }
      }
      if (pf.set && !pf.set->Compile()) pf.set.reset();
    }
    if (!pf.set && !pf.keywords) continue;
    for (const auto& [pos, op] : g.members) {
      pf.rule_of_pattern.push_back(pos);
      pf.op_of_pattern.push_back(op);
    }
    bucket->prefilters.push_back(std::move(pf));
  }
}

// The `matches` operators that a prefilter found to hold, by bucket position:
// null everywhere but at the positions listed in `set`. Sized once per thread
// for the largest bucket; only the entries set are cleared, before each use.
struct KnownMatches {
  std::vector<const Operator*> op;
  std::vector<int> set;

  void Reset(size_t count) {
    for (int pos : set) op[pos] = nullptr;
    set.clear();
    if (op.size() < count) op.resize(count, nullptr);
  }
  void Add(int pos, const Operator* o) {
    set.push_back(pos);  // first: if it throws, no entry is left unlisted
    op[pos] = o;
  }
};

// What one evaluation marks per bucket position. Each thread keeps one, so that
// an evaluation allocates nothing for it; an evaluation started while another
// runs on the same thread (user code called back from Evaluate, such as a
// ThrottleStore or an action type's CheckRendered, may evaluate too) gets its
// own instead of overwriting the outer one's.
struct Marks {
  std::vector<char> rejected;
  KnownMatches known;
};

class MarksForThisCall {
 public:
  MarksForThisCall() : owner_(!in_use_) {
    in_use_ = true;
    marks_ = owner_ ? &thread_marks_ : &own_;
  }
  ~MarksForThisCall() {
    if (owner_) in_use_ = false;
  }
  MarksForThisCall(const MarksForThisCall&) = delete;
  MarksForThisCall& operator=(const MarksForThisCall&) = delete;

  Marks& get() { return *marks_; }

 private:
  static thread_local Marks thread_marks_;
  static thread_local bool in_use_;
  bool owner_;
  Marks own_;
  Marks* marks_;
};

thread_local Marks MarksForThisCall::thread_marks_;
thread_local bool MarksForThisCall::in_use_ = false;

// Sets `rejected` to the bucket positions whose required regex does not match,
// and adds to `known` the `matches` operator of each position whose regex did
// match and need not run again.
void ApplyPrefilters(const Bucket& bucket, const Event::Rep& event, std::vector<char>* rejected,
                     KnownMatches* known) {
  // Every position of a prefilter group starts rejected, copied whole, and
  // the matches are readmitted: with 1,000 keyword rules a store per rule took
  // a fifth of the time, more or less as the heap's layout made the stores
  // wait for the loads of the positions (addresses equal in their low 12 bits).
  rejected->assign(bucket.prefiltered.begin(), bucket.prefiltered.end());
  char* const flags = rejected->data();  // a char store could alias the vector
  thread_local std::vector<int> matched;
  for (const RegexPrefilter& pf : bucket.prefilters) {
    Resolved r;
    std::string_view text;
    bool found = ResolvePath(pf.path, event, &r);  // else the rules fail on their own
    if (found) {
      if (r.is_fact) {
        found = r.fact->kind == FactValue::Kind::kString;
        if (found) text = r.fact->string;
      } else {
        found = !r.element.get_string().get(text);  // arrays and numbers: the ordinary path
      }
    }
    matched.clear();
    if (found && !(pf.keywords && pf.keywords->Match(text, &matched))) {
      RE2::Set::ErrorInfo info;
      found = pf.set != nullptr &&
              (pf.set->Match(re2::StringPiece(text.data(), text.size()), &matched, &info) ||
               info.kind == RE2::Set::kNoError);
    }
    if (!found) {
      // Not a string, or a text that neither the keyword set nor the RE2 set
      // answered (a set may be absent, or fail: out of DFA memory): these
      // rules are evaluated in full.
      for (int pos : pf.rule_of_pattern) flags[pos] = 0;
      continue;
    }
    for (int i : matched) {
      const int pos = pf.rule_of_pattern[i];
      flags[pos] = 0;
      // With named groups the regex runs again, for its captures.
      if (!pf.op_of_pattern[i]->named_groups) known->Add(pos, pf.op_of_pattern[i]);
    }
  }
}

// Each thread keeps the `fired` vector of the last Evaluation it destroyed,
// with its elements: their vectors and strings still hold their buffers, and
// the thread's next evaluation renders over them (the old contents are never
// read). Results that held much text are freed rather than kept.
constexpr size_t kMaxKeptFiredRules = 64;
constexpr size_t kMaxKeptFiredBytes = 16 * 1024;

// Set when the thread's spare is destroyed at thread exit: an Evaluation
// destroyed after that (by another thread_local's destructor) frees its results.
thread_local bool spare_fired_destroyed = false;

struct SpareFired {
  std::vector<FiredRule> fired;
  ~SpareFired() { spare_fired_destroyed = true; }
};

SpareFired& ThreadSpareFired() {
  thread_local SpareFired spare;
  return spare;
}

std::vector<FiredRule> TakeSpareFired() {
  if (spare_fired_destroyed) return {};
  return std::move(ThreadSpareFired().fired);
}

// The bytes of text that keeping `fired` would keep; SIZE_MAX when it is too
// large, or holds what is rebuilt anyway: parameters other than strings, a
// redacted copy.
size_t KeptBytes(const std::vector<FiredRule>& fired) {
  if (fired.size() > kMaxKeptFiredRules) return SIZE_MAX;
  size_t bytes = 0;
  for (const FiredRule& rule : fired) {
    bytes += rule.throttle_key.capacity();
    for (const auto& [name, text] : rule.captures) bytes += name.capacity() + text.capacity();
    for (const FiredAction& action : rule.actions) {
      bytes += action.error.capacity();
      if (action.has_redacted_copy()) return SIZE_MAX;
      if (!action.params.is_object()) continue;
      for (const auto& [name, value] : action.params.as_object()) {
        if (!value.is_string()) return SIZE_MAX;
        bytes += name.capacity() + value.as_string().capacity();
      }
    }
  }
  return bytes;
}

// Offers a destroyed Evaluation's results to the thread's next evaluation.
void RecycleFired(std::vector<FiredRule>* fired) {
  if (spare_fired_destroyed) return;
  SpareFired& spare = ThreadSpareFired();
  if (spare.fired.capacity() == 0 && KeptBytes(*fired) <= kMaxKeptFiredBytes) {
    spare.fired = std::move(*fired);
  }
}

Value RenderTree(const ParamTree& t, const TemplateContext& context, bool redact) {
  switch (t.kind) {
    case ParamTree::Kind::kTemplate:
      if (redact && t.secret) return Value(kRedacted);
      return Value(t.tpl->Render(context));
    case ParamTree::Kind::kObject: {
      Value out{Value::Object()};
      out.as_object().reserve(t.members.size());
      for (const auto& [name, child] : t.members) out.Set(name, RenderTree(child, context, redact));
      return out;
    }
    case ParamTree::Kind::kArray: {
      Value::Array out;
      out.reserve(t.items.size());
      for (const ParamTree& child : t.items) out.push_back(RenderTree(child, context, redact));
      return Value(std::move(out));
    }
    case ParamTree::Kind::kScalar:
      if (redact && t.secret) return Value(kRedacted);
      return t.scalar;
  }
  return Value();
}

// The value of every env.* variable `t` reads.
void AppendEnvValues(const Template& t, std::vector<std::string>* out) {
  for (const Template::Reference& ref : t.references()) {
    if (ref.root != "env" || ref.rest.empty()) continue;
    if (const char* value = std::getenv(ref.rest.c_str())) out->push_back(value);
  }
}

// The secrets that rendering `t` into `rendered` used: the rendered text of
// each secret parameter and the value of each env.* variable it reads (a check
// may quote a part of a parameter).
void CollectSecrets(const ParamTree& t, const Value& rendered, std::vector<std::string>* out) {
  if (!t.has_secret) return;
  switch (t.kind) {
    case ParamTree::Kind::kTemplate:
      if (rendered.is_string()) out->push_back(rendered.as_string());
      AppendEnvValues(*t.tpl, out);
      return;
    case ParamTree::Kind::kObject:
      for (const auto& [name, child] : t.members) {
        if (const Value* v = rendered.Find(name)) CollectSecrets(child, *v, out);
      }
      return;
    case ParamTree::Kind::kArray:
      if (!rendered.is_array()) return;
      for (size_t i = 0; i < t.items.size() && i < rendered.as_array().size(); ++i) {
        CollectSecrets(t.items[i], rendered.as_array()[i], out);
      }
      return;
    case ParamTree::Kind::kScalar:
      out->push_back(rendered.ToText());
      return;
  }
}

// Replaces every occurrence of each of `secrets` in *text with "[redacted]",
// the longest first (one secret may contain another). A text shorter than
// kMinSecretBytes is replaced only where the message quotes it whole ('abc',
// as the checks quote a rejected value): anywhere, it would mangle the
// message ("E.164").
void Scrub(std::vector<std::string> secrets, std::string* text) {
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  const std::string redacted = kRedacted;
  auto replace_all = [&](const std::string& what, const std::string& with) {
    for (size_t at = text->find(what); at != std::string::npos;
         at = text->find(what, at + with.size())) {
      text->replace(at, what.size(), with);
    }
  };
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    if (secret.size() >= kMinSecretBytes) {
      replace_all(secret, redacted);
    } else {
      replace_all("'" + secret + "'", "'" + redacted + "'");
    }
  }
}

// Sets t.has_secret on every node: whether RenderTree(t, ..., true) differs from
// RenderTree(t, ..., false).
bool MarkSecrets(ParamTree* t) {
  bool any = t->secret &&
             (t->kind == ParamTree::Kind::kTemplate || t->kind == ParamTree::Kind::kScalar);
  for (auto& member : t->members) any = MarkSecrets(&member.second) || any;
  for (ParamTree& item : t->items) any = MarkSecrets(&item) || any;
  t->has_secret = any;
  return any;
}

void BindTreeVars(ParamTree* t, const Value& vars) {
  if (t->tpl) t->tpl->BindVars(vars);
  for (auto& member : t->members) BindTreeVars(&member.second, vars);
  for (ParamTree& item : t->items) BindTreeVars(&item, vars);
}

bool UsesNow(const Template& t) {
  return std::any_of(t.references().begin(), t.references().end(),
                     [](const Template::Reference& r) { return std::string_view(r.root) == "now"; });
}

bool TreeUsesNow(const ParamTree& t) {
  switch (t.kind) {
    case ParamTree::Kind::kTemplate: return UsesNow(*t.tpl);
    case ParamTree::Kind::kObject:
      return std::any_of(t.members.begin(), t.members.end(),
                         [](const auto& m) { return TreeUsesNow(m.second); });
    case ParamTree::Kind::kArray:
      return std::any_of(t.items.begin(), t.items.end(), TreeUsesNow);
    case ParamTree::Kind::kScalar: return false;
  }
  return false;
}

bool RuleUsesNow(const CompiledRule& rule) {
  if (rule.throttle_key && UsesNow(*rule.throttle_key)) return true;
  for (const CompiledAction& action : rule.actions) {
    for (const auto& param : action.params) {
      if (TreeUsesNow(param.second)) return true;
    }
  }
  return false;
}

// The element at `index` of *v, appended when v is that short. Results are
// built over the ones of an earlier evaluation (see SpareFired): an element
// that is already there is overwritten, keeping the capacity of its strings.
template <typename T>
T& SlotAt(std::vector<T>* v, size_t index) {
  return index < v->size() ? (*v)[index] : v->emplace_back();
}

// Erase what an earlier evaluation left in *v beyond `size`, and make room for
// `size` elements. Both usually have nothing to do, which vector's erase() and
// reserve() find out only after an out-of-line call (20-30 instructions).
template <typename T>
void TruncateTo(std::vector<T>* v, size_t size) {
  if (v->size() > size) v->erase(v->begin() + static_cast<std::ptrdiff_t>(size), v->end());
}
template <typename T>
void ReserveFor(std::vector<T>* v, size_t size) {
  if (v->capacity() < size) v->reserve(size);
}

// Renders one action of a rule that fires into *a, which may hold an earlier
// evaluation's action. Parameter names are unique, so the object is built by
// position rather than by Value::Set. The redacted copy exists only for actions
// with a secret parameter; the others' redacted parameters are the parameters
// themselves.
void RenderAction(const CompiledAction& action, const TemplateContext& context, FiredAction* a) {
  if (a->has_redacted_copy()) *a = FiredAction();  // rare: start afresh
  a->type = action.type;
  a->impl = action.impl.get();
  a->error.clear();
  if (!a->params.is_object()) a->params = Value(Value::Object());
  Value::Object& params = a->params.as_object();
  const size_t count = action.params.size();
  ReserveFor(&params, count);
  for (size_t i = 0; i < count; ++i) {
    const auto& [name, tree] = action.params[i];
    const bool is_template = tree.kind == ParamTree::Kind::kTemplate;
    if (i == params.size()) {  // nothing to reuse: built in place
      if (is_template) {
        params.emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                            std::forward_as_tuple(tree.tpl->Render(context)));
      } else {
        params.emplace_back(name, RenderTree(tree, context, false));
      }
      continue;
    }
    auto& [slot_name, slot] = params[i];
    if (!SameText(slot_name, name)) slot_name.assign(name);
    if (!is_template) {
      slot = RenderTree(tree, context, false);
      continue;
    }
    // Most parameters are one template, rendered into the string in place,
    // which keeps the buffer it grew to in the evaluation this one is built
    // over. A short text (a phone number, an id) stays in the string's inline
    // buffer with no allocation: rendering those into a new string and moving
    // that in cost about 90 instructions more each.
    if (!slot.is_string()) slot = Value(std::string());
    tree.tpl->RenderTo(context, &slot.as_string());
  }
  TruncateTo(&params, count);
  if (action.has_secret) {
    // Only the secret-bearing parameters are rendered again, redacted.
    const Value::Object& rendered = a->params.as_object();
    Value::Object redacted;
    redacted.reserve(action.params.size());
    for (size_t i = 0; i < action.params.size(); ++i) {
      const auto& [name, tree] = action.params[i];
      redacted.emplace_back(name, tree.has_secret ? RenderTree(tree, context, true)
                                                  : rendered[i].second);
    }
    a->set_redacted_params(Value(std::move(redacted)));
  }
  Status s = CallUserCode</*kRethrowBadAlloc=*/true>(
      [&] { return action.impl->CheckRendered(a->params); });
  if (!s.ok()) {
    a->error = s.message();
    // The check may quote what it rejected: no secret may reach the error,
    // which traces, logs and the admin API show.
    if (action.has_secret) {
      std::vector<std::string> secrets;
      const Value::Object& rendered = a->params.as_object();
      for (size_t i = 0; i < action.params.size() && i < rendered.size(); ++i) {
        CollectSecrets(action.params[i].second, rendered[i].second, &secrets);
      }
      Scrub(std::move(secrets), &a->error);
    }
  }
}

bool SetPathInValue(Value* root, const Path& path, Value value, std::string* error) {
  Value* at = root;
  for (size_t i = 0; i < path.segments.size(); ++i) {
    const PathSegment& s = path.segments[i];
    if (s.index >= 0) {
      if (at->is_null()) *at = Value(Value::Array());  // a missing array is created too
      if (!at->is_array() || static_cast<size_t>(s.index) > at->as_array().size()) {
        *error = "cannot set '" + path.text + "': no array element " + std::to_string(s.index);
        return false;
      }
      if (static_cast<size_t>(s.index) == at->as_array().size()) at->as_array().emplace_back();
      at = &at->as_array()[s.index];
    } else {
      if (!at->is_object() && !at->is_null()) {
        *error = "cannot set '" + path.text + "': '" + s.key + "' is inside a non-object";
        return false;
      }
      const Value* existing = at->Find(s.key);
      at = existing ? const_cast<Value*>(existing) : &at->Set(s.key, Value());
    }
  }
  *at = std::move(value);
  return true;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + ids[i];
  return out + "]";
}

}  // namespace

const Bucket& RuleSet::Rep::BucketFor(std::string_view type) const {
  thread_local std::string key;  // no allocation per event for long type names
  key.assign(type.data(), type.size());
  auto it = by_type.find(key);
  return it == by_type.end() ? globs : it->second;
}

void BuildIndex(RuleSet::Rep* rep) {
  std::set<std::string> exact;
  for (size_t i = 0; i < rep->rules.size(); ++i) {
    CompiledRule& rule = rep->rules[i];
    rule.uses_now = RuleUsesNow(rule);
    if (rule.throttle_key) rule.throttle_key->BindVars(rep->vars);
    for (CompiledAction& action : rule.actions) {
      for (auto& param : action.params) BindTreeVars(&param.second, rep->vars);
      action.has_secret = false;
      for (auto& param : action.params) {
        action.has_secret = MarkSecrets(&param.second) || action.has_secret;
      }
    }
    rep->index_by_id[std::string_view(rule.id)] = static_cast<int>(i);
    bool has_glob = false;
    for (const std::string& e : rule.events) {
      if (IsGlob(e)) has_glob = true;
      else exact.insert(e);
    }
    if (has_glob) rep->globs.rules.push_back(static_cast<int>(i));
  }
  for (const std::string& type : exact) {
    Bucket& bucket = rep->by_type[type];
    for (size_t i = 0; i < rep->rules.size(); ++i) {
      if (RuleMatchesType(rep->rules[i], type)) bucket.rules.push_back(static_cast<int>(i));
    }
    BuildPrefilters(*rep, &bucket);
    bucket.prefiltered.assign(bucket.rules.size(), 0);
    for (const RegexPrefilter& pf : bucket.prefilters) {
      for (int pos : pf.rule_of_pattern) bucket.prefiltered[pos] = 1;
    }
  }
}

RuleSet::RuleSet(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
RuleSet::~RuleSet() = default;

namespace {

Evaluation EvaluateUnguarded(const RuleSet::Rep& rep, const Event& event,
                             const EvalOptions& options) {
  const Event::Rep& ev = event.rep();
  TimeStamp now = options.now ? *options.now : std::chrono::system_clock::now();
  TimePoint now_ms = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  Evaluation out;

  const std::string_view type = event.type();
  const Bucket& bucket = rep.BucketFor(type);
  const bool glob_bucket = &bucket == &rep.globs;

  MarksForThisCall marks;
  std::vector<char>& rejected = marks.get().rejected;
  KnownMatches& known = marks.get().known;
  // With explain, every rule is evaluated in full so that each gets its reason.
  const bool prefiltered = !options.explain && !bucket.prefilters.empty();
  if (prefiltered) {
    known.Reset(bucket.rules.size());
    ApplyPrefilters(bucket, ev, &rejected, &known);
  } else {
    rejected.assign(bucket.rules.size(), 0);
  }

  size_t fired_count = 0;  // out.fired beyond it: an earlier evaluation's, to reuse
  Captures captures;
  ConditionContext context;
  context.event = &ev;
  context.schedules = &rep.schedules;
  context.now = now_ms;
  context.captures = &captures;
  std::string now_text;
  const CompiledRule* stopped_by = nullptr;

  const size_t count = bucket.rules.size();
  for (size_t pos = 0; pos < count; ++pos) {
    // Rules are only rejected without explain, when a rejected rule has nothing
    // to report: skip the run of them without touching the rules.
    if (rejected[pos]) {
      const void* next = std::memchr(rejected.data() + pos, 0, count - pos);
      if (next == nullptr) break;
      pos = static_cast<size_t>(static_cast<const char*>(next) - rejected.data());
    }
    const CompiledRule& rule = rep.rules[bucket.rules[pos]];
    if (!rule.enabled) continue;
    if (glob_bucket && !RuleMatchesType(rule, type)) continue;
    // SPEC: after a `stop` rule fires, the lower-priority rules skip the event;
    // rules of its own priority (later in load order) still run.
    if (stopped_by != nullptr && rule.priority < stopped_by->priority) {
      if (options.explain) {
        out.not_fired.push_back({rule.id, "stopped by rule '" + stopped_by->id + "'", "", {}});
      }
      continue;
    }
    captures.clear();
    context.known_match = prefiltered ? known.op[pos] : nullptr;
    if (rule.has_when) {
      if (options.explain) {
        Failure failure;
        if (!EvalCondition(rule.when, &context, &failure)) {
          out.not_fired.push_back({rule.id, failure.Reason(), failure.condition, failure.actual});
          continue;
        }
      } else if (!EvalCondition(rule.when, &context, nullptr)) {
        continue;
      }
    }
    if (now_text.empty() && rule.uses_now) now_text = FormatIsoTime(now_ms);
    TemplateContext tc;
    tc.event = &event;
    tc.vars = &rep.vars;
    tc.captures = &captures;
    tc.rule_id = rule.id;
    tc.rule_description = rule.description;
    tc.now = now_text;

    std::string throttle_key;
    if (rule.throttle_key) {
      rule.throttle_key->RenderTo(tc, &throttle_key);
      if (options.throttle != nullptr) {
        const std::chrono::milliseconds per(rule.throttle_per_ms);
        const TimeStamp since = now >= TimeStamp::min() + per ? now - per : TimeStamp::min();
        // A store that throws suppresses the rule: no exception crosses the
        // API, and a reply that may already have gone out is not sent again.
        std::string store_error;
        int count = 0;
        try {
          count = options.throttle->CountSince(rule.id, throttle_key, since);
        } catch (const std::bad_alloc&) {
          throw;  // the evaluation fails as a whole (RuleSet::Evaluate)
        } catch (const std::exception& e) {
          store_error = e.what();
        } catch (...) {
          store_error = "an exception";
        }
        if (!store_error.empty() || count >= rule.throttle_limit) {
          if (options.explain) {
            // A key read from env.* is a secret.
            std::vector<std::string> secrets;
            AppendEnvValues(*rule.throttle_key, &secrets);
            std::string key = throttle_key;
            Scrub(std::move(secrets), &key);
            out.not_fired.push_back(
                {rule.id,
                 store_error.empty() ? "throttled (key '" + key + "')"
                                     : "throttle store failed (key '" + key + "'): " + store_error,
                 "throttle",
                 {}});
          }
          continue;
        }
      }
    }
    // Once a rule fires: the spare results of the thread, or else one small
    // allocation, which usually holds all that fire (events fire few rules).
    if (out.fired.capacity() == 0) {
      out.fired = TakeSpareFired();
      if (out.fired.capacity() == 0) out.fired.reserve(std::min<size_t>(count - pos, 4));
    }
    FiredRule& fired = SlotAt(&out.fired, fired_count++);
    fired.rule_id = rule.id;
    if (rule.throttle_key) {
      fired.throttle_key.swap(throttle_key);
    } else {
      fired.throttle_key.clear();
    }
    const size_t action_count = rule.actions.size();
    ReserveFor(&fired.actions, action_count);
    for (size_t i = 0; i < action_count; ++i) {
      RenderAction(rule.actions[i], tc, &SlotAt(&fired.actions, i));
    }
    TruncateTo(&fired.actions, action_count);
    // Last: the actions above were rendered with these captures. The swap
    // leaves `captures` the old buffer, which the next rule clears.
    fired.captures.swap(captures);
    if (rule.stop) stopped_by = &rule;
  }
  TruncateTo(&out.fired, fired_count);
  return out;
}

}  // namespace

Evaluation RuleSet::Evaluate(const Event& event, const EvalOptions& options) const {
  try {
    Evaluation out = EvaluateUnguarded(*rep_, event, options);
    // The ids and type names of the result point into this rule set. The
    // loader makes every RuleSet owned by a shared_ptr; weak_from_this (unlike
    // shared_from_this) could not throw even if one were not. An empty result
    // takes no reference.
    if (!out.fired.empty() || !out.not_fired.empty()) out.rules = weak_from_this().lock();
    return out;
  } catch (const std::bad_alloc&) {
    // SPEC 6: no exception crosses the API (user code's are caught where it runs).
    Evaluation failed;
    failed.error = Status::Unavailable("out of memory while evaluating the event");
    return failed;
  }
}

Evaluation::~Evaluation() {
  if (fired.capacity() != 0) RecycleFired(&fired);
}

Status RuleSet::RecordFirings(const Evaluation& evaluation, TimeStamp at,
                              ThrottleStore* store) const {
  if (store == nullptr) return Status::OK();
  Status first;
  for (const FiredRule& fired : evaluation.fired) {
    auto it = rep_->index_by_id.find(fired.rule_id);
    if (it == rep_->index_by_id.end() || !rep_->rules[it->second].throttle_key) continue;
    try {
      store->Record(fired.rule_id, fired.throttle_key, at);
    } catch (const std::bad_alloc&) {
      if (first.ok()) first = Status::Unavailable("out of memory while recording a firing");
    } catch (const std::exception& e) {
      if (first.ok()) first = Status::Internal(std::string("the throttle store threw: ") + e.what());
    } catch (...) {
      if (first.ok()) first = Status::Internal("the throttle store threw an exception");
    }
  }
  return first;
}

std::vector<RuleInfo> RuleSet::rules() const {
  std::vector<RuleInfo> out;
  for (const CompiledRule& r : rep_->rules) {
    out.push_back({r.id, r.description, r.file, r.line, r.events, r.priority, r.enabled, r.stop,
                   std::chrono::milliseconds(r.throttle_key ? r.throttle_per_ms : 0)});
  }
  return out;
}

std::vector<std::string> RuleSet::env_names() const {
  return {rep_->env_names.begin(), rep_->env_names.end()};
}

const std::vector<InlineTest>& RuleSet::tests() const { return rep_->tests; }

TestOutcome RuleSet::RunTest(const InlineTest& test) const {
  TestOutcome outcome;
  auto doc = Value::FromJson(test.event_json);
  if (!doc.ok()) {
    outcome.message = "event: " + doc.status().message();
    return outcome;
  }
  for (const auto& [path_text, value] : test.set) {
    auto path = ParsePath(path_text);
    std::string error;
    if (!path.ok() || !SetPathInValue(&doc.value(), *path, value, &error)) {
      outcome.message = path.ok() ? error : path.status().message();
      return outcome;
    }
  }
  auto event = Event::Parse(doc->ToJson());
  if (!event.ok()) {
    outcome.message = event.status().message();
    return outcome;
  }
  InMemoryThrottleStore throttle;
  EvalOptions options;
  options.throttle = &throttle;
  // The fired list comes from the production path (with the regex prefilter);
  // the explained run only supplies reasons for a failure message.
  Evaluation evaluation = Evaluate(*event, options);
  if (!evaluation.error.ok()) {
    outcome.message = evaluation.error.message();
    return outcome;
  }
  auto counts = [&](std::string_view id) {
    auto it = rep_->index_by_id.find(id);
    return (it != rep_->index_by_id.end() && rep_->rules[it->second].file == test.file) ||
           std::find(test.expect_fired.begin(), test.expect_fired.end(), id) !=
               test.expect_fired.end();
  };
  for (const FiredRule& f : evaluation.fired) {
    if (counts(f.rule_id)) outcome.fired.emplace_back(f.rule_id);
  }
  outcome.passed = outcome.fired == test.expect_fired;
  if (!outcome.passed) {
    options.explain = true;
    evaluation = Evaluate(*event, options);
    outcome.message = "expected " + JoinIds(test.expect_fired) + " to fire, got " +
                      JoinIds(outcome.fired);
    for (const std::string& id : test.expect_fired) {
      if (std::find(outcome.fired.begin(), outcome.fired.end(), id) != outcome.fired.end()) {
        continue;
      }
      bool explained = false;
      for (const NotFiredRule& nf : evaluation.not_fired) {
        if (nf.rule_id != id) continue;
        outcome.message += "; " + id + ": " + nf.reason;
        explained = true;
      }
      // Rules that an evaluation does not look at give no reason of their own.
      auto it = rep_->index_by_id.find(id);
      if (explained || it == rep_->index_by_id.end()) continue;
      const CompiledRule& rule = rep_->rules[it->second];
      if (!rule.enabled) {
        outcome.message += "; " + id + ": disabled (enabled: false)";
      } else if (!RuleMatchesType(rule, event->type())) {
        outcome.message += "; " + id + ": not for event type '" + std::string(event->type()) + "'";
      }
    }
  }
  return outcome;
}

}  // namespace switchboard
