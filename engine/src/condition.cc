#include "condition.h"

#include <cstdlib>
#include <string>

#include "number.h"
#include "same_text.h"
#include "unicode_case.h"

namespace switchboard {

namespace {

// A scalar view of a JSON value or fact, without copying strings.
struct Scalar {
  enum class Type { kNull, kBool, kNumber, kString, kOther };
  Type type = Type::kNull;
  std::string_view string;
  Number number;
  bool boolean = false;
};

Scalar FromElement(simdjson::dom::element e) {
  Scalar s;
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::STRING:
      s.type = Scalar::Type::kString;
      s.string = e.get_string().value_unsafe();
      break;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      s.type = Scalar::Type::kNumber;
      ElementNumber(e, &s.number);
      break;
    case element_type::BOOL:
      s.type = Scalar::Type::kBool;
      s.boolean = e.get_bool().value_unsafe();
      break;
    case element_type::NULL_VALUE: s.type = Scalar::Type::kNull; break;
    default: s.type = Scalar::Type::kOther; break;
  }
  return s;
}

Scalar FromFact(const FactValue& f) {
  Scalar s;
  if (f.kind == FactValue::Kind::kString) {
    s.type = Scalar::Type::kString;
    s.string = f.string;
  } else {
    s.type = Scalar::Type::kBool;
    s.boolean = f.boolean;
  }
  return s;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// With ignore_case, ASCII text compares byte by byte; other text compares in
// its folded form (unicode_case.h), whose length may differ from the original.
bool EqualAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool EqualIgnoringCase(std::string_view a, std::string_view b) {
  if (IsAscii(a) && IsAscii(b)) return EqualAscii(a, b);
  return FoldCaseUtf8(a) == FoldCaseUtf8(b);
}

// Case-sensitive, the usual comparison (equals, in), is SameText inline: in one
// function with the folding path it paid for that path's stack frame and
// temporary strings on every call.
inline bool EqualStrings(std::string_view a, std::string_view b, bool icase) {
  return icase ? EqualIgnoringCase(a, b) : SameText(a, b);
}

bool FindString(std::string_view hay, std::string_view needle, bool icase) {
  if (!icase) return hay.find(needle) != std::string_view::npos;
  if (!IsAscii(hay) || !IsAscii(needle)) {
    return FoldCaseUtf8(hay).find(FoldCaseUtf8(needle)) != std::string::npos;
  }
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (EqualAscii(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool HasPrefix(std::string_view text, std::string_view prefix, bool icase) {
  if (icase && (!IsAscii(text) || !IsAscii(prefix))) {
    const std::string folded = FoldCaseUtf8(text);
    const std::string folded_prefix = FoldCaseUtf8(prefix);
    return folded.compare(0, folded_prefix.size(), folded_prefix) == 0;
  }
  return text.size() >= prefix.size() && EqualStrings(text.substr(0, prefix.size()), prefix, icase);
}

bool HasSuffix(std::string_view text, std::string_view suffix, bool icase) {
  if (icase && (!IsAscii(text) || !IsAscii(suffix))) {
    const std::string folded = FoldCaseUtf8(text);
    const std::string folded_suffix = FoldCaseUtf8(suffix);
    return folded.size() >= folded_suffix.size() &&
           folded.compare(folded.size() - folded_suffix.size(), std::string::npos,
                          folded_suffix) == 0;
  }
  return text.size() >= suffix.size() &&
         EqualStrings(text.substr(text.size() - suffix.size()), suffix, icase);
}

bool ScalarEquals(const Scalar& v, const Value& arg, bool icase) {
  switch (arg.type()) {
    case Value::Type::kString:
      return v.type == Scalar::Type::kString && EqualStrings(v.string, arg.as_string(), icase);
    case Value::Type::kNumber:
      return v.type == Scalar::Type::kNumber && CompareNumbers(v.number, arg) == 0;
    case Value::Type::kBool:
      return v.type == Scalar::Type::kBool && v.boolean == arg.as_bool();
    case Value::Type::kNull: return v.type == Scalar::Type::kNull;
    default: return false;
  }
}

// The text a string operator sees: strings, and numbers as written in JSON.
bool ScalarText(const Scalar& v, std::string* storage, std::string_view* out) {
  if (v.type == Scalar::Type::kString) {
    *out = v.string;
    return true;
  }
  if (v.type == Scalar::Type::kNumber) {
    storage->clear();
    AppendNumber(v.number, storage);
    *out = *storage;
    return true;
  }
  return false;
}

// Whether `re` matches somewhere in `text`; when it does, its named groups are
// stored in *captures (replacing those of the same name). One search finds the
// match and its groups.
bool MatchAndCapture(const RE2& re, std::string_view text, Captures* captures) {
  int n = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(n);
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                groups.data(), n)) {
    return false;
  }
  for (const auto& [index, name] : re.CapturingGroupNames()) {
    const re2::StringPiece& g = groups[index];
    std::string value = g.data() == nullptr ? "" : std::string(g.data(), g.size());
    bool replaced = false;
    for (auto& [k, v] : *captures) {
      if (k == name) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) captures->emplace_back(name, std::move(value));
  }
  return true;
}

// The positive form of an operator on one scalar.
// The operators other than equals and in (see PositiveHolds).
bool PositiveHoldsOther(const Operator& op, const Scalar& v, bool icase, Captures* captures) {
  std::string storage;
  std::string_view text;
  switch (op.kind) {
    case OpKind::kEquals:
    case OpKind::kNotEquals:
    case OpKind::kContains:
    case OpKind::kNotContains:
    case OpKind::kIn:
    case OpKind::kNotIn:
      break;  // PositiveHolds
    case OpKind::kMatches:
    case OpKind::kNotMatches: {
      if (!ScalarText(v, &storage, &text)) return false;
      if (op.kind == OpKind::kMatches && op.named_groups && captures != nullptr) {
        return MatchAndCapture(*op.regex, text, captures);
      }
      // RE2::PartialMatch without its argument handling.
      return op.regex->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(),
                             RE2::UNANCHORED, nullptr, 0);
    }
    case OpKind::kStartsWith:
      return ScalarText(v, &storage, &text) && HasPrefix(text, op.arg.as_string(), icase);
    case OpKind::kEndsWith:
      return ScalarText(v, &storage, &text) && HasSuffix(text, op.arg.as_string(), icase);
    case OpKind::kGt:
    case OpKind::kGte:
    case OpKind::kLt:
    case OpKind::kLte: {
      int order;  // the value against the argument
      if (op.is_time) {
        if (v.type != Scalar::Type::kString) return false;
        auto t = ParseIsoTime(v.string);
        if (!t.ok()) return false;
        const int64_t ms = t->time_since_epoch().count();
        order = ms < op.time_ms ? -1 : ms > op.time_ms ? 1 : 0;
      } else {
        if (v.type != Scalar::Type::kNumber) return false;
        std::optional<int> compared = CompareNumbers(v.number, op.number);
        if (!compared) return false;  // NaN
        order = *compared;
      }
      switch (op.kind) {
        case OpKind::kGt: return order > 0;
        case OpKind::kGte: return order >= 0;
        case OpKind::kLt: return order < 0;
        default: return order <= 0;
      }
    }
    case OpKind::kExists: return true;
  }
  return false;
}

// Equals and in, the most common operators, are decided here; the others, with
// the temporaries that some of them need, in PositiveHoldsOther.
bool PositiveHolds(const Operator& op, const Scalar& v, bool icase, Captures* captures) {
  switch (op.kind) {
    case OpKind::kEquals:
    case OpKind::kNotEquals:
    case OpKind::kContains:  // on an array element: the element equals the argument
    case OpKind::kNotContains:
      return ScalarEquals(v, op.arg, icase);
    case OpKind::kIn:
    case OpKind::kNotIn:
      for (const Value& item : op.list) {
        if (ScalarEquals(v, item, icase)) return true;
      }
      return false;
    default:
      return PositiveHoldsOther(op, v, icase, captures);
  }
}

bool IsNegated(OpKind kind) {
  return kind == OpKind::kNotEquals || kind == OpKind::kNotIn || kind == OpKind::kNotMatches ||
         kind == OpKind::kNotContains;
}

// Whether the operator's positive form holds for the resolved value: for an
// array, whether it holds for any element.
bool PositiveHoldsResolved(const Operator& op, const Resolved& r, bool icase,
                           Captures* captures) {
  if (op.kind == OpKind::kContains || op.kind == OpKind::kNotContains) {
    // contains: substring of a string, element of an array.
    simdjson::dom::array array;
    if (!r.is_fact && !r.element.get_array().get(array)) {
      for (simdjson::dom::element e : array) {
        if (ScalarEquals(FromElement(e), op.arg, icase)) return true;
      }
      return false;
    }
    // A string value, or a number as written (like starts_with and the other
    // string operators); `contains: 555` looks for the text "555".
    Scalar v = r.is_fact ? FromFact(*r.fact) : FromElement(r.element);
    std::string storage;
    std::string_view text;
    if (op.arg.is_null() || !ScalarText(v, &storage, &text)) return false;
    return FindString(text, op.arg.is_string() ? op.arg.as_string() : op.arg.ToText(), icase);
  }
  if (r.is_fact) return PositiveHolds(op, FromFact(*r.fact), icase, captures);
  simdjson::dom::array array;
  if (!r.element.get_array().get(array)) {
    for (simdjson::dom::element e : array) {
      if (PositiveHolds(op, FromElement(e), icase, captures)) return true;
    }
    return false;
  }
  return PositiveHolds(op, FromElement(r.element), icase, captures);
}

bool OperatorHolds(const Operator& op, bool present, const Resolved& r, bool icase,
                   Captures* captures) {
  if (op.kind == OpKind::kExists) {
    bool exists = present && (r.is_fact || !r.element.is_null());
    return exists == op.exists;
  }
  if (!present) return IsNegated(op.kind);
  bool positive = PositiveHoldsResolved(op, r, icase, captures);
  return IsNegated(op.kind) ? !positive : positive;
}

TimePoint EventTime(ConditionContext* context) {
  const std::optional<TimePoint>& created = context->event->created_at_time;
  return created ? *created : context->now;
}

std::string JoinTypes(const std::vector<std::string>& types) {
  std::string out;
  for (const auto& t : types) {
    if (!out.empty()) out += ", ";
    out += t;
  }
  return out;
}

}  // namespace

bool ResolvePath(const PathRef& path, const Event::Rep& event, Resolved* out) {
  if (path.fact >= 0) {
    out->is_fact = true;
    out->fact = &event.facts[path.fact];
    return out->fact->present();
  }
  out->is_fact = false;
  return WalkEventPath(event, path.path, &out->element);
}

Value ResolvedToValue(const Resolved& r) {
  if (r.is_fact) {
    if (r.fact->kind == FactValue::Kind::kString) return Value(r.fact->string);
    if (r.fact->kind == FactValue::Kind::kBool) return Value(r.fact->boolean);
    return Value();
  }
  return ElementToValue(r.element);
}

namespace {

// The actual value a failure reports: a long string is cut (at a character
// boundary, marked with "..."), so that explaining many rules against a large
// event does not copy the event's text once per rule.
Value ActualValue(const Resolved& r) {
  constexpr size_t kMaxActualBytes = 1024;
  Value v = ResolvedToValue(r);
  if (v.is_string() && v.as_string().size() > kMaxActualBytes) {
    std::string& text = v.as_string();
    text.resize(Utf8PrefixLength(text, kMaxActualBytes));
    text += "...";
  }
  return v;
}

}  // namespace

std::string Failure::Reason() const {
  std::string out = condition;
  out += ": ";
  if (!detail.empty()) {
    out += detail;
  } else if (actual) {
    // One line of a report: the value's JSON is cut shorter than `actual`, and
    // between characters (a trace that is not UTF-8 cannot be stored as JSON).
    constexpr size_t kMaxReasonValueBytes = 200;
    const std::string json = actual->ToJson();
    const size_t keep = Utf8PrefixLength(json, kMaxReasonValueBytes);
    out.append(json, 0, keep);
    if (keep < json.size()) out += "...";
  } else {
    out += "(missing)";
  }
  return out;
}

bool EvalCondition(const Condition& c, ConditionContext* context, Failure* failure) {
  switch (c.kind) {
    case Condition::Kind::kAll:
      for (const Condition& child : c.children) {
        if (!EvalCondition(child, context, failure)) return false;
      }
      return true;
    case Condition::Kind::kAny: {
      Failure first;
      // A branch that fails keeps none of its captures.
      size_t kept = context->captures ? context->captures->size() : 0;
      for (size_t i = 0; i < c.children.size(); ++i) {
        if (EvalCondition(c.children[i], context, failure && i == 0 ? &first : nullptr)) {
          return true;
        }
        if (context->captures) context->captures->resize(kept);
      }
      if (failure) {
        *failure = first;
        if (c.children.size() > 1) {
          failure->condition = "any (none held; first) " + failure->condition;
        }
      }
      return false;
    }
    case Condition::Kind::kNot: {
      // Captures of a negated condition are not kept.
      Captures ignored;
      Captures* saved = context->captures;
      context->captures = &ignored;
      bool held = EvalCondition(c.children[0], context, nullptr);
      context->captures = saved;
      if (!held) return true;
      if (failure) {
        // Describe what held: re-run the inner condition to name it.
        const Condition& child = c.children[0];
        if (child.kind == Condition::Kind::kSchedule) {
          failure->condition = "schedule " + child.schedule_name;
          failure->detail = "inside";
          failure->actual = Value(FormatIsoTime(EventTime(context)));  // the time it tested
        } else if (child.kind == Condition::Kind::kPath) {
          // Every operator of the path held: name them all.
          failure->condition = "not " + child.path.path.text;
          for (size_t i = 0; i < child.ops.size(); ++i) {
            failure->condition += (i == 0 ? " " : ", ") + child.ops[i].text;
          }
          Resolved r;
          if (ResolvePath(child.path, *context->event, &r)) {
            failure->actual = ActualValue(r);
          } else {
            failure->actual.reset();
          }
          failure->detail.clear();
        } else if (child.kind == Condition::Kind::kEvent) {
          failure->condition = "not event " + JoinTypes(child.types);
          failure->actual = Value(std::string(context->event->facts[0].string));
          failure->detail.clear();
        } else {
          failure->condition = "not (...)";
          failure->detail = "the negated condition held";
          failure->actual.reset();
        }
      }
      return false;
    }
    case Condition::Kind::kSchedule: {
      bool inside = (*context->schedules)[c.schedule].Contains(EventTime(context));
      if (!inside && failure) {
        failure->condition = "schedule " + c.schedule_name;
        failure->detail = "outside";
        failure->actual = Value(FormatIsoTime(EventTime(context)));
      }
      return inside;
    }
    case Condition::Kind::kEvent: {
      std::string_view type = context->event->facts[static_cast<int>(Fact::kType)].string;
      for (const std::string& pattern : c.types) {
        if (GlobMatch(pattern, type)) return true;
      }
      if (failure) {
        failure->condition = "event " + JoinTypes(c.types);
        failure->actual = Value(type);
        failure->detail.clear();
      }
      return false;
    }
    case Condition::Kind::kPath: {
      Resolved r;
      bool present = ResolvePath(c.path, *context->event, &r);
      for (const Operator& op : c.ops) {
        if (&op == context->known_match) continue;
        if (!OperatorHolds(op, present, r, c.ignore_case, context->captures)) {
          if (failure) {
            failure->condition = c.path.path.text + " " + op.text;
            if (present) {
              failure->actual = ActualValue(r);
            } else {
              failure->actual.reset();
            }
            failure->detail.clear();
          }
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace switchboard
