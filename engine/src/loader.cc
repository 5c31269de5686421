#include "loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "builtin_actions.h"
#include "facts.h"
#include "number.h"
#include "read_file.h"
#include "rule_set_rep.h"
#include "suggest.h"
#include "unicode_case.h"
#include "user_code.h"
#include "yaml_util.h"

namespace switchboard {

namespace {

const std::vector<std::string_view> kTopKeys = {"version", "vars",  "lists", "schedules",
                                                "macros",  "rules", "tests"};
const std::vector<std::string_view> kRuleKeys = {"id",       "description", "event",   "when",
                                                 "throttle", "priority",    "stop",    "enabled",
                                                 "actions"};
const std::vector<std::string_view> kOperators = {
    "equals",      "not_equals", "in",  "not_in", "matches", "not_matches", "contains",
    "not_contains", "starts_with", "ends_with", "exists", "gt", "gte", "lt", "lte",
    "ignore_case"};
const std::vector<std::string_view> kConditionKeys = {"all", "any", "not", "macro", "schedule",
                                                      "event"};
// What a regex error means when the pattern uses Perl or PCRE syntax that
// RE2 does not have (RE2 names only the operator it stopped at).
std::string RegexHint(const std::string& error_arg, const std::string& pattern) {
  auto starts = [&](std::string_view prefix) { return error_arg.rfind(prefix, 0) == 0; };
  if (starts("(?<")) {
    const size_t at = pattern.find(error_arg);
    const char next = at == std::string::npos || at + 3 >= pattern.size() ? '\0' : pattern[at + 3];
    if (next == '=' || next == '!') return " (RE2 has no lookbehind)";
    return " (RE2 writes a named group as (?P<name>...))";
  }
  if (starts("(?=") || starts("(?!")) return " (RE2 has no lookahead)";
  if (starts("(?>")) return " (RE2 has no atomic groups: write (?:...))";
  if (error_arg.size() == 2 && error_arg[0] == '\\' && error_arg[1] >= '1' && error_arg[1] <= '9') {
    return " (RE2 has no backreferences)";
  }
  if (error_arg == "\\Z") return " (write \\z, or $)";
  if (error_arg.size() == 2 && error_arg[1] == '+' &&
      (error_arg[0] == '+' || error_arg[0] == '*' || error_arg[0] == '?')) {
    return " (RE2 has no possessive quantifiers: drop the second '+')";
  }
  return "";
}

const std::vector<std::string_view> kScheduleKeys = {"timezone", "weekly", "closed"};
const std::vector<std::string_view> kThrottleKeys = {"key", "per", "limit"};
const std::vector<std::string_view> kTestKeys = {"name", "event", "payload", "set", "expect"};
const std::vector<std::string_view> kExpectKeys = {"fired"};
const std::vector<std::string_view> kTemplateRoots = {"facts", "vars", "captures", "rule",
                                                      "now",   "env"};

std::vector<std::string_view> FactNames() {
  std::vector<std::string_view> names;
  for (int i = 0; i < kFactCount; ++i) names.push_back(FactName(static_cast<Fact>(i)));
  return names;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

struct SourceFile {
  std::string name;
  std::string dir;  // for relative test event paths
  std::vector<std::string> lines;
  YAML::Node root;
};

// A definition collected from some file, compiled later.
struct Named {
  const SourceFile* file;
  YAML::Node key;
  YAML::Node node;
};

class Loader {
 public:
  Loader(const ActionRegistry& actions, const LoadOptions& options, std::vector<Diagnostic> errors)
      : actions_(actions),
        options_(options),
        errors_(std::move(errors)),
        rep_(std::make_unique<RuleSet::Rep>()) {}

  LoadResult Load(const std::vector<RuleSource>& sources) {
    files_.reserve(sources.size());
    for (const RuleSource& source : sources) Read(source);
    for (const SourceFile& file : files_) Collect(file);
    for (const auto& [name, def] : macro_nodes_) macros_[name].def = def;
    CompileSchedules();
    for (auto& [name, macro] : macros_) CompileMacro(name, nullptr);
    for (const Named& rule : rule_nodes_) CompileRule(rule);
    // Without options_.tests the tests are still checked: one bad file fails the
    // whole load, whichever command loads it.
    for (const Named& test : test_nodes_) CompileTest(test);
    LoadResult result;
    if (!errors_.empty()) {
      // Report in reading order: by file, then position.
      auto file_index = [&](const std::string& name) {
        for (size_t i = 0; i < files_.size(); ++i) {
          if (files_[i].name == name) return static_cast<int>(i);
        }
        return -1;
      };
      std::stable_sort(errors_.begin(), errors_.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        return std::make_tuple(file_index(a.file), a.line, a.column) <
               std::make_tuple(file_index(b.file), b.line, b.column);
      });
      result.errors = std::move(errors_);
      return result;
    }
    std::stable_sort(rep_->rules.begin(), rep_->rules.end(),
                     [](const CompiledRule& a, const CompiledRule& b) {
                       return a.priority > b.priority;
                     });
    BuildIndex(rep_.get());
    result.rules = std::make_shared<const RuleSet>(std::move(rep_));
    return result;
  }

 private:
  struct MacroState {
    Named def;
    enum { kNew, kCompiling, kDone, kFailed } state = kNew;
    Condition condition;
    int64_t nodes = 0;  // conditions and operators in `condition`
    std::set<std::string> groups;  // named regex groups inside
  };

  // What the conditions of one rule file may come to. Each use of a YAML alias
  // is compiled on its own and each `macro:` reference copies the macro's
  // condition, so a few lines could stand for billions of conditions.
  static constexpr int64_t kConditionBudget = 200000;  // conditions and operators per file

  // A path named in `file`: a relative one is resolved against the file's
  // directory ("" stays "": no path).
  static std::string RelativeTo(const SourceFile* file, const std::string& path) {
    if (file == nullptr || path.empty() || path[0] == '/') return path;
    return file->dir + "/" + path;
  }

  // ---- diagnostics ----

  void Error(const SourceFile* file, const YAML::Mark& given, const std::string& item,
             const std::string& message, int column_offset = 0) {
    Diagnostic d;
    d.file = file ? file->name : "";
    d.item = item;
    d.message = message;
    YAML::Mark mark = given;
    if ((mark.is_null() || mark.line < 0) && default_of_ != nullptr) {
      // A parameter's default (ActionType::params) is no text of the file:
      // the error is placed at the action that took it.
      mark = default_of_->action.Mark();
      column_offset = 0;
      d.message = "the default of parameter " + Quote(default_of_->name) + ": " + message;
    }
    if (!mark.is_null() && mark.line >= 0) {
      d.line = mark.line + 1;
      // YAML marks and template offsets count bytes; the column counts
      // characters, as an editor does.
      const int byte = std::max(mark.column + column_offset, 0);
      d.column = byte + 1;
      if (file && mark.line < static_cast<int>(file->lines.size())) {
        const std::string& text = file->lines[mark.line];
        d.column = static_cast<int>(Utf8Length(std::string_view(text).substr(
                       0, std::min(static_cast<size_t>(byte), text.size())))) +
                   1 + std::max(byte - static_cast<int>(text.size()), 0);
        d.snippet = Snippet(text, d.line, static_cast<size_t>(byte));
      }
    }
    errors_.push_back(std::move(d));
  }
  void Error(const SourceFile* file, const YAML::Node& node, const std::string& item,
             const std::string& message, int column_offset = 0) {
    Error(file, node.Mark(), item, message, column_offset);
  }

  // " 12 | the line\n    |     ^": the source line and a caret under the
  // character at byte `byte`. A long line is cut to kSnippetWidth bytes around
  // it, the cuts marked "...", so that a 30 KB line does not print whole.
  static std::string Snippet(const std::string& text, int line, size_t byte) {
    constexpr size_t kSnippetWidth = 120;
    const size_t caret = std::min(byte, text.size());
    size_t begin = 0;
    size_t end = text.size();
    if (text.size() > kSnippetWidth) {
      begin = caret > kSnippetWidth / 2 ? caret - kSnippetWidth / 2 : 0;
      end = std::min(text.size(), begin + kSnippetWidth);
      begin = end - kSnippetWidth;
      // Cut between UTF-8 sequences, not inside one.
      auto continuation = [&](size_t i) { return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
      while (begin > 0 && begin < caret && continuation(begin)) ++begin;
      while (end < text.size() && end > caret && continuation(end)) --end;
    }
    const std::string before = begin > 0 ? "..." : "";
    const std::string after = end < text.size() ? "..." : "";
    const std::string number = std::to_string(line);
    std::string out = " " + number + " | " + before + text.substr(begin, end - begin) + after +
                      "\n " + std::string(number.size(), ' ') + " | " +
                      std::string(before.size(), ' ');
    // One space per character (a tab stays a tab): continuation bytes of
    // UTF-8 sequences take no column.
    for (size_t i = begin; i < caret; ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if ((c & 0xC0) != 0x80) out += c == '\t' ? '\t' : ' ';
    }
    return out + "^";
  }

  // Converts a value that aliases could multiply, within its file's budget;
  // errors point at `where`. Once the budget is spent, the file's later values
  // fail unreported: the first report says why.
  bool ToValue(const SourceFile* f, const YAML::Node& where, const std::string& item,
               const YAML::Node& node, Value* out) {
    ValueBudget& budget = value_budgets_[f];
    const bool spent = budget.spent();
    Result<Value> value = YamlToValue(node, &budget);
    if (!value.ok()) {
      if (!spent) Error(f, where, item, value.status().message());
      return false;
    }
    *out = std::move(value).value();
    return true;
  }

  // Checks that a mapping has only known keys (and no key twice).
  bool CheckKeys(const SourceFile* f, const YAML::Node& map, const std::vector<std::string_view>& keys,
                 const std::string& item, const std::string& what) {
    bool ok = true;
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        Error(f, it->first, item, "keys must be plain names");
        ok = false;
        continue;
      }
      const std::string& key = it->first.Scalar();
      if (!seen.insert(key).second) {
        Error(f, it->first, item, "duplicate key " + Quote(key));
        ok = false;
      }
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        Error(f, it->first, item, "unknown key " + Quote(key) + " in " + what + DidYouMean(key, keys));
        ok = false;
      }
    }
    return ok;
  }

  // Reports each key that a mapping in `node` (at any depth) holds twice, at
  // its second occurrence, and each key that is not a plain name (null, a
  // list, a mapping): YAML leaves duplicates to the reader, and the last one
  // would silently win. Keys brought by a merge key (<<) never count: the
  // merge (ExpandMergeKeys) skips the keys a mapping has already. Returns
  // whether there was none. A node shared through aliases is walked once per
  // file (checked_nodes_), so that neither the time nor the errors multiply
  // with its aliases.
  bool NoDuplicateKeys(const SourceFile* f, const YAML::Node& node, const std::string& item,
                       const std::string& what) {
    return NoDuplicateKeysAt(f, node, item, what, 0);
  }
  bool NoDuplicateKeysAt(const SourceFile* f, const YAML::Node& node, const std::string& item,
                         const std::string& what, int depth) {
    if (!node.IsSequence() && !node.IsMap()) return true;
    // Deeper values are refused by the conversion (a value nested too deeply).
    if (depth > 64 || !checked_nodes_.insert({f, node.Mark().pos}).second) return true;
    bool ok = true;
    if (node.IsSequence()) {
      for (const YAML::Node& child : node) {
        ok = NoDuplicateKeysAt(f, child, item, what, depth + 1) && ok;
      }
      return ok;
    }
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        Error(f, it->first, item, what + ": keys must be plain names (not null, a list or a mapping)");
        ok = false;
      } else if (!seen.insert(it->first.Scalar()).second) {
        Error(f, it->first, item, what + ": duplicate key " + Quote(it->first.Scalar()));
        ok = false;
      }
      ok = NoDuplicateKeysAt(f, it->second, item, what, depth + 1) && ok;
    }
    return ok;
  }

  // ---- reader ----

  void Read(const RuleSource& source) {
    SourceFile file;
    file.name = source.name;
    size_t slash = source.name.find_last_of('/');
    file.dir = slash == std::string::npos ? "." : source.name.substr(0, slash);
    std::istringstream lines(source.text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      file.lines.push_back(std::move(line));
    }
    files_.push_back(std::move(file));
    SourceFile& f = files_.back();
    // Rule text reaches JSON output (eval --json, the admin API), which must be
    // UTF-8; a BOM is valid UTF-8 and yaml-cpp skips it.
    // A NUL is valid UTF-8 but no YAML text: yaml-cpp ends a string at it
    // (dropping the rest silently) or calls it an unknown escape.
    const size_t nul = source.text.find('\0');
    const size_t bad = std::min(nul, FindInvalidUtf8(source.text));
    if (bad != std::string::npos) {
      const size_t line_start = source.text.rfind('\n', bad) + 1;  // npos + 1 == 0
      YAML::Mark at;
      at.line = static_cast<int>(std::count(source.text.begin(), source.text.begin() + line_start, '\n'));
      at.column = static_cast<int>(bad - line_start);
      // The snippet shows the line with its invalid bytes as '?'.
      std::string& text = f.lines[static_cast<size_t>(at.line)];
      text = ReplaceInvalidUtf8(text, '?');
      std::replace(text.begin(), text.end(), '\0', '?');
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(source.text[bad]));
      Error(&f, at, "",
            bad == nul ? std::string("a NUL byte (0x00) does not belong in a rule file: it must be "
                                     "UTF-8 text (a UTF-16 file has them everywhere: save it "
                                     "as UTF-8)")
                       : std::string("invalid UTF-8: byte ") + byte +
                             " does not belong here (a rule file must be UTF-8 text)");
      f.root = YAML::Node(YAML::NodeType::Undefined);
      return;
    }
    try {
      f.root = YAML::Load(source.text);  // the first document
      // A second document would otherwise be dropped unchecked. (Not found
      // with YAML::LoadAll: on some malformed input yaml-cpp 0.7's LoadAll
      // never returns.)
      if (int line = SecondDocumentLine(f.lines); line >= 0) {
        YAML::Mark at;
        at.pos = 0;
        at.line = line;
        at.column = 0;
        Error(&f, at, "",
              "a rule file holds one YAML document; this is another one (split it into "
              "another file)");
      }
      ExpandMergeKeys(f.root);
    } catch (const YAML::Exception& e) {
      // Reading a string, "bad file" is yaml-cpp's DepthGuard refusing a 500th
      // level of nesting (YAML::DeepRecursion, whose type the library does not
      // export to catch by).
      if (e.msg == YAML::ErrorMsg::BAD_FILE) {
        Error(&f, e.mark, "", "invalid YAML: nested 500 or more levels deep");
      } else if (YAML::Mark end; EndsBeforeError(f.lines, e.mark, &end)) {
        // yaml-cpp reports a `{`, `[` or quote left open where the text ends,
        // a line past the last: show the last line, and what to look for.
        Error(&f, end, "",
              "invalid YAML: " + e.msg + " (the file ends inside a '{', '[' or quoted " +
                  "string opened above: look for the one that is not closed)");
      } else {
        Error(&f, e.mark, "", "invalid YAML: " + e.msg);
      }
      f.root = YAML::Node(YAML::NodeType::Undefined);
    }
  }

  // Whether no line at or after `error` has content (yaml-cpp's mark for what
  // the end of the text left unclosed); if so *end is just past the last
  // character of the last line that has content.
  static bool EndsBeforeError(const std::vector<std::string>& lines, const YAML::Mark& error,
                              YAML::Mark* end) {
    if (error.is_null() || error.line < 0) return false;
    for (size_t i = static_cast<size_t>(error.line); i < lines.size(); ++i) {
      if (lines[i].find_first_not_of(" \t") != std::string::npos) return false;
    }
    for (size_t i = std::min(lines.size(), static_cast<size_t>(error.line)); i-- > 0;) {
      if (lines[i].find_first_not_of(" \t") != std::string::npos) {
        end->line = static_cast<int>(i);
        end->column = static_cast<int>(lines[i].size());
        end->pos = 0;
        return true;
      }
    }
    return false;
  }

  // The 0-based line where a second YAML document starts, or -1. A line that
  // starts with "---" or "..." is a document marker wherever it is (content
  // inside a document is indented or not at the start of a line); content after
  // one that follows content is another document. Comments are not content.
  static int SecondDocumentLine(const std::vector<std::string>& lines) {
    auto is_marker = [](const std::string& line) {
      return (line.rfind("---", 0) == 0 || line.rfind("...", 0) == 0) &&
             (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
    };
    auto has_content = [](std::string_view text) {
      const size_t first = text.find_first_not_of(" \t");
      return first != std::string_view::npos && text[first] != '#';
    };
    bool content = false;  // the first document has begun
    bool ended = false;    // a marker followed it
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      if (is_marker(line)) {
        const bool inline_content = has_content(std::string_view(line).substr(3));
        if (content) {
          if (inline_content) return static_cast<int>(i);
          ended = true;
        } else if (inline_content) {
          content = true;
        }
        continue;
      }
      if (!has_content(line)) continue;
      if (ended) return static_cast<int>(i);
      content = true;
    }
    return -1;
  }

  // ---- collector ----

  void Collect(const SourceFile& file) {
    const SourceFile* f = &file;
    const YAML::Node& root = file.root;
    if (!root.IsDefined()) return;  // YAML error already reported
    if (root.IsNull()) {
      Error(f, YAML::Mark(), "", "the file is empty (expected a mapping that starts with 'version: 1')");
      errors_.back().line = 1;
      errors_.back().column = 1;
      return;
    }
    if (!root.IsMap()) {
      Error(f, root, "", "a rule file must be a mapping with 'version', 'rules', ...");
      return;
    }
    CheckKeys(f, root, kTopKeys, "", "a rule file");
    YAML::Node version = root["version"];
    if (!version) {
      Error(f, root, "", "missing required key 'version' (write 'version: 1')");
    } else if (!version.IsScalar() || version.Scalar() != "1") {
      Error(f, version, "", "unsupported rule format version " +
                                Quote(version.IsScalar() ? version.Scalar() : "?") +
                                " (this Switchboard reads version 1)");
    }
    CollectNamed(f, root["vars"], "vars", &var_nodes_);
    CollectNamed(f, root["lists"], "lists", &list_nodes_);
    CollectNamed(f, root["schedules"], "schedules", &schedule_nodes_);
    CollectNamed(f, root["macros"], "macros", &macro_nodes_);
    for (auto& [name, def] : var_nodes_) {
      if (def.file != f || rep_->vars.Find(name)) continue;
      Value value;
      if (ToValue(f, def.key, "var " + Quote(name), def.node, &value)) {
        rep_->vars.Set(name, std::move(value));
      }
    }
    for (auto& [name, def] : list_nodes_) {
      if (def.file != f || lists_.count(name)) continue;
      std::vector<Value> items;
      if (!def.node.IsSequence()) {
        Error(f, def.node, "list " + Quote(name), "a list must be a sequence of values");
      } else {
        for (const auto& item : def.node) {
          // SPEC: named lists hold strings (numbers are read as written);
          // an unquoted true/false is a boolean, which no list means.
          Value value = ScalarToValue(item);
          if (!item.IsScalar() || value.is_bool()) {
            Error(f, item, "list " + Quote(name),
                  value.is_bool() ? "list items must be strings or numbers (quote \"true\" or "
                                    "\"false\" to list the text)"
                                  : "list items must be strings or numbers");
            continue;
          }
          items.push_back(std::move(value));
        }
      }
      lists_[name] = std::move(items);
    }
    if (YAML::Node rules = root["rules"]) {
      if (!rules.IsSequence()) {
        if (!rules.IsNull()) Error(f, rules, "", "'rules' must be a list of rules");
      } else {
        for (const auto& rule : rules) rule_nodes_.push_back({f, YAML::Node(), rule});
      }
    }
    if (YAML::Node tests = root["tests"]) {
      if (!tests.IsSequence()) {
        if (!tests.IsNull()) Error(f, tests, "", "'tests' must be a list of tests");
      } else {
        for (const auto& test : tests) test_nodes_.push_back({f, YAML::Node(), test});
      }
    }
  }

  template <typename Container>
  void CollectNamed(const SourceFile* f, const YAML::Node& section, const std::string& what,
                    Container* out) {
    if (!section || section.IsNull()) return;
    if (!section.IsMap()) {
      Error(f, section, "", Quote(what) + " must be a mapping of names to definitions");
      return;
    }
    for (auto it = section.begin(); it != section.end(); ++it) {
      if (!it->first.IsScalar()) {
        Error(f, it->first, "", "names in " + Quote(what) + " must be plain strings");
        continue;
      }
      const std::string& name = it->first.Scalar();
      auto existing = std::find_if(out->begin(), out->end(),
                                   [&](const auto& p) { return p.first == name; });
      if (existing != out->end()) {
        const Named& first = existing->second;
        Error(f, it->first, "", what.substr(0, what.size() - 1) + " " + Quote(name) +
                                    " is already defined at " + first.file->name + ":" +
                                    std::to_string(first.key.Mark().line + 1));
        continue;
      }
      out->push_back({name, Named{f, it->first, it->second}});
    }
  }

  // ---- schedules ----

  void CompileSchedules() {
    for (auto& [name, def] : schedule_nodes_) {
      const SourceFile* f = def.file;
      std::string item = "schedule " + Quote(name);
      Schedule schedule;
      const YAML::Node& node = def.node;
      if (!node.IsMap()) {
        Error(f, node, item, "a schedule must be a mapping with 'timezone' and 'weekly'");
      } else {
        CheckKeys(f, node, kScheduleKeys, item, "a schedule");
        YAML::Node tz = node["timezone"];
        if (!tz || !tz.IsScalar()) {
          Error(f, tz ? tz : node, item, "missing 'timezone' (an IANA name such as America/New_York)");
        } else {
          Status s = schedule.SetTimeZone(tz.Scalar());
          if (!s.ok()) Error(f, tz, item, s.message());
        }
        YAML::Node weekly = node["weekly"];
        if (!weekly || !weekly.IsMap()) {
          Error(f, weekly ? weekly : node, item,
                weekly ? "'weekly' must be a mapping such as mon-fri: [\"09:00-17:00\"]"
                       : "missing 'weekly' (a mapping such as mon-fri: [\"09:00-17:00\"])");
        } else {
          for (auto it = weekly.begin(); it != weekly.end(); ++it) {
            YAML::Node ranges = it->second;
            std::vector<YAML::Node> list;
            if (ranges.IsScalar()) {
              list.push_back(ranges);
            } else if (ranges.IsSequence()) {
              for (const auto& r : ranges) list.push_back(r);
            } else if (!ranges.IsNull()) {
              Error(f, ranges, item, "expected a list of time ranges such as \"09:00-17:00\"");
            }
            for (const auto& r : list) {
              if (!r.IsScalar()) {
                Error(f, r, item, "expected a time range such as \"09:00-17:00\"");
                continue;
              }
              Status s = schedule.AddWeekly(it->first.Scalar(), r.Scalar());
              if (!s.ok()) {
                // Day errors point at the key, range errors at the range.
                bool day_error = s.message().find("day") != std::string::npos;
                Error(f, day_error ? it->first : r, item, s.message());
              }
            }
          }
        }
        if (YAML::Node closed = node["closed"]) {
          if (!closed.IsSequence()) {
            Error(f, closed, item, "'closed' must be a list of dates (YYYY-MM-DD)");
          } else {
            for (const auto& d : closed) {
              Status s = d.IsScalar() ? schedule.AddClosed(d.Scalar())
                                      : Status::InvalidArgument("expected a date (YYYY-MM-DD)");
              if (!s.ok()) Error(f, d, item, s.message());
            }
          }
        }
      }
      rep_->schedule_names.push_back(name);
      rep_->schedules.push_back(std::move(schedule));
    }
  }

  int ScheduleIndex(std::string_view name) const {
    for (size_t i = 0; i < rep_->schedule_names.size(); ++i) {
      if (rep_->schedule_names[i] == name) return static_cast<int>(i);
    }
    return -1;
  }

  template <typename Map>
  static std::vector<std::string_view> Names(const Map& m) {
    std::vector<std::string_view> out;
    for (const auto& entry : m) out.push_back(entry.first);
    return out;
  }

  // ---- conditions ----

  struct CondScope {
    const SourceFile* file;
    std::string item;
    std::set<std::string>* groups;  // named regex groups seen
  };

  // Compiles a macro once; `cycle` is the chain of macros being compiled.
  MacroState* CompileMacro(const std::string& name, std::vector<std::string>* chain) {
    auto it = macros_.find(name);
    if (it == macros_.end()) return nullptr;
    MacroState& m = it->second;
    if (m.state == MacroState::kDone || m.state == MacroState::kFailed) return &m;
    if (m.state == MacroState::kCompiling) return &m;  // caller reports the cycle
    m.state = MacroState::kCompiling;
    std::vector<std::string> local_chain;
    if (chain == nullptr) chain = &local_chain;
    chain->push_back(name);
    size_t errors_before = errors_.size();
    CondScope scope{m.def.file, "macro " + Quote(name), &m.groups};
    m.condition = CompileCondition(scope, m.def.node, chain);
    m.nodes = CountNodes(m.condition);
    chain->pop_back();
    m.state = errors_.size() == errors_before ? MacroState::kDone : MacroState::kFailed;
    return &m;
  }

  static int64_t CountNodes(const Condition& c) {
    int64_t n = 1 + static_cast<int64_t>(c.ops.size());
    for (const Condition& child : c.children) n += CountNodes(child);
    return n;
  }

  // Takes `n` from the file's condition budget; once it is spent, fails (the
  // first failure reports why, at `where`).
  bool TakeConditions(const CondScope& s, const YAML::Node& where, int64_t n) {
    int64_t& used = conditions_used_[s.file];
    const bool spent = used > kConditionBudget;
    used += n;
    if (used <= kConditionBudget) return true;
    if (!spent) {
      Error(s.file, where, s.item,
            "conditions too large: more than " + std::to_string(kConditionBudget) +
                " conditions and operators after expanding aliases and macros (counting all of "
                "this file's rules and macros)");
    }
    return false;
  }

  Condition CompileCondition(const CondScope& s, const YAML::Node& node,
                             std::vector<std::string>* chain) {
    Condition all;
    all.kind = Condition::Kind::kAll;
    if (!TakeConditions(s, node, 1)) return all;
    if (node.IsSequence()) {
      if (node.size() == 0) Error(s.file, node, s.item, "empty condition list");
      for (const auto& item : node) all.children.push_back(CompileCondition(s, item, chain));
    } else if (node.IsMap()) {
      std::set<std::string> seen;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
          Error(s.file, it->first, s.item, "condition keys must be plain names or paths");
          continue;
        }
        if (!seen.insert(it->first.Scalar()).second) {
          Error(s.file, it->first, s.item, "duplicate key " + Quote(it->first.Scalar()));
        }
        all.children.push_back(CompileEntry(s, it->first, it->second, chain));
      }
      if (node.size() == 0) Error(s.file, node, s.item, "empty condition");
    } else {
      Error(s.file, node, s.item,
            "a condition must be a mapping (path: matcher, all:, any:, not:, macro:, "
            "schedule:, event:) or a list of conditions");
    }
    if (all.children.size() == 1) return std::move(all.children[0]);
    return all;
  }

  Condition CompileEntry(const CondScope& s, const YAML::Node& key, const YAML::Node& value,
                         std::vector<std::string>* chain) {
    const std::string& k = key.Scalar();
    Condition c;
    if (!TakeConditions(s, key, 1)) return c;
    if (k == "all" || k == "any") {
      c.kind = k == "all" ? Condition::Kind::kAll : Condition::Kind::kAny;
      if (!value.IsSequence() || value.size() == 0) {
        Error(s.file, value, s.item, Quote(k) + " takes a non-empty list of conditions");
        return c;
      }
      for (const auto& item : value) c.children.push_back(CompileCondition(s, item, chain));
      return c;
    }
    if (k == "not") {
      c.kind = Condition::Kind::kNot;
      c.children.push_back(CompileCondition(s, value, chain));
      return c;
    }
    if (k == "macro") {
      if (!value.IsScalar()) {
        Error(s.file, value, s.item, "'macro' takes the name of a macro");
        return c;
      }
      const std::string& name = value.Scalar();
      if (std::find(chain->begin(), chain->end(), name) != chain->end()) {
        std::string cycle;
        auto start = std::find(chain->begin(), chain->end(), name);
        for (auto i = start; i != chain->end(); ++i) cycle += *i + " -> ";
        Error(s.file, value, s.item, "macro cycle: " + cycle + name);
        return c;
      }
      MacroState* m = CompileMacro(name, chain);
      if (m == nullptr) {
        Error(s.file, value, s.item, "unknown macro " + Quote(name) + DidYouMean(name, Names(macros_)));
        return c;
      }
      if (!TakeConditions(s, value, m->nodes)) return c;
      s.groups->insert(m->groups.begin(), m->groups.end());
      return m->condition;
    }
    if (k == "schedule") {
      c.kind = Condition::Kind::kSchedule;
      if (!value.IsScalar()) {
        Error(s.file, value, s.item, "'schedule' takes the name of a schedule");
        return c;
      }
      c.schedule_name = value.Scalar();
      c.schedule = ScheduleIndex(c.schedule_name);
      if (c.schedule < 0) {
        Error(s.file, value, s.item,
              "unknown schedule " + Quote(c.schedule_name) +
                  DidYouMean(c.schedule_name, {rep_->schedule_names.begin(), rep_->schedule_names.end()}));
        c.kind = Condition::Kind::kAll;  // keeps evaluation safe; the load fails anyway
      }
      return c;
    }
    if (k == "event") {
      c.kind = Condition::Kind::kEvent;
      c.types = EventTypes(s, value);
      return c;
    }
    // A path and its matcher.
    c.kind = Condition::Kind::kPath;
    if (!CompilePathRef(s, key, &c.path, IsMatcherShaped(value))) return c;
    CompileMatcher(s, value, &c);
    return c;
  }

  // A scalar, or a mapping of operators: what follows a path, never what
  // follows `all`, `any` or `not`.
  static bool IsMatcherShaped(const YAML::Node& value) {
    if (value.IsScalar() || value.IsNull()) return true;
    if (!value.IsMap() || value.size() == 0) return false;
    for (const auto& entry : value) {
      const YAML::Node& k = entry.first;
      if (!k.IsScalar() ||
          std::find(kOperators.begin(), kOperators.end(), k.Scalar()) == kOperators.end()) {
        return false;
      }
    }
    return true;
  }

  // `matcher_shaped`: the path's value is a matcher (IsMatcherShaped).
  bool CompilePathRef(const CondScope& s, const YAML::Node& key, PathRef* out,
                      bool matcher_shaped) {
    const std::string& text = key.Scalar();
    auto path = ParsePath(text);
    if (!path.ok()) {
      Error(s.file, key, s.item, path.status().message());
      return false;
    }
    out->path = std::move(path.value());
    const auto& seg = out->path.segments;
    if (seg[0].key == "facts") {
      if (seg.size() != 2 || seg[1].index >= 0) {
        Error(s.file, key, s.item, "a fact path is 'facts.NAME', not " + Quote(text));
        return false;
      }
      auto fact = FactFromName(seg[1].key);
      if (!fact) {
        Error(s.file, key, s.item, "unknown fact " + Quote(seg[1].key) + DidYouMean(seg[1].key, FactNames()));
        return false;
      }
      out->fact = static_cast<int>(*fact);
    } else if (seg[0].key == "vars" && seg.size() >= 2 && seg[1].index < 0 &&
               (rep_->vars.Find(seg[1].key) || VarDefined(seg[1].key))) {
      // A condition path reads the event: `vars.company` would look for a
      // "vars" field in it and never hold, silently. (A path into a var of
      // no such name stays an event path: generic sources name their fields.)
      Error(s.file, key, s.item,
            "vars are not available in conditions: " + Quote(text) +
                " would read the event's own 'vars' field (compare an event path with "
                "the value written out)");
      return false;
    } else if (std::find(kConditionKeys.begin(), kConditionKeys.end(), seg[0].key) ==
                   kConditionKeys.end() &&
               seg.size() == 1) {
      // A bare word that is no envelope key and is close to a keyword is most
      // likely that keyword misspelt, unless what follows could only follow a
      // path (a generic event's field `note: x`, not `not:`); `schedule`,
      // `macro` and `event` take a scalar as a path may, so near them it stays
      // an error.
      static const std::vector<std::string_view> kEnvelope = {"id", "type", "object", "apiVersion",
                                                              "createdAt", "data"};
      if (std::find(kEnvelope.begin(), kEnvelope.end(), seg[0].key) == kEnvelope.end()) {
        std::string hint = Closest(seg[0].key, kConditionKeys);
        const bool takes_condition = hint == "all" || hint == "any" || hint == "not";
        if (!hint.empty() && !(takes_condition && matcher_shaped)) {
          Error(s.file, key, s.item, "unknown condition " + Quote(seg[0].key) + " (did you mean '" + hint + "'?)");
          return false;
        }
      }
    }
    return true;
  }

  std::vector<std::string> EventTypes(const CondScope& s, const YAML::Node& value) {
    std::vector<std::string> types;
    auto add = [&](const YAML::Node& n) {
      if (!n.IsScalar() || n.Scalar().empty()) {
        Error(s.file, n, s.item, "an event type must be a non-empty string such as message.received");
        return;
      }
      const std::string& type = n.Scalar();
      // Rules match facts.type, where an OpenPhone event's legacy callSummary
      // and callTranscript have their canonical names: such a rule means
      // those, and the name as written, which a generic source keeps.
      const std::string_view canonical = CanonicalType(type);
      if (canonical != type) {
        types.emplace_back(canonical);
      } else if (auto known = OpenPhoneTypeIgnoringCase(type); known && *known != type) {
        // Types are case-sensitive: OpenPhone's in another case match none of its events.
        Error(s.file, n, s.item,
              "event type " + Quote(type) + " matches no OpenPhone event: types are "
              "case-sensitive (did you mean '" + std::string(*known) + "'?)");
        return;
      }
      types.push_back(type);
    };
    if (value.IsSequence()) {
      for (const auto& n : value) add(n);
      if (value.size() == 0) Error(s.file, value, s.item, "'event' needs at least one type");
    } else {
      add(value);
    }
    return types;
  }

  void CompileMatcher(const CondScope& s, const YAML::Node& value, Condition* c) {
    if (value.IsScalar() || value.IsNull()) {
      Operator op;
      op.kind = OpKind::kEquals;
      op.arg = ScalarToValue(value);
      op.text = "equals " + op.arg.ToJson();
      if (CheckFactArgument(s, c->path, "equals", value, value, op)) c->ops.push_back(std::move(op));
      return;
    }
    if (!value.IsMap()) {
      Error(s.file, value, s.item,
            "a matcher is a value (for equals) or a mapping of operators such as "
            "{ matches: '...' }");
      return;
    }
    if (YAML::Node ic = value["ignore_case"]) {
      if (!YamlBool(ic, &c->ignore_case)) Error(s.file, ic, s.item, "'ignore_case' takes true or false");
    }
    std::set<std::string> seen;
    size_t operators = 0;  // written, valid or not
    for (auto it = value.begin(); it != value.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: it-> yields a temporary
      const YAML::Node arg = it->second;
      std::string name = key.IsScalar() ? key.Scalar() : "";
      if (!seen.insert(name).second) Error(s.file, key, s.item, "duplicate operator " + Quote(name));
      if (name == "ignore_case") continue;
      ++operators;
      if (!TakeConditions(s, key, 1)) return;
      Operator op;
      if (!CompileOperator(s, key, arg, c->ignore_case, &op)) continue;
      if (!CheckFactArgument(s, c->path, name, key, arg, op)) continue;
      c->ops.push_back(std::move(op));
    }
    if (value.size() == 0) {
      Error(s.file, value, s.item, "empty matcher");
    } else if (operators == 0) {
      // `{ ignore_case: true }` alone would test nothing and always hold.
      Error(s.file, value, s.item, "matcher has no operator, only 'ignore_case'");
    }
  }

  // Facts have known types (docs/rules.md, "facts"): missed and voicemail are
  // booleans, the others strings. An operator or argument that can never match
  // the fact's type (nor, negated, ever fail) is a mistake that would otherwise
  // pass unnoticed: `facts.missed: "true"` or `facts.contact: 15555550100`.
  // `exists` suits every fact; so do the string operators on string facts
  // (`contains: 555` looks for the text), and gt..lte with an ISO 8601 time.
  bool CheckFactArgument(const CondScope& s, const PathRef& path, const std::string& op_name,
                         const YAML::Node& key, const YAML::Node& arg, const Operator& op) {
    if (path.fact < 0 || op.kind == OpKind::kExists) return true;
    const Fact fact = static_cast<Fact>(path.fact);
    const bool boolean = fact == Fact::kMissed || fact == Fact::kVoicemail;
    const std::string fact_name = "facts." + std::string(FactName(fact));
    const bool in = op.kind == OpKind::kIn || op.kind == OpKind::kNotIn;
    if (!in && op.kind != OpKind::kEquals && op.kind != OpKind::kNotEquals) {
      const bool ordering = op.kind == OpKind::kGt || op.kind == OpKind::kGte ||
                            op.kind == OpKind::kLt || op.kind == OpKind::kLte;
      if (boolean) {
        // The string operators see no text in a boolean: the negated ones
        // (not_matches, not_contains) always hold, the others never.
        const bool negated = op.kind == OpKind::kNotMatches || op.kind == OpKind::kNotContains;
        Error(s.file, key, s.item,
              fact_name + " is true or false: " + Quote(op_name) +
                  (negated ? " always holds for it" : " never holds for it") +
                  " (write true or false, or use not_equals or exists)");
        return false;
      }
      if (!ordering || op.is_time) return true;
      Error(s.file, arg, s.item,
            fact_name + " is a string: " + Quote(op_name) +
                " compares it only with an ISO 8601 time, never with a number");
      return false;
    }
    // Each argument and where it was written; a named list's items, at its name.
    std::vector<std::pair<Value, YAML::Node>> args;
    if (!in) {
      args.emplace_back(op.arg, arg);
    } else if (arg.IsSequence()) {
      for (const auto& item : arg) {
        // A mapping or list item is reported as such where the list is read.
        if (!item.IsMap() && !item.IsSequence()) args.emplace_back(ScalarToValue(item), item);
      }
    } else {
      for (const Value& item : op.list) args.emplace_back(item, arg);
    }
    bool ok = true;
    for (const auto& [value, where] : args) {
      if (boolean ? value.is_bool() : value.is_string()) continue;
      const bool named_list = in && !arg.IsSequence();
      std::string message = fact_name + (boolean ? " is true or false" : " is a string") +
                            (named_list ? ", but list " + Quote(arg.Scalar()) + " holds "
                                        : ", never ");
      if (value.is_null()) {
        message += "null (a fact that does not apply is absent: use exists: false)";
      } else if (boolean) {
        message += Describe(value, where, named_list) + BooleanHint(value, where);
      } else {
        message += Describe(value, where, named_list) + ": quote it (\"" +
                   (named_list || !where.IsScalar() ? value.ToText() : where.Scalar()) + "\")";
      }
      Error(s.file, where, s.item, message);
      ok = false;
      if (named_list) break;  // one report per list
    }
    return ok;
  }

  // "the number 15555550100", "the string 'x'", "true": an argument as YAML typed it.
  static std::string Describe(const Value& value, const YAML::Node& where, bool named_list) {
    if (value.is_number()) {
      return "the number " + (named_list || !where.IsScalar() ? value.ToText() : where.Scalar());
    }
    if (value.is_bool()) return "the boolean " + value.ToText();
    return "the string " + value.ToJson();
  }

  // Why a string that reads like a boolean is not one.
  static std::string BooleanHint(const Value& value, const YAML::Node& where) {
    if (!value.is_string()) return ": write true or false";
    std::string lower = value.as_string();
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if ((lower == "true" || lower == "false") && where.IsScalar() && !IsPlainScalar(where)) {
      return " (quoted, it is text): write " + lower + " without quotes";
    }
    if (lower == "yes" || lower == "no" || lower == "on" || lower == "off" || lower == "y" ||
        lower == "n") {
      return " (YAML 1.2 reads only true and false as booleans): write " +
             std::string(lower == "yes" || lower == "on" || lower == "y" ? "true" : "false");
    }
    return ": write true or false";
  }

  bool ScalarArg(const CondScope& s, const YAML::Node& arg, const std::string& name, Value* out) {
    if (!arg.IsScalar() && !arg.IsNull()) {
      Error(s.file, arg, s.item, Quote(name) + " takes a single value (string, number, true/false or null)");
      return false;
    }
    *out = ScalarToValue(arg);
    return true;
  }

  bool CompileOperator(const CondScope& s, const YAML::Node& key, const YAML::Node& arg,
                       bool ignore_case, Operator* op) {
    static const std::unordered_map<std::string, OpKind> kKinds = {
        {"equals", OpKind::kEquals},       {"not_equals", OpKind::kNotEquals},
        {"in", OpKind::kIn},               {"not_in", OpKind::kNotIn},
        {"matches", OpKind::kMatches},     {"not_matches", OpKind::kNotMatches},
        {"contains", OpKind::kContains},   {"not_contains", OpKind::kNotContains},
        {"starts_with", OpKind::kStartsWith}, {"ends_with", OpKind::kEndsWith},
        {"exists", OpKind::kExists},       {"gt", OpKind::kGt},
        {"gte", OpKind::kGte},             {"lt", OpKind::kLt},
        {"lte", OpKind::kLte}};
    const std::string name = key.IsScalar() ? key.Scalar() : "";
    auto kind = kKinds.find(name);
    if (kind == kKinds.end()) {
      Error(s.file, key, s.item, "unknown operator " + Quote(name) + DidYouMean(name, kOperators));
      return false;
    }
    op->kind = kind->second;
    switch (op->kind) {
      case OpKind::kEquals:
      case OpKind::kNotEquals:
      case OpKind::kContains:
      case OpKind::kNotContains:
        if (!ScalarArg(s, arg, name, &op->arg)) return false;
        op->text = name + " " + op->arg.ToJson();
        return true;
      case OpKind::kStartsWith:
      case OpKind::kEndsWith:
        if (!arg.IsScalar()) {
          Error(s.file, arg, s.item, Quote(name) + " takes a string");
          return false;
        }
        op->arg = Value(arg.Scalar());
        op->text = name + " " + op->arg.ToJson();
        return true;
      case OpKind::kIn:
      case OpKind::kNotIn: {
        if (arg.IsScalar()) {
          auto list = lists_.find(arg.Scalar());
          if (list == lists_.end()) {
            Error(s.file, arg, s.item, "unknown list " + Quote(arg.Scalar()) + DidYouMean(arg.Scalar(), Names(lists_)));
            return false;
          }
          op->list = list->second;
          op->text = name + " list " + arg.Scalar();
          return true;
        }
        if (!arg.IsSequence()) {
          Error(s.file, arg, s.item, Quote(name) + " takes a list of values or the name of a list");
          return false;
        }
        for (const auto& item : arg) {
          Value v;
          if (ScalarArg(s, item, name, &v)) op->list.push_back(std::move(v));
        }
        op->text = name + " " + Value(Value::Array(op->list)).ToJson();
        return true;
      }
      case OpKind::kMatches:
      case OpKind::kNotMatches: {
        if (!arg.IsScalar()) {
          Error(s.file, arg, s.item, Quote(name) + " takes a regular expression (RE2 syntax)");
          return false;
        }
        op->pattern = arg.Scalar();
        // One RE2 per pattern: aliases and macros repeat them.
        std::shared_ptr<const RE2>& re = regexes_[{op->pattern, ignore_case}];
        if (re == nullptr) {
          RE2::Options options;
          options.set_log_errors(false);
          options.set_case_sensitive(!ignore_case);
          re = std::make_shared<const RE2>(op->pattern, options);
        }
        if (!re->ok()) {
          Error(s.file, arg, s.item,
                "invalid regular expression " + Quote(op->pattern) + ": " + re->error() +
                    RegexHint(re->error_arg(), op->pattern));
          return false;
        }
        for (const auto& [index, group] : re->CapturingGroupNames()) s.groups->insert(group);
        op->named_groups = !re->CapturingGroupNames().empty();
        op->regex = re;
        op->text = name + " '" + op->pattern + "'";
        return true;
      }
      case OpKind::kExists:
        if (!YamlBool(arg, &op->exists)) {
          Error(s.file, arg, s.item, "'exists' takes true or false");
          return false;
        }
        op->text = std::string("exists ") + (op->exists ? "true" : "false");
        return true;
      case OpKind::kGt:
      case OpKind::kGte:
      case OpKind::kLt:
      case OpKind::kLte: {
        if (std::optional<Value> number = YamlNumberValue(arg)) {
          op->number = NumberOf(*number);
          op->text = name + " " + number->ToJson();
          return true;
        }
        if (arg.IsScalar()) {
          auto t = ParseIsoTime(arg.Scalar());
          if (t.ok()) {
            op->is_time = true;
            op->time_ms = t->time_since_epoch().count();
            op->text = name + " " + arg.Scalar();
            return true;
          }
        }
        Error(s.file, arg, s.item, Quote(name) + " takes a number or an ISO 8601 time");
        return false;
      }
    }
    return false;
  }

  // ---- templates ----

  // Compiles a template found in `node` and checks what it references.
  std::optional<Template> CompileTemplate(const CondScope& s, const YAML::Node& node,
                                          Template::Mode mode, const std::string& text,
                                          bool* uses_env = nullptr) {
    // Every error of the template, each at its place: its syntax (up to an
    // error that leaves the rest unreadable), then what it references.
    std::vector<Template::Error> errors;
    Template t = Template::ParseAll(text, mode, &errors);
    for (const Template::Error& e : errors) {
      Error(s.file, MarkOf(s.file, node, e.offset), s.item, e.message);
    }
    for (const Template::Reference& ref : t.references()) {
      std::string problem = ContextReferenceProblem(ref);
      std::string first = ref.rest.substr(0, ref.rest.find_first_of(".["));
      if (ref.root == "vars" && !ref.rest.empty()) {
        if (!rep_->vars.Find(first) && !VarDefined(first)) {
          problem = "undefined variable " + Quote(first) + DidYouMean(first, Names(var_nodes_));
        }
      } else if (ref.root == "captures") {
        // `captures` alone is all of them (an object; `{{ captures | json }}`).
        if (!ref.rest.empty() && !s.groups->count(first)) {
          std::vector<std::string_view> groups(s.groups->begin(), s.groups->end());
          problem = "no named group " + Quote(ref.rest) +
                    " in this rule's 'matches' patterns" + DidYouMean(first, groups);
        }
      } else if (ref.root == "env") {
        if (uses_env) *uses_env = true;
        if (!ref.rest.empty()) rep_->env_names.insert(ref.rest);
      }
      if (!problem.empty()) {
        Error(s.file, MarkOf(s.file, node, ref.offset), s.item, problem);
      }
    }
    // A reference error leaves the template whole: the load fails, but the
    // action's other parameters are still checked.
    if (!errors.empty()) return std::nullopt;
    return t;
  }

  bool VarDefined(const std::string& name) const {
    return std::any_of(var_nodes_.begin(), var_nodes_.end(),
                       [&](const auto& v) { return v.first == name; });
  }

  // The number of bytes UTF-8 takes for the code point written in hex at
  // `hex` (`digits` of them), as a double-quoted escape gives it.
  static size_t Utf8BytesOfHex(const std::string& line, size_t hex, size_t digits) {
    if (hex + digits > line.size()) return 1;
    unsigned long code = 0;
    for (size_t i = hex; i < hex + digits; ++i) {
      const char c = line[i];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return 1;
      code = code * 16 + static_cast<unsigned long>(d);
    }
    return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }

  // Where byte `offset` of a flow scalar's text (plain, 'single' or "double"
  // quoted; mark at its first character) is in its file, walking the source
  // as YAML reads it: '' is one quote, a double-quoted escape gives the bytes
  // of its character (a byte inside one is placed at the escape), a line
  // break folds into one space (blank lines into a line break each) with the
  // whitespace around it dropped, and an escaped line break into nothing.
  static YAML::Mark FlowMarkOf(const SourceFile& file, YAML::Mark mark, size_t offset) {
    const std::vector<std::string>& lines = file.lines;
    size_t l = static_cast<size_t>(mark.line);
    size_t c = static_cast<size_t>(mark.column);
    const char quote = lines[l][c];
    const bool single = quote == '\'', dbl = quote == '"';
    if (single || dbl) ++c;
    auto here = [&] {
      YAML::Mark m = mark;
      m.line = static_cast<int>(l);
      m.column = static_cast<int>(c);
      return m;
    };
    // The first non-blank column of the next line that has one; false when none.
    auto next_content = [&](size_t from, size_t* blank_lines) {
      *blank_lines = 0;
      for (size_t n = from; n < lines.size(); ++n) {
        const size_t first = lines[n].find_first_not_of(" \t");
        if (first != std::string::npos) {
          l = n;
          c = first;
          return true;
        }
        ++*blank_lines;
      }
      return false;
    };
    size_t value = 0;  // bytes of the text before (l, c)
    while (l < lines.size()) {
      const std::string& line = lines[l];
      if (c >= line.size() || line.find_first_not_of(" \t", c) == std::string::npos) {
        size_t blanks = 0;  // a line break, its trailing whitespace dropped
        if (!next_content(l + 1, &blanks)) return mark;
        value += blanks > 0 ? blanks : 1;
        if (value > offset) return here();  // within the folded break
        continue;
      }
      if (value >= offset) return here();
      const char ch = line[c];
      if ((dbl && ch == '"') || (single && ch == '\'' &&
                                 (c + 1 >= line.size() || line[c + 1] != '\''))) {
        return here();  // the closing quote: the offset is past the text
      }
      if (single && ch == '\'') {
        c += 2;
        value += 1;
        continue;
      }
      if (dbl && ch == '\\') {
        if (c + 1 >= line.size()) {  // an escaped line break: nothing
          size_t blanks = 0;
          if (!next_content(l + 1, &blanks)) return mark;
          continue;
        }
        size_t length = 2, bytes = 1;
        switch (line[c + 1]) {
          case 'x': length = 4; bytes = Utf8BytesOfHex(line, c + 2, 2); break;
          case 'u': length = 6; bytes = Utf8BytesOfHex(line, c + 2, 4); break;
          case 'U': length = 10; bytes = Utf8BytesOfHex(line, c + 2, 8); break;
          case 'N': case '_': bytes = 2; break;   // U+0085, U+00A0
          case 'L': case 'P': bytes = 3; break;   // U+2028, U+2029
          default: break;
        }
        if (offset < value + bytes) return here();
        value += bytes;
        c += length;
        continue;
      }
      ++value;
      ++c;
    }
    return mark;
  }

  // Where byte `offset` of a scalar's text is in its file. A block scalar's
  // text starts on the line after its indicator: `|` keeps the lines, `>` joins
  // them with spaces and turns each blank line of a run into a line break; each
  // line loses the block's indentation (the indicator's digit, or the first
  // non-blank line's). The offset is found by walking those lines. A flow
  // scalar is walked by FlowMarkOf.
  static YAML::Mark MarkOf(const SourceFile* file, const YAML::Node& node, size_t offset) {
    YAML::Mark mark = node.Mark();
    if (file == nullptr || mark.line < 0 || mark.line >= static_cast<int>(file->lines.size()) ||
        mark.column < 0 || static_cast<size_t>(mark.column) >= file->lines[mark.line].size()) {
      return mark;
    }
    const std::string& header = file->lines[mark.line];
    const char indicator = header[mark.column];
    if (indicator != '|' && indicator != '>') return FlowMarkOf(*file, mark, offset);
    int indent = -1;  // the block's
    for (size_t i = mark.column + 1; i < header.size() && i <= mark.column + 2u; ++i) {
      if (header[i] >= '1' && header[i] <= '9') {
        indent = static_cast<int>(header.find_first_not_of(' ')) + (header[i] - '0');
      }
    }
    size_t consumed = 0;  // bytes of `text` before the current line
    bool after_content = false;  // in `>`, the break after a content line is counted
    bool prev_blank = false;
    for (size_t l = mark.line + 1; l < file->lines.size(); ++l) {
      const std::string& source = file->lines[l];
      const size_t first = source.find_first_not_of(' ');
      const bool blank = first == std::string::npos;
      if (!blank && indent < 0) indent = static_cast<int>(first);
      if (!blank && static_cast<int>(first) < indent) break;  // the block ended
      if (blank && (indent < 0 || static_cast<int>(source.size()) <= indent)) {
        // An empty line: a "\n" of its own, except in `>` the first one after
        // a content line, whose break that line already counted.
        if (indicator == '|' || !after_content || prev_blank) ++consumed;
        prev_blank = true;
        continue;
      }
      const size_t length = source.size() - static_cast<size_t>(indent);
      if (offset <= consumed + length) {
        mark.line = static_cast<int>(l);
        mark.column = indent + static_cast<int>(offset - consumed);
        return mark;
      }
      consumed += length + 1;
      after_content = true;
      prev_blank = false;
    }
    return mark;
  }

  // ---- actions ----

  bool CompileParamTree(const CondScope& s, const YAML::Node& node, bool secret,
                        ParamTree* out) {
    out->secret = secret;
    if (node.IsMap()) {
      out->kind = ParamTree::Kind::kObject;
      for (auto it = node.begin(); it != node.end(); ++it) {
        ParamTree child;
        if (!CompileParamTree(s, it->second, secret, &child)) return false;
        out->members.emplace_back(it->first.Scalar(), std::move(child));
      }
      return true;
    }
    if (node.IsSequence()) {
      out->kind = ParamTree::Kind::kArray;
      for (const auto& item : node) {
        ParamTree child;
        if (!CompileParamTree(s, item, secret, &child)) return false;
        out->items.push_back(std::move(child));
      }
      return true;
    }
    if (node.IsNull()) {
      out->kind = ParamTree::Kind::kScalar;
      return true;
    }
    double d;
    bool b;
    if (YamlNumber(node, &d) || YamlBool(node, &b)) {
      out->kind = ParamTree::Kind::kScalar;
      out->scalar = ScalarToValue(node);
      return true;
    }
    bool uses_env = false;
    auto t = CompileTemplate(s, node, Template::Mode::kText, node.Scalar(), &uses_env);
    if (!t) return false;
    out->kind = ParamTree::Kind::kTemplate;
    out->tpl = std::move(t);
    out->secret = secret || uses_env;
    return true;
  }

  static bool IsSecretHeader(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    return lower == "authorization" || lower == "proxy-authorization" || lower == "x-api-key" ||
           lower == "api-key" || lower == "cookie";
  }

  bool CompileParam(const CondScope& s, const ParamSpec& spec, const YAML::Node& node,
                    ParamTree* tree, Value* written) {
    using Kind = ParamSpec::Kind;
    const std::string what = "parameter " + Quote(spec.name);
    // A secret parameter of any kind is redacted for display, a literal or a
    // number as much as a template (below, also what uses env.*).
    tree->secret = spec.secret;
    // (A default is no node of the file: RegisterAction checked it.)
    if (default_of_ == nullptr && !NoDuplicateKeys(s.file, node, s.item, what)) return false;
    switch (spec.kind) {
      case Kind::kTemplate:
      case Kind::kUrl: {
        if (!node.IsScalar()) {
          Error(s.file, node, s.item, what + " must be a string");
          return false;
        }
        const std::string& text = node.Scalar();
        *written = Value(text);
        bool uses_env = false;
        auto mode = spec.kind == Kind::kUrl ? Template::Mode::kUrl : Template::Mode::kText;
        auto t = CompileTemplate(s, node, mode, text, &uses_env);
        if (!t) return false;
        if (spec.kind == Kind::kUrl) {
          std::string problem = UrlTemplateProblem(*t, what);
          if (!problem.empty()) {
            Error(s.file, node, s.item, problem);
            return false;
          }
        }
        tree->kind = ParamTree::Kind::kTemplate;
        tree->tpl = std::move(t);
        tree->secret = spec.secret || uses_env;
        return true;
      }
      case Kind::kLiteral:
      case Kind::kPath:
        if (!node.IsScalar()) {
          Error(s.file, node, s.item, what + " must be a string");
          return false;
        }
        if (node.Scalar().find("{{") != std::string::npos) {
          Error(s.file, node, s.item, what + " cannot be a template");
          return false;
        }
        *written = Value(spec.kind == Kind::kPath ? RelativeTo(s.file, node.Scalar())
                                                  : node.Scalar());
        tree->kind = ParamTree::Kind::kScalar;
        tree->scalar = *written;
        return true;
      case Kind::kDuration: {
        auto d = node.IsScalar() ? ParseDuration(node.Scalar())
                                 : Result<std::chrono::milliseconds>(
                                       Status::InvalidArgument("expected a duration such as 10s"));
        if (!d.ok()) {
          Error(s.file, node, s.item, what + ": " + d.status().message());
          return false;
        }
        *written = Value(node.Scalar());
        tree->kind = ParamTree::Kind::kScalar;
        tree->scalar = Value(static_cast<double>(d->count()) / 1000.0);
        return true;
      }
      case Kind::kIntList: {
        Value::Array codes;
        auto add = [&](const YAML::Node& n) {
          double d;
          if (!YamlNumber(n, &d) || d != std::floor(d) ||
              d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max()) {
            Error(s.file, n, s.item, what + " takes whole numbers");
            return false;
          }
          codes.push_back(Value(d));
          return true;
        };
        if (node.IsSequence()) {
          if (node.size() == 0) {
            Error(s.file, node, s.item, what + " needs at least one (leave it out for the default)");
            return false;
          }
          for (const auto& n : node) {
            if (!add(n)) return false;
          }
        } else if (!add(node)) {
          return false;
        }
        *written = Value(codes);
        tree->kind = ParamTree::Kind::kScalar;
        tree->scalar = *written;
        return true;
      }
      case Kind::kTemplateMap: {
        if (!node.IsMap()) {
          Error(s.file, node, s.item, what + " must be a mapping of names to values");
          return false;
        }
        Value map{Value::Object()};
        tree->kind = ParamTree::Kind::kObject;
        bool ok = true;
        for (auto it = node.begin(); it != node.end(); ++it) {
          if (!it->first.IsScalar() || !(it->second.IsScalar() || it->second.IsNull())) {
            Error(s.file, it->second, s.item, what + ": each value must be a single value");
            // Still named for the checks of the names (it is there, not missing).
            if (it->first.IsScalar()) map.Set(it->first.Scalar(), Value(""));
            ok = false;
            continue;
          }
          const std::string& name = it->first.Scalar();
          map.Set(name, Value(it->second.IsNull() ? "" : it->second.Scalar()));
          ParamTree child;
          if (!CompileParamTree(s, it->second, spec.secret || IsSecretHeader(name), &child)) {
            ok = false;
            continue;
          }
          if (child.kind == ParamTree::Kind::kScalar) {  // numbers and booleans as text
            Template literal = *Template::Parse(it->second.IsNull() ? "" : it->second.Scalar());
            child.kind = ParamTree::Kind::kTemplate;
            child.tpl = std::move(literal);
          }
          tree->members.emplace_back(name, std::move(child));
        }
        *written = std::move(map);
        return ok;
      }
      case Kind::kAny:
        // Converted first: its budget also bounds the tree walked next.
        return ToValue(s.file, node, s.item, node, written) &&
               CompileParamTree(s, node, spec.secret, tree);
    }
    return false;
  }

  // Where a parameter (or the entry `member` of a mapping parameter) was
  // written; the action's key when it was not.
  static YAML::Node ParamNode(const YAML::Node& key, const YAML::Node& params,
                              const std::string& name, const std::string& member) {
    if (!params.IsMap() || !params[name]) return key;
    YAML::Node param = params[name];
    if (!member.empty() && param.IsMap()) {
      for (auto it = param.begin(); it != param.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == member) return it->first;
      }
    }
    return param;
  }

  void CompileAction(const CondScope& s, const YAML::Node& node, std::vector<CompiledAction>* out) {
    if (!node.IsMap() || node.size() != 1) {
      Error(s.file, node, s.item,
            "an action is a mapping with one key, the action type, e.g. 'log: { message: ... }'");
      return;
    }
    auto entry = node.begin();
    const YAML::Node key = entry->first;  // a copy: entry-> yields a temporary
    const YAML::Node params = entry->second;
    std::string type = key.Scalar();
    auto impl = actions_.find(type);
    if (impl == actions_.end()) {
      Error(s.file, key, s.item, "unknown action type " + Quote(type) + DidYouMean(type, Names(actions_)));
      return;
    }
    CondScope scope{s.file, s.item + " action " + Quote(type), s.groups};
    if (!params.IsMap() && !params.IsNull()) {
      Error(s.file, params, scope.item, "action parameters must be a mapping");
      return;
    }
    std::vector<ParamSpec> specs;
    Status listed = CallUserCode([&] {
      specs = impl->second->params();
      return Status::OK();
    });
    if (!listed.ok()) {
      Error(s.file, key, scope.item, "cannot list the parameters: " + listed.message());
      return;
    }
    std::vector<std::string_view> names;
    for (const ParamSpec& spec : specs) names.push_back(spec.name);
    CompiledAction action;
    action.type = type;
    action.impl = impl->second;
    Value written{Value::Object()};
    bool ok = true;
    std::set<std::string> seen;
    if (params.IsMap()) {
      for (auto it = params.begin(); it != params.end(); ++it) {
        const std::string name = it->first.Scalar();
        if (!seen.insert(name).second) {
          Error(s.file, it->first, scope.item, "duplicate parameter " + Quote(name));
          ok = false;
          continue;
        }
        auto spec = std::find_if(specs.begin(), specs.end(),
                                 [&](const ParamSpec& p) { return p.name == name; });
        if (spec == specs.end()) {
          Error(s.file, it->first, scope.item, "unknown parameter " + Quote(name) + DidYouMean(name, names));
          ok = false;
          continue;
        }
        ParamTree tree;
        Value value;
        if (!CompileParam(scope, *spec, it->second, &tree, &value)) {
          // What was read is still checked (a mapping's other entries, say).
          if (!value.is_null()) written.Set(name, value);
          ok = false;
          continue;
        }
        written.Set(name, value);
        action.params.emplace_back(name, std::move(tree));
      }
    }
    for (const ParamSpec& spec : specs) {
      if (seen.count(spec.name)) continue;
      if (spec.required) {
        Error(s.file, key, scope.item, "missing required parameter " + Quote(spec.name));
        ok = false;
        continue;
      }
      if (spec.default_value.empty()) continue;
      YAML::Node def(spec.default_value);
      ParamTree tree;
      Value value;
      const DefaultOf default_of{key, spec.name};
      default_of_ = &default_of;
      const bool compiled = CompileParam(scope, spec, def, &tree, &value);
      default_of_ = nullptr;
      if (compiled) action.params.emplace_back(spec.name, std::move(tree));
    }
    std::vector<ParamProblem> problems;
    if (const auto* builtin = dynamic_cast<const BuiltinActionType*>(impl->second.get())) {
      builtin->ValidateAll(written, &problems);  // also when a parameter failed: all are shown
    } else if (ok) {
      Status valid = CallUserCode([&] { return impl->second->Validate(written); });
      if (!valid.ok()) {
        // Point at the parameter when the message names one.
        const std::string& m = valid.message();
        const std::string prefix = "parameter '";
        std::string name;
        if (m.rfind(prefix, 0) == 0) {
          name = m.substr(prefix.size(), m.find('\'', prefix.size()) - prefix.size());
        }
        problems.push_back({name, "", m});
      }
    }
    for (const ParamProblem& p : problems) {
      Error(s.file, ParamNode(key, params, p.param, p.member), scope.item, p.message);
    }
    if (!ok || !problems.empty()) return;
    out->push_back(std::move(action));
  }

  // ---- rules ----

  void CompileRule(const Named& def) {
    const SourceFile* f = def.file;
    const YAML::Node& node = def.node;
    if (!node.IsMap()) {
      Error(f, node, "", "a rule must be a mapping with 'id', 'event' and 'actions'");
      return;
    }
    CompiledRule rule;
    rule.file = f->name;
    rule.line = node.Mark().line + 1;
    rule.order = static_cast<int>(rep_->rules.size());
    std::string item = "rule";
    YAML::Node id = node["id"];
    if (!id || !id.IsScalar()) {
      Error(f, node, item, "missing required key 'id'");
    } else {
      rule.id = id.Scalar();
      item = "rule " + Quote(rule.id);
      if (!ValidRuleId(rule.id)) {
        Error(f, id, item, "invalid rule id (use lowercase letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit)");
      }
      auto seen = rule_ids_.find(rule.id);
      if (seen != rule_ids_.end()) {
        Error(f, id, item, "duplicate rule id (first defined at " + seen->second + ")");
      } else {
        rule_ids_[rule.id] = f->name + ":" + std::to_string(id.Mark().line + 1);
      }
    }
    CheckKeys(f, node, kRuleKeys, item, "a rule");
    std::set<std::string> groups;
    CondScope scope{f, item, &groups};
    if (YAML::Node d = node["description"]) {
      if (d.IsScalar()) rule.description = d.Scalar();
      else Error(f, d, item, "'description' must be a string");
    }
    YAML::Node event = node["event"];
    if (!event) {
      Error(f, node, item, "missing required key 'event' (a type such as message.received, a "
                           "list of types, or a glob such as call.*)");
    } else {
      rule.events = EventTypes(scope, event);
    }
    if (YAML::Node when = node["when"]) {
      if (!when.IsNull()) {
        std::vector<std::string> chain;
        rule.when = CompileCondition(scope, when, &chain);
        rule.has_when = true;
      }
    }
    if (YAML::Node p = node["priority"]) {
      WholeNumber(f, p, item, "'priority'", std::numeric_limits<int>::min(), &rule.priority);
    }
    if (YAML::Node st = node["stop"]) {
      if (!YamlBool(st, &rule.stop)) Error(f, st, item, "'stop' takes true or false");
    }
    if (YAML::Node en = node["enabled"]) {
      if (!YamlBool(en, &rule.enabled)) Error(f, en, item, "'enabled' takes true or false");
    }
    if (YAML::Node throttle = node["throttle"]) CompileThrottle(scope, throttle, &rule);
    YAML::Node actions = node["actions"];
    if (!actions) {
      Error(f, node, item, "missing required key 'actions'");
    } else if (!actions.IsSequence() || actions.size() == 0) {
      Error(f, actions, item, "'actions' must be a non-empty list");
    } else {
      for (const auto& a : actions) CompileAction(scope, a, &rule.actions);
    }
    rep_->rules.push_back(std::move(rule));
  }

  // Reads a whole number from `min` to INT_MAX into *out. A leading '+' is
  // allowed (YAML 1.2 reads `+5` as an integer; only phone-number-like values
  // elsewhere keep it as text).
  bool WholeNumber(const SourceFile* f, const YAML::Node& node, const std::string& item,
                   const std::string& what, int min, int* out) {
    constexpr int kMax = std::numeric_limits<int>::max();
    const std::string range = " from " + std::to_string(min) + " to " + std::to_string(kMax);
    double d;
    bool number = YamlNumber(node, &d);
    // Signed digits that YAML reads as text are a number here: "+5" (a leading
    // '+' keeps text, for phone numbers) and an integer too long for 64 bits
    // (out of range below).
    if (!number && IsPlainScalar(node)) {
      const std::string& text = node.Scalar();
      const size_t digits = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
      if (text.size() > digits && text.find_first_not_of("0123456789", digits) == std::string::npos) {
        d = std::strtod(text.c_str(), nullptr);
        number = true;
      }
    }
    if (!number || d != std::floor(d)) {
      Error(f, node, item, what + " must be a whole number" + range);
      return false;
    }
    if (d < min || d > kMax) {
      Error(f, node, item, what + " " + node.Scalar() + " is out of range: it must be" + range);
      return false;
    }
    *out = static_cast<int>(d);
    return true;
  }

  static bool ValidRuleId(const std::string& id) {
    if (id.empty()) return false;
    auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!ok_first(id[0])) return false;
    return std::all_of(id.begin(), id.end(), [&](char c) {
      return ok_first(c) || c == '.' || c == '_' || c == '-';
    });
  }

  void CompileThrottle(const CondScope& s, const YAML::Node& node, CompiledRule* rule) {
    if (!node.IsMap()) {
      Error(s.file, node, s.item, "'throttle' must be a mapping with 'key', 'per' and 'limit'");
      return;
    }
    CheckKeys(s.file, node, kThrottleKeys, s.item, "a throttle");
    YAML::Node key = node["key"];
    std::string key_text = key && key.IsScalar() ? key.Scalar() : "";
    if (key && !key.IsScalar()) Error(s.file, key, s.item, "throttle 'key' must be a string");
    YAML::Node keynode = key ? key : YAML::Node(key_text);
    rule->throttle_key = CompileTemplate(s, keynode, Template::Mode::kText, key_text);
    YAML::Node per = node["per"];
    if (!per) {
      Error(s.file, node, s.item, "throttle needs 'per' (a duration such as 12h)");
    } else {
      auto d = per.IsScalar() ? ParseDuration(per.Scalar())
                              : Result<std::chrono::milliseconds>(
                                    Status::InvalidArgument("expected a duration such as 12h"));
      if (!d.ok()) Error(s.file, per, s.item, "throttle 'per': " + d.status().message());
      else rule->throttle_per_ms = d->count();
    }
    if (YAML::Node limit = node["limit"]) {
      WholeNumber(s.file, limit, s.item, "throttle 'limit'", 1, &rule->throttle_limit);
    }
  }

  // ---- tests ----

  void CompileTest(const Named& def) {
    const SourceFile* f = def.file;
    const YAML::Node& node = def.node;
    if (!node.IsMap()) {
      Error(f, node, "test", "a test must be a mapping with 'name', 'event' or 'payload', and 'expect'");
      return;
    }
    InlineTest test;
    test.file = f->name;
    test.line = node.Mark().line + 1;
    YAML::Node name = node["name"];
    std::string item = "test";
    if (!name || !name.IsScalar()) {
      Error(f, node, item, "missing required key 'name'");
    } else {
      test.name = name.Scalar();
      item = "test " + Quote(test.name);
    }
    CheckKeys(f, node, kTestKeys, item, "a test");
    YAML::Node event = node["event"];
    YAML::Node payload = node["payload"];
    if (event && payload) {
      Error(f, payload, item, "a test has either 'event' (a file) or 'payload', not both");
    } else if (event) {
      if (!event.IsScalar()) {
        Error(f, event, item, "'event' must be a file path (relative to this file)");
      } else if (options_.tests) {  // else the file is the test runner's concern
        std::string path = event.Scalar();
        path = RelativeTo(f, path);
        std::string error;
        if (!ReadWholeFile(path, &test.event_json, &error)) {
          Error(f, event, item, "cannot read event file " + Quote(path) + ": " + error);
          test.event_json.clear();
        } else {
          auto parsed = Value::FromJson(test.event_json);
          if (!parsed.ok()) {
            Error(f, event, item, "event file " + Quote(path) + ": " + parsed.status().message());
          } else if (!parsed->is_object()) {
            Error(f, event, item, "event file " + Quote(path) + ": an event is a JSON object");
          }
        }
      }
    } else if (payload) {
      if (!payload.IsMap()) {
        Error(f, payload, item, "'payload' must be a mapping (the event's JSON object)");
      } else {
        Value event;
        if (NoDuplicateKeys(f, payload, item, "'payload'") &&
            ToValue(f, payload, item, payload, &event)) {
          test.event_json = event.ToJson();
        }
      }
    } else {
      Error(f, node, item, "missing 'event' (a file) or 'payload' (an inline event)");
    }
    if (YAML::Node set = node["set"]) {
      if (!set.IsMap()) {
        Error(f, set, item, "'set' must be a mapping of paths to values");
      } else if (NoDuplicateKeys(f, set, item, "'set'")) {
        for (auto it = set.begin(); it != set.end(); ++it) {
          auto path = ParsePath(it->first.Scalar());
          if (!path.ok()) {
            Error(f, it->first, item, path.status().message());
            continue;
          }
          Value value;
          if (ToValue(f, it->first, item, it->second, &value)) {
            test.set.emplace_back(it->first.Scalar(), std::move(value));
          }
        }
      }
    }
    YAML::Node expect = node["expect"];
    if (!expect || !expect.IsMap()) {
      Error(f, expect ? expect : node, item, "missing 'expect' (e.g. expect: { fired: [rule-id] })");
    } else {
      CheckKeys(f, expect, kExpectKeys, item, "'expect'");
      YAML::Node fired = expect["fired"];
      if (!fired || !fired.IsSequence()) {
        Error(f, fired ? fired : expect, item, "'expect' needs 'fired', a list of rule ids (may be [])");
      } else {
        for (const auto& id : fired) {
          if (!id.IsScalar()) {
            Error(f, id, item, "expected a rule id");
            continue;
          }
          if (!rule_ids_.count(id.Scalar())) {
            Error(f, id, item, "unknown rule " + Quote(id.Scalar()) + DidYouMean(id.Scalar(), Names(rule_ids_)));
          }
          test.expect_fired.push_back(id.Scalar());
        }
      }
    }
    if (options_.tests) rep_->tests.push_back(std::move(test));
  }

  const ActionRegistry& actions_;
  LoadOptions options_;
  std::vector<Diagnostic> errors_;
  std::unique_ptr<RuleSet::Rep> rep_;
  std::vector<SourceFile> files_;
  std::vector<std::pair<std::string, Named>> var_nodes_;
  std::vector<std::pair<std::string, Named>> list_nodes_;
  std::vector<std::pair<std::string, Named>> schedule_nodes_;
  std::vector<std::pair<std::string, Named>> macro_nodes_;
  std::map<std::string, MacroState> macros_;
  std::map<std::string, std::vector<Value>> lists_;
  std::map<std::string, std::string> rule_ids_;  // id -> "file:line"
  std::map<const SourceFile*, ValueBudget> value_budgets_;
  std::map<const SourceFile*, int64_t> conditions_used_;
  std::map<std::pair<std::string, bool>, std::shared_ptr<const RE2>> regexes_;  // by ignore_case
  // The mappings and lists NoDuplicateKeys has walked: file, offset.
  std::set<std::pair<const SourceFile*, int>> checked_nodes_;
  // While a parameter's default is compiled: the action that took it, where
  // its errors are placed (see Error).
  struct DefaultOf {
    YAML::Node action;
    std::string name;
  };
  const DefaultOf* default_of_ = nullptr;
  std::vector<Named> rule_nodes_;
  std::vector<Named> test_nodes_;
};

}  // namespace

std::string ContextReferenceProblem(const Template::Reference& ref) {
  if (ref.root == "facts" && !ref.rest.empty()) {
    const std::string first = ref.rest.substr(0, ref.rest.find_first_of(".["));
    if (!FactFromName(first) || first != ref.rest) {
      return "unknown fact " + Quote(ref.rest) + DidYouMean(ref.rest, FactNames());
    }
  } else if (ref.root == "rule") {
    if (!ref.rest.empty() && ref.rest != "id" && ref.rest != "description") {
      return "unknown " + Quote("rule." + ref.rest) + " (rule.id or rule.description)";
    }
  } else if (ref.root == "now") {
    if (!ref.rest.empty()) return "'now' has no fields";
  } else if (ref.root == "env") {
    if (ref.rest.empty()) return "'env' needs a variable name: env.NAME";
  }
  return "";
}

LoadResult LoadRuleSources(const std::vector<RuleSource>& sources, const ActionRegistry& actions,
                           const LoadOptions& options, std::vector<Diagnostic> earlier_errors) {
  Loader loader(actions, options, std::move(earlier_errors));
  return loader.Load(sources);
}

}  // namespace switchboard
