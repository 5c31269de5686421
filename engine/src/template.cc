#include "template.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "event_rep.h"
#include "number.h"
#include "path.h"
#include "suggest.h"
#include "unicode_case.h"

namespace switchboard {

namespace {

// ---------------------------------------------------------------------------
// Text helpers

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !IsUtf8Continuation(c);
  return n;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void AppendUrlEncoded(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out->push_back(ch);
    } else {
      char escaped[3] = {'%', kHex[c >> 4], kHex[c & 0xF]};
      out->append(escaped, 3);
    }
  }
}

void AppendText(std::string_view s, bool url_encode, std::string* out) {
  if (url_encode) {
    // A value that is a whole "." or ".." path segment would still move the
    // request up the path once the server resolves dot segments: encode it.
    if (s == "." || s == "..") {
      out->append(s.size() == 1 ? "%2E" : "%2E%2E");
      return;
    }
    AppendUrlEncoded(s, out);
  } else {
    out->append(s);
  }
}

// ---------------------------------------------------------------------------
// Filters

enum class FilterKind {
  kDefault,
  kLower,
  kUpper,
  kTrim,
  kTruncate,
  kJson,
  kUrlencode,
  kFirst,
  kLast,
  kJoin,
  kLength,
};

struct FilterInfo {
  std::string_view name;
  FilterKind kind;
};

constexpr FilterInfo kFilters[] = {
    {"default", FilterKind::kDefault},     {"lower", FilterKind::kLower},
    {"upper", FilterKind::kUpper},         {"trim", FilterKind::kTrim},
    {"truncate", FilterKind::kTruncate},   {"json", FilterKind::kJson},
    {"urlencode", FilterKind::kUrlencode}, {"first", FilterKind::kFirst},
    {"last", FilterKind::kLast},           {"join", FilterKind::kJoin},
    {"length", FilterKind::kLength},
};

std::optional<FilterKind> FilterFromName(std::string_view name) {
  for (const FilterInfo& f : kFilters) {
    if (f.name == name) return f.kind;
  }
  return std::nullopt;
}

std::vector<std::string_view> FilterNames() {
  std::vector<std::string_view> names;
  for (const FilterInfo& f : kFilters) names.push_back(f.name);
  return names;
}

struct Filter {
  FilterKind kind;
  Value argument;     // default(x): x; join(sep): sep
  size_t length = 0;  // truncate(n)
};

// The value an expression holds while filters run; nullopt is "missing".
using Slot = std::optional<Value>;

// Filters that work on text turn a non-string value into its text; missing and
// null stay as they are so that a later `default` still applies.
bool AsText(Slot* slot, std::string** text) {
  if (!*slot || (*slot)->is_null()) return false;
  if (!(*slot)->is_string()) *slot = Value((*slot)->ToText());
  *text = &(*slot)->as_string();
  return true;
}

void ApplyFilter(const Filter& filter, Slot* slot) {
  std::string* text = nullptr;
  switch (filter.kind) {
    case FilterKind::kDefault:
      if (!*slot || (*slot)->is_null() || ((*slot)->is_string() && (*slot)->as_string().empty())) {
        *slot = filter.argument;
      }
      return;
    case FilterKind::kLower:
      if (AsText(slot, &text)) *text = ToLowerUtf8(*text);
      return;
    case FilterKind::kUpper:
      if (AsText(slot, &text)) *text = ToUpperUtf8(*text);
      return;
    case FilterKind::kTrim:
      if (AsText(slot, &text)) {
        size_t end = text->size();
        while (end > 0 && IsSpace((*text)[end - 1])) --end;
        size_t begin = 0;
        while (begin < end && IsSpace((*text)[begin])) ++begin;
        text->erase(end);
        text->erase(0, begin);
      }
      return;
    case FilterKind::kTruncate:
      // A text of at most `length` bytes has at most `length` code points.
      if (AsText(slot, &text) && text->size() > filter.length) {
        size_t count = 0;
        for (size_t i = 0; i < text->size(); ++i) {
          if (IsUtf8Continuation((*text)[i])) continue;
          if (count == filter.length) {
            text->resize(i);
            break;
          }
          ++count;
        }
      }
      return;
    case FilterKind::kJson:
      *slot = Value(*slot ? (*slot)->ToJson() : std::string("null"));
      return;
    case FilterKind::kUrlencode:
      if (AsText(slot, &text)) *slot = Value(UrlEncode(*text));
      return;
    case FilterKind::kFirst:
    case FilterKind::kLast: {
      if (!*slot) return;
      bool first = filter.kind == FilterKind::kFirst;
      if ((*slot)->is_array()) {
        Value::Array& array = (*slot)->as_array();
        if (array.empty()) {
          slot->reset();
        } else {
          Value element = std::move(first ? array.front() : array.back());
          *slot = std::move(element);
        }
      } else if ((*slot)->is_string()) {
        const std::string& s = (*slot)->as_string();
        if (s.empty()) {
          slot->reset();
        } else if (first) {
          size_t end = 1;
          while (end < s.size() && IsUtf8Continuation(s[end])) ++end;
          *slot = Value(s.substr(0, end));
        } else {
          size_t begin = s.size() - 1;
          while (begin > 0 && IsUtf8Continuation(s[begin])) --begin;
          *slot = Value(s.substr(begin));
        }
      }
      // Other values are not sequences: they pass through unchanged.
      return;
    }
    case FilterKind::kJoin: {
      if (!*slot) return;
      if (!(*slot)->is_array()) {
        if (!(*slot)->is_string()) *slot = Value((*slot)->ToText());
        return;
      }
      const std::string& separator = filter.argument.as_string();
      std::string joined;
      bool first = true;
      for (const Value& element : (*slot)->as_array()) {
        if (!first) joined += separator;
        first = false;
        if (element.is_string()) {
          joined += element.as_string();
        } else {
          joined += element.ToText();
        }
      }
      *slot = Value(std::move(joined));
      return;
    }
    case FilterKind::kLength: {
      size_t n = 0;
      if (*slot) {
        const Value& v = **slot;
        if (v.is_array()) {
          n = v.as_array().size();
        } else if (v.is_object()) {
          n = v.as_object().size();
        } else if (v.is_string()) {
          n = CodePointCount(v.as_string());
        } else {
          n = CodePointCount(v.ToText());
        }
      }
      *slot = Value(static_cast<double>(n));
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Expressions

enum class Root { kEvent, kFacts, kVars, kCaptures, kRule, kNow, kEnv };

Root RootFromName(std::string_view name) {
  if (name == "facts") return Root::kFacts;
  if (name == "vars") return Root::kVars;
  if (name == "captures") return Root::kCaptures;
  if (name == "rule") return Root::kRule;
  if (name == "now") return Root::kNow;
  if (name == "env") return Root::kEnv;
  return Root::kEvent;
}

struct Expression {
  Root root = Root::kEvent;
  Path path;
  std::optional<Fact> fact;  // facts.NAME, resolved at parse time
  std::vector<Filter> filters;
  bool url_encode = false;  // kUrl mode and the last filter is not `urlencode`
};

// A literal run [begin, begin + size) of Rep::literals, or an expression.
struct Part {
  size_t begin = 0;
  size_t size = 0;
  int expression = -1;  // index into Rep::expressions, or -1 for literal text
};

// Parses the expressions of a template. A syntax error stops it: the method
// that finds it returns false, with the error and its offset. Other errors
// (unknown filters, wrong filter arguments) are appended to *errors and
// parsing goes on.
class Parser {
 public:
  Parser(std::string_view text, std::vector<Template::Error>* errors)
      : text_(text), errors_(errors) {}

  const Status& status() const { return status_; }
  size_t error_offset() const { return error_offset_; }

  // Parses the expression whose "{{" is at `open`; on success, *end is the
  // offset just past its "}}".
  bool ParseExpression(size_t open, Expression* expression, size_t* end) {
    open_ = open;
    pos_ = open + 2;
    SkipSpace();
    size_t path_begin = pos_;
    while (pos_ < text_.size() && !IsPathStop(text_[pos_])) ++pos_;
    std::string_view path_text = text_.substr(path_begin, pos_ - path_begin);
    if (path_text.empty()) {
      if (AtEnd() || AtOpen()) return Unclosed();
      if (AtClose()) return Fail(open, "empty expression");
      if (text_[pos_] == '|') return Fail(pos_, "expected a path before '|'");
      return Fail(pos_, std::string("expected a path, found '") + text_[pos_] + "'");
    }
    auto path = ParsePath(path_text);
    if (!path.ok()) return Fail(path_begin, path.status().message());
    expression->path = std::move(*path);
    const auto& segments = expression->path.segments;
    expression->root = RootFromName(segments[0].key);
    if (expression->root == Root::kFacts && segments.size() == 2 && segments[1].index < 0) {
      expression->fact = FactFromName(segments[1].key);
    }

    for (;;) {
      SkipSpace();
      if (AtEnd() || AtOpen()) return Unclosed();
      if (AtClose()) break;
      // "{{ id }": a single brace where "}}" belongs.
      if (text_[pos_] == '}') return Unclosed();
      if (text_[pos_] != '|') {
        std::string after = expression->filters.empty()
                                ? "path '" + std::string(path_text) + "'"
                                : "filter '" + std::string(last_filter_name_) + "'";
        return Fail(pos_, std::string("expected '|' or '}}' after ") + after + ", found '" +
                              text_[pos_] + "'");
      }
      ++pos_;
      Filter filter;
      bool known = false;
      if (!ParseFilter(&filter, &known)) return false;
      if (known) expression->filters.push_back(std::move(filter));
    }
    *end = pos_ + 2;
    return true;
  }

 private:
  struct Argument {
    Value value;
    size_t offset;
  };

  bool AtEnd() const { return pos_ >= text_.size(); }
  bool At(std::string_view s) const { return text_.compare(pos_, s.size(), s) == 0; }
  bool AtOpen() const { return At("{{"); }
  bool AtClose() const { return At("}}"); }
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  static bool IsPathStop(char c) {
    return IsSpace(c) || c == '|' || c == '{' || c == '}' || c == '(' || c == ')' || c == '"' ||
           c == '\'' || c == ',';
  }

  bool Fail(size_t offset, std::string message) {
    status_ = Status::InvalidArgument(std::move(message));
    error_offset_ = offset;
    return false;
  }
  // Records an error that leaves the syntax intact; parsing goes on.
  bool Note(size_t offset, std::string message) {
    errors_->push_back({offset, std::move(message)});
    return true;
  }
  // Text ended, or a new "{{" began, before this expression's "}}".
  bool Unclosed() { return Fail(open_, "unclosed '{{'"); }

  // *known is false for an unknown filter (noted), whose arguments are read.
  bool ParseFilter(Filter* filter, bool* known) {
    SkipSpace();
    size_t name_begin = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    std::string_view name = text_.substr(name_begin, pos_ - name_begin);
    if (name.empty()) {
      if (AtEnd() || AtOpen()) return Unclosed();
      return Fail(name_begin, "expected a filter name after '|'");
    }
    last_filter_name_ = name;
    std::optional<FilterKind> kind = FilterFromName(name);
    if (!kind) {
      Note(name_begin,
           "unknown filter '" + std::string(name) + "'" + DidYouMean(name, FilterNames()));
    }

    std::vector<Argument> arguments;
    SkipSpace();
    if (!AtEnd() && text_[pos_] == '(') {
      ++pos_;
      if (!ParseArguments(name, &arguments)) return false;
    }
    if (!kind) return true;
    filter->kind = *kind;
    *known = CheckArguments(name, name_begin, std::move(arguments), filter);
    return true;
  }

  bool ParseArguments(std::string_view filter, std::vector<Argument>* arguments) {
    SkipSpace();
    if (!AtEnd() && text_[pos_] == ')') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (AtEnd() || AtOpen()) return Unclosed();
      Argument argument;
      argument.offset = pos_;
      char c = text_[pos_];
      if (c == '"' || c == '\'') {
        std::string s;
        if (!ParseString(&s)) return false;
        argument.value = Value(std::move(s));
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        if (!ParseNumber(&argument.value)) return false;
      } else if (AtClose()) {
        return Fail(pos_,
                    "missing ')' after the arguments of filter '" + std::string(filter) + "'");
      } else {
        return Fail(pos_, "filter '" + std::string(filter) +
                              "': an argument must be a quoted string or a number");
      }
      arguments->push_back(std::move(argument));
      SkipSpace();
      if (AtEnd() || AtOpen()) return Unclosed();
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ')') {
        ++pos_;
        return true;
      }
      if (AtClose()) {
        return Fail(pos_,
                    "missing ')' after the arguments of filter '" + std::string(filter) + "'");
      }
      return Fail(pos_,
                  "expected ',' or ')' in the arguments of filter '" + std::string(filter) + "'");
    }
  }

  bool ParseString(std::string* out) {
    size_t quote_offset = pos_;
    char quote = text_[pos_++];
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) break;
        char e = text_[pos_ + 1];
        switch (e) {
          case '"':
          case '\'':
          case '\\':
            out->push_back(e);
            break;
          case 'n':
            out->push_back('\n');
            break;
          case 't':
            out->push_back('\t');
            break;
          case 'r':
            out->push_back('\r');
            break;
          default:
            return Fail(pos_, std::string("unknown escape '\\") + e +
                                  "' in a string (use \\\", \\', \\\\, \\n, \\t or \\r)");
        }
        pos_ += 2;
        continue;
      }
      out->push_back(c);
      ++pos_;
    }
    return Fail(quote_offset, "unterminated string");
  }

  // A number argument; an integer is kept exactly.
  bool ParseNumber(Value* n) {
    size_t begin = pos_;
    ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      bool sign_after_exponent =
          (c == '+' || c == '-') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E');
      if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || sign_after_exponent) {
        ++pos_;
      } else {
        break;
      }
    }
    std::string token(text_.substr(begin, pos_ - begin));
    char* end = nullptr;
    const double d = std::strtod(token.c_str(), &end);
    if (token == "-" || end != token.c_str() + token.size() ||
        !(token.back() >= '0' && token.back() <= '9')) {
      return Fail(begin, "'" + token + "' is not a number");
    }
    std::optional<Value> integer = IntegerValue(token);
    *n = integer ? std::move(*integer) : Value(d);
    return true;
  }

  bool CheckArguments(std::string_view name, size_t name_offset, std::vector<Argument> arguments,
                      Filter* filter) {
    auto fail = [&](const char* expected) {
      return !Note(name_offset, "filter '" + std::string(name) + "' takes " + expected);
    };
    switch (filter->kind) {
      case FilterKind::kDefault:
        if (arguments.size() != 1) return fail("1 argument (a string or number)");
        filter->argument = std::move(arguments[0].value);
        return true;
      case FilterKind::kTruncate: {
        if (arguments.size() != 1 || !arguments[0].value.is_number()) {
          return fail("1 argument (a number)");
        }
        double n = arguments[0].value.as_number();
        if (!(n >= 0) || n > 1e9 || n != std::floor(n)) {
          return !Note(name_offset, "filter '" + std::string(name) +
                                        "': the length must be a non-negative integer, not " +
                                        FormatNumber(n));
        }
        filter->length = static_cast<size_t>(n);
        return true;
      }
      case FilterKind::kJoin:
        if (arguments.size() != 1 || !arguments[0].value.is_string()) {
          return fail("1 argument (a string)");
        }
        filter->argument = std::move(arguments[0].value);
        return true;
      default:
        if (!arguments.empty()) return fail("no arguments");
        return true;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t open_ = 0;
  std::string_view last_filter_name_;
  std::vector<Template::Error>* errors_;
  Status status_;
  size_t error_offset_ = 0;
};

// ---------------------------------------------------------------------------
// Resolving a path against the context, without copying when possible

struct Resolved {
  enum class Kind { kMissing, kString, kBool, kValue, kElement, kOwned };
  Kind kind = Kind::kMissing;
  std::string_view string;
  bool boolean = false;
  const Value* value = nullptr;
  simdjson::dom::element element;
  std::optional<Value> owned;  // kOwned only: most expressions never build a Value

  static Resolved String(std::string_view s) {
    Resolved r;
    r.kind = Kind::kString;
    r.string = s;
    return r;
  }

  Slot ToSlot() && {
    switch (kind) {
      case Kind::kMissing:
        return std::nullopt;
      case Kind::kString:
        return Value(string);
      case Kind::kBool:
        return Value(boolean);
      case Kind::kValue:
        return *value;
      case Kind::kElement:
        return ElementToValue(element);
      case Kind::kOwned:
        return std::move(*owned);
    }
    return std::nullopt;
  }

  void AppendTo(bool url_encode, std::string* out) const {
    switch (kind) {
      case Kind::kMissing:
        return;
      case Kind::kString:
        AppendText(string, url_encode, out);
        return;
      case Kind::kBool:
        AppendText(boolean ? "true" : "false", url_encode, out);
        return;
      case Kind::kValue:
        if (value->is_string()) {
          AppendText(value->as_string(), url_encode, out);
        } else {
          AppendText(value->ToText(), url_encode, out);
        }
        return;
      case Kind::kElement: {
        std::string_view s;
        if (!element.get_string().get(s)) {
          AppendText(s, url_encode, out);
        } else if (!element.is_null()) {
          AppendText(ElementToValue(element).ToText(), url_encode, out);
        }
        return;
      }
      case Kind::kOwned:
        AppendText(owned->ToText(), url_encode, out);
        return;
    }
  }
};

const Value* WalkValue(const Value* value, const std::vector<PathSegment>& segments, size_t first) {
  for (size_t i = first; i < segments.size() && value; ++i) {
    const PathSegment& s = segments[i];
    if (s.index >= 0) {
      if (!value->is_array() || static_cast<size_t>(s.index) >= value->as_array().size()) {
        return nullptr;
      }
      value = &value->as_array()[static_cast<size_t>(s.index)];
    } else {
      value = value->Find(s.key);
    }
  }
  return value;
}

Resolved Resolve(const Expression& expression, const TemplateContext& context) {
  const std::vector<PathSegment>& segments = expression.path.segments;
  Resolved r;
  // The second segment, when it is a key (facts.NAME, env.NAME, ...).
  const std::string* name =
      segments.size() >= 2 && segments[1].index < 0 ? &segments[1].key : nullptr;
  switch (expression.root) {
    case Root::kEvent: {
      if (!context.event) return r;
      if (WalkEventPath(context.event->rep(), expression.path, &r.element)) {
        r.kind = Resolved::Kind::kElement;
      }
      return r;
    }
    case Root::kFacts: {
      if (!context.event) return r;
      if (segments.size() == 1) {
        r.kind = Resolved::Kind::kOwned;
        r.owned = context.event->FactsAsValue();
      } else if (segments.size() == 2 && expression.fact) {
        const FactValue& fact = context.event->fact(*expression.fact);
        if (fact.kind == FactValue::Kind::kString) return Resolved::String(fact.string);
        if (fact.kind == FactValue::Kind::kBool) {
          r.kind = Resolved::Kind::kBool;
          r.boolean = fact.boolean;
        }
      }
      return r;
    }
    case Root::kVars: {
      if (!context.vars) return r;
      r.value = WalkValue(context.vars, segments, 1);
      if (r.value) r.kind = Resolved::Kind::kValue;
      return r;
    }
    case Root::kCaptures: {
      if (!context.captures) return r;
      if (segments.size() == 1) {
        r.kind = Resolved::Kind::kOwned;
        r.owned = Value(Value::Object());
        for (const auto& [key, text] : *context.captures) r.owned->Set(key, Value(text));
      } else if (segments.size() == 2 && name) {
        for (const auto& [key, text] : *context.captures) {
          if (key == *name) return Resolved::String(text);
        }
      }
      return r;
    }
    case Root::kRule: {
      if (segments.size() == 1) {
        r.kind = Resolved::Kind::kOwned;
        r.owned = Value(Value::Object());
        if (!context.rule_id.empty()) r.owned->Set("id", Value(context.rule_id));
        if (!context.rule_description.empty()) {
          r.owned->Set("description", Value(context.rule_description));
        }
      } else if (segments.size() == 2 && name) {
        if (*name == "id" && !context.rule_id.empty()) return Resolved::String(context.rule_id);
        if (*name == "description" && !context.rule_description.empty()) {
          return Resolved::String(context.rule_description);
        }
      }
      return r;
    }
    case Root::kNow:
      if (segments.size() == 1 && !context.now.empty()) return Resolved::String(context.now);
      return r;
    case Root::kEnv:
      // `env` alone is missing: the whole environment is never rendered.
      if (segments.size() == 2 && name) {
        if (const char* value = std::getenv(name->c_str())) return Resolved::String(value);
      }
      return r;
  }
  return r;
}

// Filters that only cut a text down (truncate, trim) or leave a non-empty one
// alone (default), applied to a view of it. False when the value is not a
// string or a filter needs the general path (which then starts over).
bool ApplyViewFilters(const Expression& expression, const Resolved& resolved,
                      std::string_view* text) {
  std::string_view s;
  switch (resolved.kind) {
    case Resolved::Kind::kString:
      s = resolved.string;
      break;
    case Resolved::Kind::kValue:
      if (!resolved.value->is_string()) return false;
      s = resolved.value->as_string();
      break;
    case Resolved::Kind::kElement:
      if (resolved.element.get_string().get(s)) return false;
      break;
    default:
      return false;
  }
  for (const Filter& filter : expression.filters) {
    switch (filter.kind) {
      case FilterKind::kDefault:
        if (s.empty()) return false;
        break;
      case FilterKind::kTrim: {
        size_t end = s.size();
        while (end > 0 && IsSpace(s[end - 1])) --end;
        size_t begin = 0;
        while (begin < end && IsSpace(s[begin])) ++begin;
        s = s.substr(begin, end - begin);
        break;
      }
      case FilterKind::kTruncate:
        if (s.size() > filter.length) {
          size_t count = 0;
          for (size_t i = 0; i < s.size(); ++i) {
            if (IsUtf8Continuation(s[i])) continue;
            if (count == filter.length) {
              s = s.substr(0, i);
              break;
            }
            ++count;
          }
        }
        break;
      default:
        return false;
    }
  }
  *text = s;
  return true;
}

void RenderExpression(const Expression& expression, const TemplateContext& context,
                      std::string* out) {
  // The most common expression, facts.NAME without filters, needs no Resolved.
  if (expression.fact && expression.filters.empty() && context.event != nullptr) {
    const FactValue& fact = context.event->fact(*expression.fact);
    if (fact.kind == FactValue::Kind::kString) {
      AppendText(fact.string, expression.url_encode, out);
    } else if (fact.kind == FactValue::Kind::kBool) {
      AppendText(fact.boolean ? "true" : "false", expression.url_encode, out);
    }
    return;
  }
  Resolved resolved = Resolve(expression, context);
  if (!expression.filters.empty()) {
    std::string_view text;
    if (ApplyViewFilters(expression, resolved, &text)) {
      AppendText(text, expression.url_encode, out);
      return;
    }
  }
  if (expression.filters.empty()) {
    resolved.AppendTo(expression.url_encode, out);
    return;
  }
  Slot slot = std::move(resolved).ToSlot();
  for (const Filter& filter : expression.filters) ApplyFilter(filter, &slot);
  if (!slot) return;
  if (slot->is_string()) {
    AppendText(slot->as_string(), expression.url_encode, out);
  } else {
    AppendText(slot->ToText(), expression.url_encode, out);
  }
}

}  // namespace

struct Template::Rep {
  std::string text;
  // The text of the literal parts once BindVars has added the rendered vars
  // expressions to it; until then (empty) they are in `text`.
  std::string bound;

  const std::string& literals() const { return bound.empty() ? text : bound; }
  Mode mode = Mode::kText;
  std::vector<Part> parts;
  std::vector<Expression> expressions;
  std::vector<Reference> references;
  size_t first_expression_offset = std::string::npos;
};

// ---------------------------------------------------------------------------
// Template

// The capacity of the thread's render buffer that Render keeps for the next call.
constexpr size_t kMaxKeptBuffer = 64 * 1024;

Template::Template() : rep_(std::make_unique<Rep>()) {}
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::Template(const Template& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}
Template& Template::operator=(const Template& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}
Template::~Template() = default;

Result<Template> Template::Parse(std::string_view text, Mode mode, size_t* error_offset) {
  std::vector<Error> errors;
  Template t = ParseAll(text, mode, &errors);
  if (errors.empty()) return t;
  if (error_offset) *error_offset = errors[0].offset;
  return Status::InvalidArgument(std::move(errors[0].message));
}

Template Template::ParseAll(std::string_view text, Mode mode, std::vector<Error>* errors) {
  Template t;
  Rep& rep = *t.rep_;
  rep.text = std::string(text);
  rep.mode = mode;
  Parser parser(text, errors);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    size_t literal_end = open == std::string_view::npos ? text.size() : open;
    if (literal_end > pos) {
      rep.parts.push_back({pos, literal_end - pos, -1});
    }
    if (open == std::string_view::npos) break;

    Expression expression;
    size_t end = 0;
    if (!parser.ParseExpression(open, &expression, &end)) {
      errors->push_back({parser.error_offset(), parser.status().message()});
      break;
    }
    expression.url_encode =
        mode == Mode::kUrl &&
        (expression.filters.empty() || expression.filters.back().kind != FilterKind::kUrlencode);
    Reference reference;
    reference.root = expression.path.segments[0].key;
    std::string_view rest = std::string_view(expression.path.text).substr(reference.root.size());
    if (!rest.empty() && rest[0] == '.') rest.remove_prefix(1);
    reference.rest = std::string(rest);
    reference.offset = open;
    rep.references.push_back(std::move(reference));

    if (rep.first_expression_offset == std::string::npos) rep.first_expression_offset = open;
    rep.parts.push_back({open, end - open, static_cast<int>(rep.expressions.size())});
    rep.expressions.push_back(std::move(expression));
    pos = end;
  }
  return t;
}

bool Template::is_literal() const { return rep_->expressions.empty(); }
const std::string& Template::text() const { return rep_->text; }
size_t Template::first_expression_offset() const { return rep_->first_expression_offset; }
const std::vector<Template::Reference>& Template::references() const { return rep_->references; }

std::string Template::Render(const TemplateContext& context) const {
  const std::vector<Part>& parts = rep_->parts;
  // A literal text (also one whose only expressions read vars, once bound) is
  // a copy; so is a lone facts.NAME, rendered straight into the result.
  if (parts.size() == 1) {
    const Part& part = parts[0];
    if (part.expression < 0) return rep_->literals().substr(part.begin, part.size);
    const Expression& expression = rep_->expressions[static_cast<size_t>(part.expression)];
    if (expression.fact && expression.filters.empty()) {
      std::string out;
      RenderExpression(expression, context, &out);
      return out;
    }
  }
  // The text is assembled in a buffer that the thread keeps, then copied once:
  // the result gets exactly one allocation of the right size (none when short
  // enough for the string's inline buffer), however the parts add up.
  thread_local std::string buffer;
  RenderTo(context, &buffer);
  std::string out = buffer;
  // A huge rendering ("{{ data | json }}" of a big event) does not stay with the thread.
  if (buffer.capacity() > kMaxKeptBuffer) std::string().swap(buffer);
  return out;
}

void Template::RenderTo(const TemplateContext& context, std::string* out) const {
  out->clear();
  for (const Part& part : rep_->parts) {
    if (part.expression < 0) {
      out->append(rep_->literals(), part.begin, part.size);
    } else {
      RenderExpression(rep_->expressions[static_cast<size_t>(part.expression)], context, out);
    }
  }
}

void Template::BindVars(const Value& vars) {
  Rep& rep = *rep_;
  bool any = std::any_of(rep.expressions.begin(), rep.expressions.end(),
                         [](const Expression& e) { return e.root == Root::kVars; });
  if (!any) return;
  TemplateContext context;
  context.vars = &vars;
  std::string literals;
  std::vector<Part> parts;
  for (const Part& part : rep.parts) {
    const bool is_vars = part.expression >= 0 &&
                         rep.expressions[static_cast<size_t>(part.expression)].root == Root::kVars;
    if (part.expression >= 0 && !is_vars) {
      parts.push_back(part);
      continue;
    }
    size_t begin = literals.size();
    if (is_vars) {
      RenderExpression(rep.expressions[static_cast<size_t>(part.expression)], context, &literals);
    } else {
      literals.append(rep.literals(), part.begin, part.size);
    }
    if (literals.size() == begin) continue;  // a missing var: nothing to keep
    // Adjacent literal runs merge into one part.
    if (!parts.empty() && parts.back().expression < 0 &&
        parts.back().begin + parts.back().size == begin) {
      parts.back().size += literals.size() - begin;
    } else {
      parts.push_back({begin, literals.size() - begin, -1});
    }
  }
  rep.bound = std::move(literals);
  rep.parts = std::move(parts);
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendUrlEncoded(s, &out);
  return out;
}

std::string UrlTemplateProblem(const Template& url, const std::string& what) {
  const std::string& text = url.text();
  const size_t scheme_end = text.find("://");
  const size_t first_expr = url.first_expression_offset();
  const std::string scheme =
      scheme_end == std::string::npos ? "" : ToLowerUtf8(text.substr(0, scheme_end));
  if (scheme_end == std::string::npos || scheme_end > first_expr ||
      (scheme != "http" && scheme != "https")) {
    return what + " must start with a literal http:// or https://";
  }
  size_t host_end = text.find_first_of("/?#", scheme_end + 3);
  if (host_end == std::string::npos) host_end = text.size();
  if (first_expr < host_end) {
    return what + ": the scheme and host must be literal text; templates may only fill the path "
                  "or query";
  }
  if (host_end == scheme_end + 3) return what + " has no host";
  // The literal text goes into the request line as it is: a space or a
  // control character there makes a request no server reads as meant.
  const std::string& literals = url.rep_->literals();
  for (const Part& part : url.rep_->parts) {
    if (part.expression >= 0) continue;
    for (size_t i = part.begin; i < part.begin + part.size; ++i) {
      const unsigned char c = static_cast<unsigned char>(literals[i]);
      if (c == ' ') return what + " contains a space (write %20)";
      if (c == '\n' || c == '\r') {
        return what + " contains a line break (a folded `>` scalar ends in one: write `>-`, "
                      "or quote the URL)";
      }
      if (c < 0x20 || c == 0x7F) return what + " contains a control character";
    }
  }
  return "";
}

}  // namespace switchboard
