// Rule loading: every error the loader reports names the file, line and column and
// says what is wrong (SPEC section 2 and 3, "Everything is checked when rules load").
// Each test writes its YAML inline; line 1 is the line after `R"(`.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "switchboard/engine.h"

namespace switchboard {
namespace {

// Drops the newline that follows R"( so that the YAML's first line is line 1.
std::string Yaml(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

LoadResult Load(std::string_view yaml, std::string_view file = "rules.yaml") {
  static const std::unique_ptr<Engine> engine = Engine::Create();
  return engine->LoadString(Yaml(yaml), file);
}

// Succeeds when `result` has an error at line:column whose message contains `message`.
::testing::AssertionResult HasError(const LoadResult& result, int line, int column,
                                    std::string_view message) {
  for (const Diagnostic& d : result.errors) {
    if (d.line == line && d.column == column &&
        d.message.find(message) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no error at " << line << ":" << column << " containing \"" << message
         << "\"; the errors are:\n"
         << result.FormatErrors();
}

// A rule file whose rule has the condition `when` (flow YAML) on line 5.
std::string WithWhen(std::string_view when, std::string_view preamble = "") {
  std::string out = "version: 1\n";
  out += preamble;
  out += "rules:\n  - id: r\n    event: message.received\n    when: ";
  out += when;
  out += "\n    actions:\n      - log: { message: hi }\n";
  return out;
}

TEST(RuleLoader, LoadsAValidFile) {
  LoadResult result = Load(R"(
version: 1
vars:
  company: Acme
lists:
  staff: ["+15550001111"]
rules:
  - id: hours-keyword
    event: message.received
    when:
      facts.text: { matches: '(?i)\bhours\b' }
    actions:
      - log: { message: "{{ vars.company }}" }
)");
  ASSERT_TRUE(result.ok()) << result.FormatErrors();
  EXPECT_TRUE(result.errors.empty());
  ASSERT_EQ(result.rules->rules().size(), 1u);
  EXPECT_EQ(result.rules->rules()[0].id, "hours-keyword");
  EXPECT_EQ(result.rules->rules()[0].file, "rules.yaml");
  EXPECT_EQ(result.rules->rules()[0].line, 7);
}

TEST(RuleLoader, RejectsInvalidYamlWithPosition) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: [message.received, call.completed
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  const Diagnostic& d = result.errors[0];
  EXPECT_EQ(d.file, "rules.yaml");
  EXPECT_NE(d.message.find("invalid YAML"), std::string::npos) << d.message;
  EXPECT_GE(d.line, 4) << d.Headline();
  EXPECT_GT(d.column, 0) << d.Headline();
  EXPECT_FALSE(d.snippet.empty());
}

TEST(RuleLoader, RejectsBadIndentationWithPosition) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
   actions: []
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_NE(result.errors[0].message.find("invalid YAML"), std::string::npos);
  EXPECT_GE(result.errors[0].line, 5) << result.errors[0].Headline();
  EXPECT_LE(result.errors[0].line, 6) << result.errors[0].Headline();
}

TEST(RuleLoader, RejectsEmptyFileAtLineOne) {
  for (std::string_view text : {"", "\n\n", "# only a comment\n"}) {
    LoadResult result = Load(text, "empty.yaml");
    ASSERT_FALSE(result.ok()) << "for '" << text << "'";
    EXPECT_TRUE(HasError(result, 1, 1, "the file is empty"));
    EXPECT_EQ(result.errors[0].file, "empty.yaml");
  }
}

TEST(RuleLoader, RejectsMissingVersion) {
  LoadResult result = Load(R"(
rules:
  - id: a
    event: message.received
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 1, 1, "missing required key 'version'"));
}

TEST(RuleLoader, RejectsUnsupportedVersionAtItsValue) {
  LoadResult result = Load(R"(
version: 2
rules: []
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 1, 10, "unsupported rule format version '2'"));
}

TEST(RuleLoader, RejectsUnknownTopLevelKeyWithSuggestion) {
  LoadResult result = Load(R"(
version: 1
rule:
  - id: a
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 2, 1, "unknown key 'rule' in a rule file (did you mean 'rules'?)"));
}

TEST(RuleLoader, RejectsUnknownRuleKeyWithSuggestion) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    priorty: 3
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 5, 5, "unknown key 'priorty' in a rule (did you mean 'priority'?)"));
  EXPECT_EQ(result.errors[0].item, "rule 'a'");
  EXPECT_EQ(result.errors[0].Headline(),
            "rules.yaml:5:5: rule 'a': unknown key 'priorty' in a rule (did you mean 'priority'?)");
}

TEST(RuleLoader, RejectsRuleWithoutId) {
  LoadResult result = Load(R"(
version: 1
rules:
  - event: message.received
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 3, 5, "missing required key 'id'"));
}

TEST(RuleLoader, RejectsRuleWithoutEvent) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 3, 5, "missing required key 'event'"));
  EXPECT_EQ(result.errors[0].item, "rule 'a'");
}

TEST(RuleLoader, RejectsRuleWithoutActions) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 3, 5, "missing required key 'actions'"));
}

TEST(RuleLoader, RejectsEmptyActionList) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions: []
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 14, "'actions' must be a non-empty list"));
}

TEST(RuleLoader, RejectsInvalidRuleId) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: Hours_Keyword
    event: message.received
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 3, 9, "invalid rule id"));
}

TEST(RuleLoader, RejectsRuleIdStartingWithPunctuation) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: -hours
    event: message.received
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 3, 9, "invalid rule id"));
}

TEST(RuleLoader, RejectsDuplicateIdInOneFile) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - log: { message: one }
  - id: a
    event: call.completed
    actions:
      - log: { message: two }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 7, 9, "duplicate rule id (first defined at rules.yaml:3)"));
}

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            (std::string("switchboard_loader_") + info->name() + "_" +
             std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, std::string_view text) const {
    std::string file = (path_ / name).string();
    std::ofstream out(file, std::ios::binary);
    out << Yaml(text);
    return file;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(RuleLoader, RejectsDuplicateIdAcrossFiles) {
  TempDir dir;
  std::string a = dir.Write("a.yaml", R"(
version: 1
rules:
  - id: shared
    event: message.received
    actions:
      - log: { message: one }
)");
  std::string b = dir.Write("b.yaml", R"(
version: 1
rules:
  - id: other
    event: message.received
    actions:
      - log: { message: two }
  - id: shared
    event: message.received
    actions:
      - log: { message: three }
)");
  auto engine = Engine::Create();
  LoadResult result = engine->LoadFiles({dir.path()});
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  const Diagnostic& d = result.errors[0];
  EXPECT_EQ(d.file, b);
  EXPECT_EQ(d.line, 7);
  EXPECT_EQ(d.column, 9);
  EXPECT_NE(d.message.find("duplicate rule id (first defined at " + a + ":3)"), std::string::npos)
      << d.message;
}

TEST(RuleLoader, LoadsFilesInNameOrder) {
  TempDir dir;
  dir.Write("b.yaml", R"(
version: 1
rules:
  - id: from-b
    event: message.received
    actions:
      - log: { message: b }
)");
  dir.Write("a.yml", R"(
version: 1
rules:
  - id: from-a
    event: message.received
    actions:
      - log: { message: a }
)");
  dir.Write("notes.txt", "not a rule file");
  auto engine = Engine::Create();
  LoadResult result = engine->LoadFiles({dir.path()});
  ASSERT_TRUE(result.ok()) << result.FormatErrors();
  auto rules = result.rules->rules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, "from-a");
  EXPECT_EQ(rules[1].id, "from-b");
  // Named one by one, in another order, and once more through their directory:
  // the same files, in the same order, each loaded once.
  result = engine->LoadFiles({dir.path() + "/b.yaml", dir.path() + "/a.yml", dir.path()});
  ASSERT_TRUE(result.ok()) << result.FormatErrors();
  rules = result.rules->rules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, "from-a");
  EXPECT_EQ(rules[1].id, "from-b");
  // However they are spelt (a probe: a relative path sorted before every
  // absolute one, so spelling changed which of two tied rules ran first).
  const std::string relative_b =
      std::filesystem::relative(dir.path() + "/b.yaml").string();
  ASSERT_EQ(relative_b.front(), '.') << relative_b;
  result = engine->LoadFiles({relative_b, dir.path() + "/./a.yml"});
  ASSERT_TRUE(result.ok()) << result.FormatErrors();
  rules = result.rules->rules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].id, "from-a");
  EXPECT_EQ(rules[1].id, "from-b");
  EXPECT_EQ(rules[1].file, relative_b) << "shown as it was named";
}

TEST(RuleLoader, OneBadFileFailsTheWholeLoad) {
  TempDir dir;
  dir.Write("a.yaml", R"(
version: 1
rules:
  - id: good
    event: message.received
    actions:
      - log: { message: a }
)");
  std::string bad = dir.Write("b.yaml", R"(
version: 1
rules:
  - id: bad
    event: message.received
    actions:
      - lgo: { message: b }
)");
  auto engine = Engine::Create();
  LoadResult result = engine->LoadFiles({dir.path()});
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.rules, nullptr);
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].file, bad);
}

TEST(RuleLoader, ReportsMissingFile) {
  auto engine = Engine::Create();
  LoadResult result = engine->LoadFiles({"/nonexistent/switchboard/rules.yaml"});
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].file, "/nonexistent/switchboard/rules.yaml");
}

// A rule file that is a symbolic link to a file since moved used to be skipped
// when its directory was loaded: its rules vanished and the load succeeded.
TEST(RuleLoader, ReportsRuleFilesThatCannotBeRead) {
  TempDir dir;
  dir.Write("a.yaml", R"(
version: 1
rules:
  - id: good
    event: message.received
    actions:
      - log: { message: a }
)");
  const std::string dangling = dir.path() + "/b.yaml";
  std::filesystem::create_symlink(dir.path() + "/moved-away.yaml", dangling);
  const std::string loop = dir.path() + "/c.yaml";
  std::filesystem::create_symlink(loop, loop);
  std::filesystem::create_directory(dir.path() + "/d.yaml");  // not a rule file: skipped
  auto engine = Engine::Create();
  LoadResult result = engine->LoadFiles({dir.path()});
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 2u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].file, dangling);
  EXPECT_EQ(result.errors[0].message, "cannot read the file: No such file or directory");
  EXPECT_EQ(result.errors[1].file, loop);
  EXPECT_EQ(result.errors[1].message, "cannot read the file: Too many levels of symbolic links");

  // Named on their own.
  result = engine->LoadFiles({loop});
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].message, "cannot read: Too many levels of symbolic links");
  result = engine->LoadFiles({dangling});
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].message, "no such file or directory");
}

// Case is no distance for a suggestion.
TEST(RuleLoader, SuggestsTheNameWrittenInAnotherCase) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: hours
    event: message.received
    when:
      facts.text: { EQUALS: 'hours' }
    Actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 6, 21, "unknown operator 'EQUALS' (did you mean 'equals'?)"))
      << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 7, 5, "unknown key 'Actions' in a rule (did you mean 'actions'?)"))
      << result.FormatErrors();
}

TEST(RuleLoader, RejectsUnknownOperatorWithPosition) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: hours
    event: message.received
    when:
      facts.text: { match: 'hours' }
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].Headline(),
            "rules.yaml:6:21: rule 'hours': unknown operator 'match' (did you mean 'matches'?)");
}

TEST(RuleLoader, RejectsUnknownFactWithSuggestion) {
  LoadResult result = Load(WithWhen("{ facts.contcat: '+15555550100' }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 13, "unknown fact 'contcat' (did you mean 'contact'?)"));
}

TEST(RuleLoader, RejectsUnknownFactInTemplate) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - log: { message: "to {{ facts.contcat }}" }
)");
  ASSERT_FALSE(result.ok());
  // The column of "{{" inside the quoted scalar: the quote is at 25.
  EXPECT_TRUE(HasError(result, 6, 29, "unknown fact 'contcat' (did you mean 'contact'?)"));
}

TEST(RuleLoader, RejectsBadRegexWithRe2Message) {
  LoadResult result = Load(WithWhen("{ facts.text: { matches: '(unclosed' } }"));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 5, 36, "invalid regular expression '(unclosed'"));
  EXPECT_NE(result.errors[0].message.find("missing )"), std::string::npos)
      << result.errors[0].message;
}

TEST(RuleLoader, RejectsBadRegexInNotMatches) {
  LoadResult result = Load(WithWhen("{ facts.text: { not_matches: 'a**' } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 40, "invalid regular expression 'a**'"));
  EXPECT_NE(result.errors[0].message.find("bad repetition operator"), std::string::npos)
      << result.errors[0].message;
}

// A probe: Perl and PCRE syntax got RE2's bare "invalid perl operator: (?<".
TEST(RuleLoader, BadRegexSaysWhatRe2LacksOrWritesOtherwise) {
  const std::pair<const char*, const char*> cases[] = {
      {"(?<order>\\d+)", "(RE2 writes a named group as (?P<name>...))"},
      {"(?<=a)b", "(RE2 has no lookbehind)"},
      {"(?<!a)b", "(RE2 has no lookbehind)"},
      {"a(?=b)", "(RE2 has no lookahead)"},
      {"a(?!b)", "(RE2 has no lookahead)"},
      {"(?>a)", "(RE2 has no atomic groups: write (?:...))"},
      {"(a)\\1", "(RE2 has no backreferences)"},
      {"a\\Z", "(write \\z, or $)"},
      {"a++", "(RE2 has no possessive quantifiers: drop the second '+')"},
  };
  for (const auto& [pattern, hint] : cases) {
    // RE2 from 2023-07 on reads (?<name>...) too; Debian 12's does not.
    if (RE2(pattern).ok()) continue;
    LoadResult result =
        Load(WithWhen("{ facts.text: { matches: '" + std::string(pattern) + "' } }"));
    ASSERT_EQ(result.errors.size(), 1u) << pattern << "\n" << result.FormatErrors();
    const std::string& message = result.errors[0].message;
    EXPECT_EQ(message.size() - message.rfind(hint), std::string(hint).size()) << message;
  }
}

TEST(RuleLoader, RejectsUnknownListWithSuggestion) {
  LoadResult result =
      Load(WithWhen("{ facts.contact: { in: staf } }", "lists:\n  staff: ['+15550001111']\n"));
  ASSERT_FALSE(result.ok());
  // lists: takes two lines, so the rule's `when` is on line 7.
  EXPECT_TRUE(HasError(result, 7, 34, "unknown list 'staf' (did you mean 'staff'?)"));
}

TEST(RuleLoader, NamedListItemsAreStringsOrNumbers) {
  LoadResult result = Load(R"(
version: 1
lists:
  flags: [true, 1.5, "false", { a: 1 }]
rules: []
)");
  ASSERT_EQ(result.errors.size(), 2u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 3, 11, "list items must be strings or numbers (quote"))
      << result.FormatErrors();
  EXPECT_EQ(result.errors[1].column, 31) << result.FormatErrors();
  EXPECT_EQ(result.errors[1].message, "list items must be strings or numbers");
  EXPECT_EQ(result.errors[0].item, "list 'flags'");
}

// docs/rules.md: vars are not available in conditions. A condition on a
// defined var's name is a load error, not a path that never holds.
TEST(RuleLoader, AConditionOnADefinedVarIsAnError) {
  LoadResult result = Load(WithWhen("{ vars.company: Acme }", "vars:\n  company: Acme\n"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 7, 13, "vars are not available in conditions: 'vars.company'"))
      << result.FormatErrors();
  // A generic source's own "vars" field, under a name that is no var, is a path.
  EXPECT_TRUE(Load(WithWhen("{ vars.region: eu }", "vars:\n  company: Acme\n")).ok());
}

TEST(RuleLoader, RejectsUnknownMacroWithSuggestion) {
  LoadResult result = Load(WithWhen("{ macro: inbond_text }",
                                    "macros:\n  inbound_text: { facts.direction: incoming }\n"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 7, 20, "unknown macro 'inbond_text' (did you mean 'inbound_text'?)"));
}

TEST(RuleLoader, RejectsUnknownScheduleWithSuggestion) {
  LoadResult result = Load(R"(
version: 1
schedules:
  business_hours:
    timezone: America/New_York
    weekly: { mon-fri: ["09:00-17:00"] }
rules:
  - id: r
    event: message.received
    when: { schedule: busines_hours }
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 9, 23,
                       "unknown schedule 'busines_hours' (did you mean 'business_hours'?)"));
}

TEST(RuleLoader, RejectsMacroCycle) {
  LoadResult result = Load(R"(
version: 1
macros:
  a:
    macro: b
  b:
    macro: a
rules:
  - id: r
    event: message.received
    when: { macro: a }
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 6, 12, "macro cycle: a -> b -> a"));
}

TEST(RuleLoader, RejectsMacroThatUsesItself) {
  LoadResult result = Load(R"(
version: 1
macros:
  self: { any: [ { facts.text: hi }, { macro: self } ] }
rules: []
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 3, 47, "macro cycle: self -> self"));
}

TEST(RuleLoader, RejectsInWithANumber) {
  LoadResult result = Load(WithWhen("{ data.object.n: { in: 5 } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 34, "list"));
  EXPECT_NE(result.errors[0].message.find("'5'"), std::string::npos) << result.errors[0].message;
}

TEST(RuleLoader, RejectsInWithAMapping) {
  LoadResult result = Load(WithWhen("{ data.object.n: { in: { a: 1 } } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 34, "'in' takes a list of values or the name of a list"));
}

TEST(RuleLoader, RejectsExistsWithNonBoolean) {
  LoadResult result = Load(WithWhen("{ facts.text: { exists: maybe } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 35, "'exists' takes true or false"));
}

TEST(RuleLoader, RejectsGtWithText) {
  LoadResult result = Load(WithWhen("{ data.object.n: { gt: \"abc\" } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 34, "'gt' takes a number or an ISO 8601 time"));
}

TEST(RuleLoader, RejectsIgnoreCaseWithNumber) {
  LoadResult result = Load(WithWhen("{ facts.text: { equals: hi, ignore_case: 3 } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 52, "'ignore_case' takes true or false"));
}

TEST(RuleLoader, RejectsStartsWithAList) {
  LoadResult result = Load(WithWhen("{ facts.text: { starts_with: [a, b] } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 40, "'starts_with' takes a string"));
}

TEST(RuleLoader, RejectsEqualsWithAList) {
  LoadResult result = Load(WithWhen("{ facts.text: { equals: [a] } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 35, "'equals' takes a single value"));
}

TEST(RuleLoader, ReportsAMappingInAFactsInListOnce) {
  LoadResult result = Load(WithWhen("{ facts.contact: { in: ['+1555', { x: 1 }] } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 5, 44, "'in' takes a single value")) << result.FormatErrors();
}

// facts.missed and facts.voicemail are booleans, the other facts strings: an
// argument of another type never matched, and loaded without a word.
TEST(RuleLoader, RejectsBooleanFactComparedWithText) {
  LoadResult quoted = Load(WithWhen("{ facts.missed: \"true\" }"));
  ASSERT_FALSE(quoted.ok());
  EXPECT_TRUE(HasError(quoted, 5, 27,
                       "facts.missed is true or false, never the string \"true\" (quoted, it is "
                       "text): write true without quotes"));
  LoadResult yes = Load(WithWhen("{ facts.missed: yes }"));
  EXPECT_TRUE(HasError(yes, 5, 27,
                       "never the string \"yes\" (YAML 1.2 reads only true and false as "
                       "booleans): write true"));
  LoadResult on = Load(WithWhen("{ facts.missed: on }"));
  EXPECT_TRUE(HasError(on, 5, 27, "never the string \"on\""));
  EXPECT_TRUE(HasError(on, 5, 27, "write true"));
  LoadResult off = Load(WithWhen("{ facts.missed: { not_equals: \"false\" } }"));
  EXPECT_TRUE(HasError(off, 5, 41, "write false without quotes"));
}

TEST(RuleLoader, RejectsBooleanFactComparedWithNumberOrNull) {
  LoadResult in = Load(WithWhen("{ facts.missed: { in: [true, 1] } }"));
  ASSERT_FALSE(in.ok());
  EXPECT_TRUE(HasError(in, 5, 40, "facts.missed is true or false, never the number 1: write true or false"));
  EXPECT_EQ(in.errors.size(), 1u) << in.FormatErrors();
  LoadResult null = Load(WithWhen("{ facts.voicemail: null }"));
  EXPECT_TRUE(HasError(null, 5, 30, "facts.voicemail is true or false, never null (a fact that "
                                    "does not apply is absent: use exists: false)"));
  LoadResult list = Load(WithWhen("{ facts.missed: { in: flags } }", "lists:\n  flags: [yes]\n"));
  EXPECT_TRUE(HasError(list, 7, 33,
                       "facts.missed is true or false, but list 'flags' holds the string \"yes\" "
                       "(YAML 1.2 reads only true and false as booleans): write true"));
}

TEST(RuleLoader, RejectsStringOrOrderingOperatorOnBooleanFact) {
  LoadResult gt = Load(WithWhen("{ facts.voicemail: { gt: 1 } }"));
  ASSERT_FALSE(gt.ok());
  EXPECT_TRUE(HasError(gt, 5, 32, "facts.voicemail is true or false: 'gt' never holds for it"));
  LoadResult matches = Load(WithWhen("{ facts.missed: { matches: x } }"));
  EXPECT_TRUE(HasError(matches, 5, 29, "facts.missed is true or false: 'matches' never holds"));
  // A probe: the negated ones were said never to hold, and they always do.
  LoadResult not_matches = Load(WithWhen("{ facts.missed: { not_matches: x } }"));
  EXPECT_TRUE(HasError(not_matches, 5, 29,
                       "facts.missed is true or false: 'not_matches' always holds for it (write "
                       "true or false, or use not_equals or exists)"));
}

TEST(RuleLoader, RejectsStringFactComparedWithNumberOrBoolean) {
  LoadResult number = Load(WithWhen("{ facts.contact: 15555550100 }"));
  ASSERT_FALSE(number.ok());
  EXPECT_TRUE(HasError(number, 5, 28,
                       "facts.contact is a string, never the number 15555550100: quote it "
                       "(\"15555550100\")"));
  LoadResult boolean = Load(WithWhen("{ facts.direction: { not_in: [incoming, false] } }"));
  EXPECT_TRUE(HasError(boolean, 5, 51, "facts.direction is a string, never the boolean false: "
                                       "quote it (\"false\")"));
  LoadResult lt = Load(WithWhen("{ facts.text: { lt: 5 } }"));
  EXPECT_TRUE(HasError(lt, 5, 31, "facts.text is a string: 'lt' compares it only with an ISO "
                                  "8601 time, never with a number"));
}

TEST(RuleLoader, AcceptsOperatorsThatSuitAFactsType) {
  for (const char* when :
       {"{ facts.missed: true }", "{ facts.voicemail: { not_equals: false } }",
        "{ facts.missed: { in: [true, false] } }", "{ facts.missed: { exists: true } }",
        "{ facts.contact: '+15555550100' }", "{ facts.contact: +15555550100 }",
        "{ facts.contact: { contains: 555 } }", "{ facts.text: { not_in: [stop, '1'] } }",
        "{ facts.created_at: { gte: '2026-01-01T00:00:00Z' } }", "{ data.object.n: 5 }",
        "{ data.object.answered: { gt: 1 } }"}) {
    LoadResult result = Load(WithWhen(when));
    EXPECT_TRUE(result.ok()) << when << "\n" << result.FormatErrors();
  }
}

// `switchboard check` showed one error per template and one per action.
TEST(RuleLoader, ReportsEveryErrorOfATemplateAndOfAnAction) {
  LoadResult result = Load(R"(
version: 1
vars: {company: Acme}
rules:
  - id: a
    event: "*"
    actions:
      - log: { message: "{{ vars.compny }} {{ facts.txt }} {{ facts.text | lowr }}" }
      - sqlite: { table: t, values: { id: x, "bad col": y } }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 5u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 7, 26, "undefined variable 'compny' (did you mean 'company'?)"));
  EXPECT_TRUE(HasError(result, 7, 44, "unknown fact 'txt' (did you mean 'text'?)"));
  EXPECT_TRUE(HasError(result, 7, 76, "unknown filter 'lowr' (did you mean 'lower'?)"));
  EXPECT_TRUE(HasError(result, 8, 39, "column 'id' is filled in automatically"));
  EXPECT_TRUE(HasError(result, 8, 46, "'bad col' is not a valid SQL column name"));
  // In source order.
  EXPECT_EQ(result.errors[0].column, 26);
  EXPECT_EQ(result.errors[2].column, 76);
  EXPECT_EQ(result.errors[4].column, 46);
}

// A rule file whose rule has the actions `actions` (each "      - ...") from line 6.
std::string WithActions(std::string_view actions) {
  return "version: 1\nrules:\n  - id: a\n    event: \"*\"\n    actions:\n" + std::string(actions);
}

TEST(RuleLoader, ReportsEveryFilterErrorAndTheOtherParameters) {
  LoadResult result = Load(WithActions(
      R"(      - log: { message: "{{ facts.text | truncate('x') | uper | join }}", level: loud })"));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 4u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 6, 42, "filter 'truncate' takes 1 argument (a number)"));
  EXPECT_TRUE(HasError(result, 6, 58, "unknown filter 'uper' (did you mean 'upper'?)"));
  EXPECT_TRUE(HasError(result, 6, 65, "filter 'join' takes 1 argument (a string)"));
  EXPECT_TRUE(HasError(result, 6, 82, "parameter 'level': 'loud' is not one of"));
}

// A syntax error leaves the rest of the template unreadable: the errors before
// it are reported, then it, and nothing after.
TEST(RuleLoader, TemplateErrorsStopAtASyntaxError) {
  LoadResult result =
      Load(WithActions(R"(      - log: { message: "{{ facts.txt | lowr }} {{ vars.a | upper"})"));
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 3u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 6, 26, "unknown fact 'txt'"));
  EXPECT_TRUE(HasError(result, 6, 41, "unknown filter 'lowr'"));
  EXPECT_TRUE(HasError(result, 6, 49, "unclosed '{{'"));
}

TEST(RuleLoader, ReportsEveryInvalidParameterOfABuiltinAction) {
  LoadResult result = Load(WithActions(R"(      - openphone.send_message: { to: "555", from: nobody, content: "", set_inbox_status: open }
      - http: { url: "https://x.example/", method: FETCH, headers: { "a b": x, "c:d": y }, success: [99, 600] }
      - sqlite: { table: "bad table", values: { "1x": "{{ facts.txt }}", created_at: y } }
)"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors.size(), 13u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 6, 39, "parameter 'to' must be one E.164 number"));
  EXPECT_TRUE(HasError(result, 6, 52, "parameter 'from' must be a phone number id"));
  EXPECT_TRUE(HasError(result, 6, 69, "parameter 'content' must be 1 to 1600 characters"));
  EXPECT_TRUE(HasError(result, 6, 91, "parameter 'set_inbox_status' can only be 'done'"));
  EXPECT_TRUE(HasError(result, 7, 52, "unknown HTTP method 'FETCH'"));
  EXPECT_TRUE(HasError(result, 7, 70, "invalid header name 'a b'"));
  EXPECT_TRUE(HasError(result, 7, 80, "invalid header name 'c:d'"));
  EXPECT_TRUE(HasError(result, 7, 101, "99 is not an HTTP status code"));
  EXPECT_TRUE(HasError(result, 7, 101, "600 is not an HTTP status code"));
  EXPECT_TRUE(HasError(result, 8, 26, "'bad table' is not a valid SQL identifier"));
  EXPECT_TRUE(HasError(result, 8, 49, "'1x' is not a valid SQL column name"));
  EXPECT_TRUE(HasError(result, 8, 56, "unknown fact 'txt'"));
  EXPECT_TRUE(HasError(result, 8, 74, "column 'created_at' is filled in automatically"));
}

// A 30 KB line printed whole under its error.
TEST(RuleLoader, CutsALongSourceLineAroundTheCaret) {
  const std::string pad(30000, 'a');
  const std::string line = "  - { id: r, description: \"" + pad + "\", bogus: \"" + pad +
                           "\", event: x, actions: [ log: { message: hi } ] }";
  LoadResult result = Load("version: 1\nrules:\n" + line + "\n");
  ASSERT_FALSE(result.ok());
  const int column = static_cast<int>(line.find("bogus")) + 1;
  ASSERT_TRUE(HasError(result, 3, column, "unknown key 'bogus' in a rule"));
  const std::string& snippet = result.errors[0].snippet;
  const size_t newline = snippet.find('\n');
  ASSERT_NE(newline, std::string::npos);
  const std::string source = snippet.substr(0, newline);
  const std::string caret = snippet.substr(newline + 1);
  EXPECT_LE(source.size(), 140u) << source;
  EXPECT_EQ(source.substr(0, 10), " 3 | ...aa");
  EXPECT_EQ(source.substr(source.size() - 3), "...");
  ASSERT_EQ(caret.back(), '^');
  EXPECT_EQ(source.substr(caret.size() - 1, 5), "bogus") << snippet;
}

TEST(RuleLoader, KeepsShortLinesWholeAndCutsOnlyTheFarEnd) {
  LoadResult result = Load("bogus: 1\nversion: 1\nvars: { a: \"" + std::string(500, 'x') + "\" }\n");
  ASSERT_FALSE(result.ok());
  ASSERT_TRUE(HasError(result, 1, 1, "unknown key 'bogus'"));
  EXPECT_EQ(result.errors[0].snippet, " 1 | bogus: 1\n   | ^");
  LoadResult start = Load("version: 1\nbogus: \"" + std::string(500, 'x') + "\"\n");
  ASSERT_TRUE(HasError(start, 2, 1, "unknown key 'bogus'"));
  EXPECT_EQ(start.errors[0].snippet,
            " 2 | bogus: \"" + std::string(112, 'x') + "...\n   | ^");
}

// Columns and carets count characters, not bytes, also in a cut long line.
TEST(RuleLoader, ColumnsAndCaretsCountCharactersAfterMultiByteText) {
  LoadResult result = Load(
      "version: 1\nrules:\n  - { id: a, description: \"\xC3\xA9\xC3\xA9\", whenn: {}, "
      "event: message.received, actions: [{log: {message: x}}] }\n");
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  ASSERT_TRUE(HasError(result, 3, 33, "unknown key 'whenn'")) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].snippet.substr(result.errors[0].snippet.find('\n') + 1),
            "   | " + std::string(32, ' ') + "^");
  const std::string long_description(100, 'x');
  LoadResult cut = Load("version: 1\nrules:\n  - { id: a, description: \"" +
                        std::string("\xC3\xA9\xC3\xA9") + long_description +
                        "\", whenn: {}, event: message.received, actions: [{log: {message: x}}] }\n");
  ASSERT_EQ(cut.errors.size(), 1u) << cut.FormatErrors();
  EXPECT_EQ(cut.errors[0].column, 133);
  // The caret stands under the 'w' of whenn in the line as printed.
  const std::string& snippet = cut.errors[0].snippet;
  const size_t newline = snippet.find('\n');
  const std::string shown = snippet.substr(0, newline);
  const std::string marker = snippet.substr(newline + 1);
  const size_t caret_column = marker.find('^');
  ASSERT_NE(caret_column, std::string::npos);
  size_t characters = 0;
  size_t i = 0;
  for (; i < shown.size() && characters < caret_column; ++i) {
    if ((static_cast<unsigned char>(shown[i]) & 0xC0) != 0x80) ++characters;
  }
  while (i < shown.size() && (static_cast<unsigned char>(shown[i]) & 0xC0) == 0x80) ++i;
  EXPECT_EQ(shown.substr(i, 5), "whenn") << snippet;
}

// Invalid UTF-8 loaded, and `eval --json` then printed invalid JSON.
TEST(RuleLoader, RejectsInvalidUtf8WithThePositionOfTheFirstBadByte) {
  LoadResult result = Load("version: 1\nvars: { a: \"caf\xC3\xA9 \xFF ok\" }\n");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  // Columns count characters: the two bytes of the 'é' are one.
  EXPECT_TRUE(HasError(result, 2, 18, "invalid UTF-8: byte 0xFF"));
  EXPECT_EQ(result.errors[0].snippet,
            " 2 | vars: { a: \"caf\xC3\xA9 ? ok\" }\n   | " + std::string(17, ' ') + "^");
  for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xE2\x82", "\x80"}) {
    LoadResult r = Load(std::string("version: 1\n# ") + bad + "\n");
    EXPECT_TRUE(HasError(r, 2, 3, "invalid UTF-8")) << r.FormatErrors();
  }
  LoadResult bom = Load("\xEF\xBB\xBFversion: 1\nvars: { a: \"\xE2\x82\xAC \xF0\x9F\x93\x9E\" }\n");
  EXPECT_TRUE(bom.ok()) << bom.FormatErrors();
}

// A NUL byte: yaml-cpp ended the string at it and loaded the rest as if it
// were not there, or called it an unknown escape (a probe, and an old note).
TEST(RuleLoader, RejectsANulByteWithItsPosition) {
  LoadResult inside = Load(std::string("version: 1\nvars: { a: \"a\0b\" }\n", 29));
  ASSERT_EQ(inside.errors.size(), 1u) << inside.FormatErrors();
  EXPECT_TRUE(HasError(inside, 2, 14, "a NUL byte (0x00) does not belong in a rule file"));
  EXPECT_EQ(inside.errors[0].snippet, " 2 | vars: { a: \"a?b\" }\n   | " + std::string(13, ' ') + "^");
  LoadResult at_end = Load(std::string("version: 1\n\0", 12));
  EXPECT_TRUE(HasError(at_end, 2, 1, "save it as UTF-8")) << at_end.FormatErrors();
}

// Aliases and macro references multiplied conditions: minutes and gigabytes.
TEST(RuleLoader, RejectsConditionsMultipliedByAliases) {
  std::string yaml = "version: 1\nrules:\n  - id: r\n    event: x\n    when:\n      all:\n";
  yaml += "        - &a0 { facts.text: { matches: 'a+b' } }\n";
  for (int level = 1; level <= 7; ++level) {
    yaml += "        - &a" + std::to_string(level) + " [";
    for (int i = 0; i < 9; ++i) yaml += (i ? ", *a" : "*a") + std::to_string(level - 1);
    yaml += "]\n";
  }
  yaml += "    actions: [ log: { message: hi } ]\n";
  LoadResult result = Load(yaml);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].item, "rule 'r'");
  EXPECT_NE(result.errors[0].message.find("conditions too large: more than 200000 conditions "
                                          "and operators after expanding aliases and macros"),
            std::string::npos)
      << result.FormatErrors();
  EXPECT_GE(result.errors[0].line, 7);
}

TEST(RuleLoader, RejectsConditionsMultipliedByMacros) {
  std::string yaml = "version: 1\nmacros:\n  m0: { facts.text: a }\n";
  for (int level = 1; level <= 7; ++level) {
    yaml += "  m" + std::to_string(level) + ": [";
    for (int i = 0; i < 9; ++i) yaml += (i ? ", " : "") + std::string("{ macro: m") + std::to_string(level - 1) + " }";
    yaml += "]\n";
  }
  yaml += "rules:\n  - { id: r, event: x, when: { macro: m7 }, actions: [ log: { message: hi } ] }\n";
  LoadResult result = Load(yaml);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].item, "macro 'm6'");
  EXPECT_EQ(result.errors[0].line, 9);
  EXPECT_NE(result.errors[0].message.find("conditions too large"), std::string::npos);
  // A few macro levels are fine.
  EXPECT_TRUE(Load("version: 1\nmacros:\n  m0: { facts.text: a }\n"
                   "  m1: [{ macro: m0 }, { macro: m0 }]\n  m2: [{ macro: m1 }, { macro: m1 }]\n"
                   "rules:\n  - { id: r, event: x, when: { macro: m2 }, actions: [ log: { message: hi } ] }\n")
                  .ok());
}

TEST(RuleLoader, RejectsMisspeltConditionKeyword) {
  LoadResult result = Load(WithWhen("{ macr: inbound }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 13, "unknown condition 'macr' (did you mean 'macro'?)"));
  // Keywords that take a scalar stay errors with one; those that take a
  // condition, with a condition.
  EXPECT_TRUE(HasError(Load(WithWhen("{ schedul: business_hours }")), 5, 13,
                       "unknown condition 'schedul' (did you mean 'schedule'?)"));
  EXPECT_TRUE(HasError(Load(WithWhen("{ nto: { facts.text: a } }")), 5, 13,
                       "unknown condition 'nto' (did you mean 'not'?)"));
  EXPECT_TRUE(HasError(Load(WithWhen("{ al: [{ facts.text: a }] }")), 5, 13,
                       "unknown condition 'al' (did you mean 'all'?)"));
}

// A probe: `event: Call.Missed` loaded and never fired (types are case-sensitive).
TEST(RuleLoader, RejectsAnOpenPhoneTypeInAnotherCase) {
  LoadResult result = Load("version: 1\nrules:\n  - id: r\n    event: [message.received, Call.Missed]\n"
                           "    actions: [{log: {message: x}}]\n");
  EXPECT_TRUE(HasError(result, 4, 31,
                       "event type 'Call.Missed' matches no OpenPhone event: types are "
                       "case-sensitive (did you mean 'call.missed'?)"));
  LoadResult in_when = Load(WithWhen("{ event: Message.Received }"));
  EXPECT_TRUE(HasError(in_when, 5, 20, "(did you mean 'message.received'?)"));
  // A generic source's own types are its business.
  EXPECT_TRUE(Load("version: 1\nrules:\n  - id: r\n    event: Order.Created\n"
                   "    actions: [{log: {message: x}}]\n")
                  .ok());
}

// A probe: a generic event's top-level `note` could not be tested at all
// ("unknown condition 'note' (did you mean 'not'?)", quoting did not help).
// Followed by a matcher, it can only be a path.
TEST(RuleLoader, AFieldNamedLikeAConditionKeywordIsAPathBeforeAMatcher) {
  for (const char* when : {"{ note: urgent }", "{ note: { equals: urgent } }",
                           "{ anys: { matches: urg, ignore_case: true } }"}) {
    LoadResult result = Load(WithWhen(when));
    EXPECT_TRUE(result.ok()) << when << "\n" << result.FormatErrors();
  }
}

const char* kThrottleRule = R"(
version: 1
rules:
  - id: r
    event: message.received
    throttle:
      key: "{{ facts.contact }}"
      per: %s
    actions:
      - log: { message: hi }
)";

std::string ThrottleRule(std::string_view per) {
  std::string text = kThrottleRule;
  text.replace(text.find("%s"), 2, per);
  return text;
}

TEST(RuleLoader, RejectsBadThrottleDurations) {
  for (std::string_view per : {"12x", "twelve hours", "-5m", "0s", "h"}) {
    LoadResult result = Load(ThrottleRule(per));
    ASSERT_FALSE(result.ok()) << "per: " << per;
    EXPECT_TRUE(HasError(result, 7, 12, "throttle 'per'")) << "per: " << per;
  }
}

TEST(RuleLoader, AcceptsThrottleDurations) {
  for (std::string_view per : {"90s", "15m", "12h", "7d", "1h30m"}) {
    LoadResult result = Load(ThrottleRule(per));
    EXPECT_TRUE(result.ok()) << "per: " << per << "\n" << result.FormatErrors();
  }
}

TEST(RuleLoader, RejectsThrottleWithoutPer) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: r
    event: message.received
    throttle: { key: "{{ facts.contact }}", limit: 0 }
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 15, "throttle needs 'per'"));
  EXPECT_TRUE(HasError(result, 5, 52,
                       "throttle 'limit' 0 is out of range: it must be from 1 to 2147483647"));
}

TEST(RuleLoader, RejectsUnknownTimeZone) {
  LoadResult result = Load(R"(
version: 1
schedules:
  office:
    timezone: America/New_Yrok
    weekly: { mon-fri: ["09:00-17:00"] }
rules: []
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 4, 15, "America/New_Yrok"));
  EXPECT_EQ(result.errors[0].item, "schedule 'office'");
}

TEST(RuleLoader, RejectsBadScheduleRange) {
  LoadResult result = Load(R"(
version: 1
schedules:
  office:
    timezone: UTC
    weekly: { mon-fri: ["9am-5pm"] }
rules: []
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 25, ""));
}

TEST(RuleLoader, RejectsUnknownActionTypeWithSuggestion) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - lgo: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 6, 9, "unknown action type 'lgo'"));
}

TEST(RuleLoader, SuggestsActionTypeForTypo) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - log: { message: hi }
      - htp: { url: "https://example.com/" }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 7, 9, "unknown action type 'htp' (did you mean 'http'?)"));
}

TEST(RuleLoader, RejectsUnknownActionParameterWithSuggestion) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - log: { mesage: hi }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 2u) << result.FormatErrors();  // also: `message` missing
  EXPECT_TRUE(HasError(result, 6, 16, "unknown parameter 'mesage' (did you mean 'message'?)"));
  EXPECT_TRUE(HasError(result, 6, 9, "missing required parameter 'message'"));
  EXPECT_EQ(result.errors[1].item, "rule 'a' action 'log'");
}

TEST(RuleLoader, RejectsMissingRequiredParameter) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - openphone.send_message:
          content: hello
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 6, 9, "missing required parameter 'to'"));
}

TEST(RuleLoader, RejectsTemplateInUrlHost) {
  LoadResult result = Load(R"(
version: 1
vars:
  host: example.com
rules:
  - id: a
    event: message.received
    actions:
      - http: { url: "https://{{ vars.host }}/hook" }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 8, 22, "the scheme and host must be literal text"));
}

TEST(RuleLoader, RejectsTemplateInUrlPort) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - http: { url: "https://example.com:{{ data.port }}/hook" }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 6, 22, "the scheme and host must be literal text"));
}

TEST(RuleLoader, RejectsTemplateAsWholeUrl) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - http: { url: "{{ data.object.url }}" }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 6, 22, "must start with a literal http:// or https://"));
}

TEST(RuleLoader, AcceptsTemplateInUrlPathAndQuery) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - http: { url: "https://example.com/contacts/{{ facts.contact }}?text={{ facts.text }}" }
)");
  EXPECT_TRUE(result.ok()) << result.FormatErrors();
}

TEST(RuleLoader, RejectsNonHttpScheme) {
  for (std::string_view url : {"ftp://example.com/x", "file:///etc/passwd", "example.com/x"}) {
    std::string yaml = "version: 1\nrules:\n  - id: a\n    event: message.received\n"
                       "    actions:\n      - http: { url: \"" +
                       std::string(url) + "\" }\n";
    LoadResult result = Load(yaml);
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_TRUE(HasError(result, 6, 22, "must start with a literal http:// or https://")) << url;
  }
}

// A probe: a URL with a space in its literal text loaded, for a request line
// that no server reads as meant; an empty `success` list let nothing succeed.
TEST(RuleLoader, RejectsSpacesInAUrlAndAnEmptySuccessList) {
  auto with_action = [](const std::string& action) {
    return Load("version: 1\nrules:\n  - id: a\n    event: message.received\n"
                "    actions:\n      - " + action + "\n");
  };
  EXPECT_TRUE(HasError(with_action("http: { url: \"https://x.example/a b\" }"), 6, 22,
                       "parameter 'url' contains a space (write %20)"));
  EXPECT_TRUE(HasError(with_action("http: { url: \"https://x.example/a\\tb\" }"), 6, 22,
                       "parameter 'url' contains a control character"));
  EXPECT_TRUE(HasError(with_action("http: { url: \"https://x.example/\", success: [] }"), 6,
                       53, "parameter 'success' needs at least one"));
  // Spaces inside a template's braces are the template's, whatever its strings hold.
  EXPECT_TRUE(with_action("http: { url: \"https://x.example/{{ facts.text | trim }}?a={{ id }}\" }")
                  .ok());
  EXPECT_TRUE(
      with_action("http: { url: 'https://x.example/{{ facts.text | default(\"}} x\") }}/a' }").ok());
  // A folded scalar ends in a line break.
  LoadResult folded = Load("version: 1\nrules:\n  - id: a\n    event: message.received\n"
                           "    actions:\n      - http:\n          url: >\n"
                           "            https://x.example/a\n");
  EXPECT_TRUE(HasError(folded, 7, 16, "contains a line break (a folded `>` scalar ends in one"))
      << folded.FormatErrors();
}

TEST(RuleLoader, RejectsInvalidSqlTableName) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - sqlite:
          table: "messages; DROP TABLE x"
          values: { body: "{{ facts.text }}" }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 7, 18,
                       "parameter 'table': 'messages; DROP TABLE x' is not a valid SQL identifier"));
}

TEST(RuleLoader, RejectsInvalidSqlColumnName) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - sqlite:
          table: messages
          values: { "body text": "{{ facts.text }}" }
)");
  ASSERT_FALSE(result.ok());
  // At the column's name, not at the mapping.
  EXPECT_TRUE(HasError(result, 8, 21,
                       "parameter 'values': 'body text' is not a valid SQL column name"));
}

TEST(RuleLoader, RejectsUnknownTemplateFilterWithSuggestion) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - log: { message: "{{ facts.text | lowr }}" }
)");
  ASSERT_FALSE(result.ok());
  // "lowr" starts at byte 16 of the template, whose quote is at column 25.
  EXPECT_TRUE(HasError(result, 6, 42, "unknown filter 'lowr' (did you mean 'lower'?)"));
}

TEST(RuleLoader, RejectsUndefinedVariable) {
  LoadResult result = Load(R"(
version: 1
vars:
  company: Acme
rules:
  - id: a
    event: message.received
    actions:
      - log: { message: "Hi from {{ vars.compnay }}" }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 8, 34, "undefined variable 'compnay' (did you mean 'company'?)"));
}

// A rule file is one YAML document: markers around it are fine, a second one is
// an error (it would otherwise be ignored).
TEST(RuleLoader, OneYamlDocumentPerFile) {
  for (const char* ok : {"---\nversion: 1\nrules: []\n", "version: 1\nrules: []\n---\n",
                         "version: 1\nrules: []\n...\n# the end\n---\n"}) {
    LoadResult result = Load(ok);
    EXPECT_TRUE(result.ok()) << ok << "\n" << result.FormatErrors();
  }
  for (const char* two : {"version: 1\nrules: []\n---\nrules: []\n",
                          "version: 1\nrules: []\n--- {}\n",
                          "version: 1\nrules: []\n...\nrules: []\n"}) {
    LoadResult result = Load(two);
    ASSERT_FALSE(result.ok()) << two;
    EXPECT_NE(result.FormatErrors().find("a rule file holds one YAML document"), std::string::npos)
        << result.FormatErrors();
  }
}

// YAML merge keys, as Home Assistant configurations use them.
TEST(RuleLoader, MergeKeysShareCommonParts) {
  LoadResult result = Load(R"(
version: 1
rules:
  - &reply
    id: base-reply
    event: message.received
    priority: 5
    actions:
      - openphone.send_message: &message { to: "{{ facts.contact }}", content: "hi" }
  - <<: *reply
    id: second-reply
    when: { facts.text: { contains: price } }
  - <<: [*reply]
    id: third-reply
    priority: 7
    actions:
      - openphone.send_message: { <<: *message, content: "bye" }
)");
  ASSERT_TRUE(result.ok()) << result.FormatErrors();
  std::map<std::string, int> priority;
  for (const RuleInfo& r : result.rules->rules()) priority[r.id] = r.priority;
  EXPECT_EQ(priority, (std::map<std::string, int>{
                          {"base-reply", 5}, {"second-reply", 5}, {"third-reply", 7}}));
  auto event = Event::Parse(
      R"({"id":"EV1","type":"message.received","data":{"object":{"object":"message",)"
      R"("direction":"incoming","from":"+15555550100","text":"price?","phoneNumberId":"PN1"}}})");
  ASSERT_TRUE(event.ok());
  Evaluation e = result.rules->Evaluate(*event);
  ASSERT_EQ(e.fired.size(), 3u);
  EXPECT_EQ(e.fired[0].rule_id, "third-reply");
  EXPECT_EQ(e.fired[0].actions[0].params.Find("content")->as_string(), "bye");
  EXPECT_EQ(e.fired[0].actions[0].params.Find("to")->as_string(), "+15555550100");
  // A merged key that is wrong is reported where it is written.
  LoadResult bad = Load(R"(
version: 1
rules:
  - &reply
    id: one
    event: message.received
    priorty: 5
    actions: [{log: {message: x}}]
  - <<: *reply
    id: two
)");
  EXPECT_TRUE(HasError(bad, 6, 5, "unknown key 'priorty'")) << bad.FormatErrors();
}

// Errors inside a block scalar point at their own line, not the `|` or `>`.
// A probe: inside quoted scalars with escapes ('', \", \u00e9, \t) the column
// was off by what the escapes saved, and a flow scalar spanning lines put its
// error on the first line, past its end.
TEST(RuleLoader, TemplateErrorsInFlowScalarsPointAtTheirPlace) {
  LoadResult result = Load(R"(version: 1
rules:
  - id: c
    event: message.received
    actions:
      - log: {message: "\"quoted\" \u00e9 {{ facts.a1 }}"}
      - log: {message: 'it''s {{ facts.a2 }}'}
      - log: {message: "tab\there \x41 {{ facts.a3 }}"}
      - log:
          message: "first line
            second {{ facts.a4 }}"
      - log:
          message: 'one

            two {{ facts.a5 }}'
      - log:
          message: plain text
            folded {{ facts.a6 }}
      - log:
          message: "escaped break \
            joined {{ facts.a7 }}"
)");
  ASSERT_EQ(result.errors.size(), 7u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 6, 43, "unknown fact 'a1'"));
  EXPECT_TRUE(HasError(result, 7, 31, "unknown fact 'a2'"));
  EXPECT_TRUE(HasError(result, 8, 40, "unknown fact 'a3'"));
  EXPECT_TRUE(HasError(result, 11, 20, "unknown fact 'a4'"));
  EXPECT_TRUE(HasError(result, 15, 17, "unknown fact 'a5'"));
  EXPECT_TRUE(HasError(result, 18, 20, "unknown fact 'a6'"));
  EXPECT_TRUE(HasError(result, 21, 20, "unknown fact 'a7'"));
}

TEST(RuleLoader, TemplateErrorsInBlockScalarsPointAtTheirLine) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: literal
    event: message.received
    actions:
      - log:
          message: |
            first {{ facts.text }}

              indented {{ facts.txet }}
  - id: folded
    event: message.received
    actions:
      - log:
          message: >-
            folded {{ facts.text }}
            second {{ facts.bogus }}
      - log:
          message: >

            after a blank line


            and two {{ facts.bad1 }}
      - log:
          message: |2
               indented by the indicator {{ facts.bad2 }}
      - log:
          message: |
            a
                  
            b {{ facts.bad3 }}
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 10, 24, "unknown fact 'txet'")) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 17, 20, "unknown fact 'bogus'")) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 24, 21, "unknown fact 'bad1'")) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 27, 42, "unknown fact 'bad2'")) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 32, 15, "unknown fact 'bad3'")) << result.FormatErrors();
}

TEST(RuleLoader, RejectsCaptureWithoutNamedGroup) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    when:
      facts.text: { matches: 'order (?P<number>\d+)' }
    actions:
      - log: { message: "order {{ captures.order }}" }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 8, 32, "no named group 'order'"));
}

TEST(RuleLoader, AcceptsCaptureOfNamedGroupFromMacro) {
  LoadResult result = Load(R"(
version: 1
macros:
  order_text: { facts.text: { matches: 'order (?P<order>\d+)' } }
rules:
  - id: a
    event: message.received
    when: { macro: order_text }
    actions:
      - log: { message: "order {{ captures.order }}" }
)");
  EXPECT_TRUE(result.ok()) << result.FormatErrors();
}

TEST(RuleLoader, RejectsTestExpectingUnknownRule) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: hello
    event: message.received
    actions:
      - log: { message: hi }
tests:
  - name: says hello
    payload: { id: EV1, type: message.received }
    expect:
      fired: [helo]
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 11, 15, "unknown rule 'helo' (did you mean 'hello'?)"));
  EXPECT_EQ(result.errors[0].item, "test 'says hello'");
}

TEST(RuleLoader, RejectsTestWithMissingEventFile) {
  LoadResult result = Load(R"(
version: 1
rules: []
tests:
  - name: t
    event: no-such-event.json
    expect: { fired: [] }
)",
                           "/tmp/switchboard-no-such-dir/rules.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 12,
                       "cannot read event file '/tmp/switchboard-no-such-dir/no-such-event.json': "
                       "No such file or directory"))
      << result.FormatErrors();
}

TEST(RuleLoader, RejectsTestWhoseEventFileIsADirectory) {
  LoadResult result = Load(R"(
version: 1
rules: []
tests:
  - name: t
    event: .
    expect: { fired: [] }
)",
                           "/tmp/rules.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 12, "cannot read event file '/tmp/.': Is a directory"))
      << result.FormatErrors();
}

// A server loads rules without their tests (LoadOptions::tests false): it does
// not read the tests' event files, but a test that is wrong in itself still
// fails the load, as `check` does (SPEC: one bad file fails the whole load).
TEST(RuleLoader, WithoutTestsStillRejectsABadTestButReadsNoEventFile) {
  static const std::unique_ptr<Engine> engine = Engine::Create();
  const char* missing_file = R"(version: 1
rules:
  - { id: r1, event: "*", actions: [log: { message: x }] }
tests:
  - name: t
    event: no-such-event.json
    expect: { fired: [r1] }
)";
  LoadResult served =
      engine->LoadString(missing_file, "/tmp/switchboard-no-such-dir/rules.yaml", LoadOptions{false});
  ASSERT_TRUE(served.ok()) << served.FormatErrors();
  EXPECT_TRUE(served.rules->tests().empty());
  LoadResult checked = engine->LoadString(missing_file, "/tmp/switchboard-no-such-dir/rules.yaml");
  EXPECT_TRUE(HasError(checked, 6, 12, "cannot read event file")) << checked.FormatErrors();

  const char* bad_tests = R"(version: 1
rules:
  - { id: r1, event: "*", actions: [log: { message: x }] }
tests:
  - name: t
    payload: { id: E, type: t }
    expect: { fired: [nope] }
    bogus: 1
  - name: u
    expect: { fired: [] }
)";
  for (bool tests : {true, false}) {
    LoadResult result = engine->LoadString(bad_tests, "rules.yaml", LoadOptions{tests});
    EXPECT_FALSE(result.ok()) << "tests " << tests;
    EXPECT_TRUE(HasError(result, 7, 23, "unknown rule 'nope'")) << "tests " << tests;
    EXPECT_TRUE(HasError(result, 8, 5, "unknown key 'bogus'")) << "tests " << tests;
    EXPECT_TRUE(HasError(result, 9, 5, "missing 'event' (a file) or 'payload'"))
        << "tests " << tests;
  }
}

// yaml-cpp places a `{`, `[` or quote left open at the end of the text, a line
// past the last: the error shows the last line instead, and says what to look for.
TEST(RuleLoader, UnclosedFlowAtTheEndOfTheFileIsShownOnItsLastLine) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: x
    event: t
    actions: [log: {message: "abc}]


)");
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  const Diagnostic& d = result.errors[0];
  EXPECT_EQ(d.line, 5) << d.Headline();
  EXPECT_EQ(d.column, 36) << d.Headline();
  EXPECT_EQ(d.message,
            "invalid YAML: end of map flow not found (the file ends inside a '{', '[' or "
            "quoted string opened above: look for the one that is not closed)");
  EXPECT_NE(d.snippet.find("actions: [log: {message: \"abc}]"), std::string::npos)
      << d.snippet;

  result = Load("version: 1\nrules: [\n");
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 2, 9, "end of sequence flow not found (the file ends inside"))
      << result.FormatErrors();
}

TEST(RuleLoader, ReportsEveryErrorInFileOrder) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    when: { facts.text: { match: hi } }
    actions:
      - log: { message: hi }
  - id: B
    event: message.received
    actions:
      - log: { message: hi }
  - id: c
    event: message.received
    actions:
      - lgo: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 3u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].line, 5);
  EXPECT_NE(result.errors[0].message.find("unknown operator 'match'"), std::string::npos);
  EXPECT_EQ(result.errors[1].line, 8);
  EXPECT_NE(result.errors[1].message.find("invalid rule id"), std::string::npos);
  EXPECT_EQ(result.errors[2].line, 15);
  EXPECT_NE(result.errors[2].message.find("unknown action type 'lgo'"), std::string::npos);
}

// A probe: a test's payload or set with a key written twice loaded, the last
// one silently winning; a `weekly` that is not a mapping was called missing.
TEST(RuleLoader, KeysWrittenTwiceInTestsAndWeeklyThatIsNoMapping) {
  LoadResult result = Load(R"(
version: 1
schedules:
  s: { timezone: UTC, weekly: [ mon ] }
rules:
  - { id: r1, event: "*", actions: [log: { message: x }] }
tests:
  - name: t
    payload: { id: E, type: t, data: { object: { text: a, text: b } } }
    set: { facts.text: x, facts.text: y }
    expect: { fired: [r1] }
)");
  EXPECT_TRUE(HasError(result, 3, 31, "'weekly' must be a mapping such as mon-fri"));
  EXPECT_TRUE(HasError(result, 8, 59, "'payload': duplicate key 'text'"));
  EXPECT_TRUE(HasError(result, 9, 27, "'set': duplicate key 'facts.text'"));
  EXPECT_TRUE(HasError(Load("version: 1\nschedules:\n  s: { timezone: UTC }\nrules: []\n"), 3, 6,
                       "missing 'weekly' (a mapping such as mon-fri"));
}

TEST(RuleLoader, ReportsErrorsOfDefinitionsAndRulesInFileOrder) {
  // The macro is compiled before the rules and the test after them; the report
  // is still in the order of the file.
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    when: { facts.text: { equals: hi, ignore_case: maybe } }
    actions:
      - lgo: { message: hi }
macros:
  m: { facts.nope: 1 }
tests:
  - name: t
    payload: { type: message.received }
    expect: { fired: [zzz] }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 4u) << result.FormatErrors();
  for (size_t i = 1; i < result.errors.size(); ++i) {
    EXPECT_LT(std::make_pair(result.errors[i - 1].line, result.errors[i - 1].column),
              std::make_pair(result.errors[i].line, result.errors[i].column))
        << result.FormatErrors();
  }
  EXPECT_TRUE(HasError(result, 5, 52, "'ignore_case' takes true or false"));
  EXPECT_TRUE(HasError(result, 7, 9, "unknown action type 'lgo'"));
  EXPECT_TRUE(HasError(result, 9, 8, "unknown fact 'nope'"));
  EXPECT_TRUE(HasError(result, 13, 23, "unknown rule 'zzz'"));
}

TEST(RuleLoader, SnippetHasCaretUnderTheColumn) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: hours
    event: message.received
    when:
      facts.text: { match: 'hours' }
    actions:
      - log: { message: hi }
)");
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  const Diagnostic& d = result.errors[0];
  EXPECT_EQ(d.snippet,
            " 6 |       facts.text: { match: 'hours' }\n"
            "   |                     ^");
  EXPECT_EQ(d.ToString(), d.Headline() + "\n" + d.snippet);
  EXPECT_EQ(result.FormatErrors(), d.ToString() + "\n");
}

TEST(RuleLoader, SnippetCaretPadsForTwoDigitLines) {
  std::string yaml = "version: 1\n";
  for (int i = 0; i < 9; ++i) yaml += "# filler\n";
  yaml += "bogus: 1\n";  // line 11
  LoadResult result = Load(yaml);
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].line, 11);
  EXPECT_EQ(result.errors[0].column, 1);
  EXPECT_EQ(result.errors[0].snippet,
            " 11 | bogus: 1\n"
            "    | ^");
}

TEST(RuleLoader, DiagnosticHeadlineOmitsUnknownParts) {
  Diagnostic d;
  d.message = "boom";
  EXPECT_EQ(d.Headline(), "<input>: boom");
  d.file = "f.yaml";
  d.line = 3;
  EXPECT_EQ(d.Headline(), "f.yaml:3: boom");
  d.column = 7;
  d.item = "rule 'x'";
  EXPECT_EQ(d.Headline(), "f.yaml:3:7: rule 'x': boom");
  EXPECT_EQ(d.ToString(), d.Headline());
}

TEST(RuleLoader, RejectsDuplicateListName) {
  LoadResult result = Load(R"(
version: 1
lists:
  staff: ["+15550001111"]
  staff: ["+15550002222"]
rules: []
)");
  ASSERT_FALSE(result.ok());
  EXPECT_GE(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, 4) << result.FormatErrors();
}

TEST(RuleLoader, RejectsBadPriorityAndFlags) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    priority: high
    stop: sometimes
    enabled: 2
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 3u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 5, 15, "'priority' must be a whole number"));
  EXPECT_TRUE(HasError(result, 6, 11, "'stop' takes true or false"));
  EXPECT_TRUE(HasError(result, 7, 14, "'enabled' takes true or false"));
}

// Priorities past int's range said "must be a whole number", which they are.
TEST(RuleLoader, RejectsPriorityOutOfRangeWithTheRange) {
  for (const char* priority : {"99999999999", "2147483648", "-2147483649"}) {
    LoadResult result = Load(std::string("version: 1\nrules:\n  - id: r\n    event: x\n"
                                         "    priority: ") +
                             priority + "\n    actions: [ log: { message: hi } ]\n");
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(HasError(result, 5, 15,
                         std::string("'priority' ") + priority +
                             " is out of range: it must be from -2147483648 to 2147483647"));
  }
  LoadResult fraction = Load(
      "version: 1\nrules:\n  - id: r\n    event: x\n    priority: 1.5\n"
      "    actions: [ log: { message: hi } ]\n");
  EXPECT_TRUE(HasError(fraction, 5, 15,
                       "'priority' must be a whole number from -2147483648 to 2147483647"));
}

TEST(RuleLoader, AcceptsPriorityWithPlusSignAndTheExtremes) {
  LoadResult result = Load(R"(
version: 1
rules:
  - { id: a, event: x, priority: +5, actions: [ log: { message: a } ] }
  - { id: b, event: x, priority: 2147483647, actions: [ log: { message: b } ] }
  - { id: c, event: x, priority: -2147483648, actions: [ log: { message: c } ] }
  - { id: d, event: x, throttle: { per: 1h, limit: +2 }, actions: [ log: { message: d } ] }
)");
  ASSERT_TRUE(result.ok()) << result.FormatErrors();
  std::map<std::string, int> priority;
  for (const RuleInfo& rule : result.rules->rules()) priority[rule.id] = rule.priority;
  EXPECT_EQ(priority["a"], 5);
  EXPECT_EQ(priority["b"], 2147483647);
  EXPECT_EQ(priority["c"], -2147483648);
}

TEST(RuleLoader, RejectsContentTooLongAndBadToAtLoad) {
  std::string long_content(1601, 'x');
  LoadResult result = Load("version: 1\nrules:\n  - id: a\n    event: message.received\n"
                           "    actions:\n      - openphone.send_message:\n          to: \"5550100\"\n"
                           "          content: " +
                           long_content + "\n");
  ASSERT_FALSE(result.ok());
  // One Validate error per action: content is checked first.
  EXPECT_TRUE(HasError(result, 8, 20, "parameter 'content' must be 1 to 1600 characters, not 1601"));
}

TEST(RuleLoader, RejectsLiteralToThatIsNotE164) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: a
    event: message.received
    actions:
      - openphone.send_message: { to: "555-0100", content: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 6, 39, "parameter 'to' must be one E.164 number"));
}

TEST(RuleLoader, RejectsUnknownKeyInThrottleWithSuggestion) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: r
    event: message.received
    throttle: { key: "{{ facts.contact }}", per: 1h, limt: 2 }
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 5, 54, "unknown key 'limt' in a throttle (did you mean 'limit'?)"));
}

TEST(RuleLoader, RejectsUnknownKeyInScheduleAndTest) {
  LoadResult result = Load(R"(
version: 1
schedules:
  office:
    timezone: UTC
    weekly: { mon-fri: ["09:00-17:00"] }
    closd: ["2026-12-25"]
rules: []
tests:
  - name: t
    payload: { type: x }
    expect: { fired: [], fires: [] }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 2u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 6, 5, "unknown key 'closd' in a schedule (did you mean 'closed'?)"));
  EXPECT_TRUE(HasError(result, 11, 26, "unknown key 'fires'"));
}

TEST(RuleLoader, ErrorsInsideAMacroNameTheMacro) {
  LoadResult result = Load(R"(
version: 1
macros:
  inbound: { facts.direction: { equal: incoming } }
rules: []
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 3, 33, "unknown operator 'equal' (did you mean 'equals'?)"));
  EXPECT_EQ(result.errors[0].item, "macro 'inbound'");
}

TEST(RuleLoader, RejectsEmptyEventList) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: r
    event: []
    actions:
      - log: { message: hi }
)");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 4, 12, "'event' needs at least one type"));
}

TEST(RuleLoader, RejectsUnclosedTemplate) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: r
    event: message.received
    actions:
      - log: { message: "hi {{ facts.contact" }
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].line, 6);
  EXPECT_GE(result.errors[0].column, 25);
}

TEST(RuleLoader, RejectsEmptyConditionList) {
  LoadResult result = Load(WithWhen("[]"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 11, "empty condition list"));
}

TEST(RuleLoader, RejectsEmptyAnyAndEmptyMatcher) {
  LoadResult result = Load(WithWhen("{ any: [], facts.text: {} }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 18, "'any' takes a non-empty list of conditions"));
  EXPECT_TRUE(HasError(result, 5, 34, "empty matcher"));
}

TEST(RuleLoader, RejectsAMatcherWithOnlyIgnoreCase) {
  LoadResult result = Load(WithWhen("{ facts.text: { ignore_case: true } }"));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(HasError(result, 5, 25, "matcher has no operator, only 'ignore_case'"));
}

// A flow mapping of `levels` anchored lists, each repeating the one before nine
// times ("billion laughs"): its last key stands for 9^levels values. Converting
// every alias to its own copy, `switchboard check` used to run for minutes and
// take gigabytes on nine levels.
std::string Laughs(int levels) {
  std::string out = "{ ";
  for (int level = 0; level < levels; ++level) {
    const std::string item = level == 0 ? "x" : "*l" + std::to_string(level - 1);
    out += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [" + item;
    for (int i = 1; i < 9; ++i) out += ", " + item;
    out += level + 1 < levels ? "], " : "] }";
  }
  return out;
}

constexpr std::string_view kTooLarge =
    "value too large: more than 200000 YAML nodes after expanding aliases";

TEST(RuleLoader, RejectsBillionLaughsInVarsWithPosition) {
  LoadResult result = Load("version: 1\nvars:\n  lol: " + Laughs(9) + "\n");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_TRUE(HasError(result, 3, 3, kTooLarge));
  EXPECT_EQ(result.errors[0].item, "var 'lol'");
  EXPECT_EQ(result.errors[0].snippet.substr(result.errors[0].snippet.find('\n')), "\n   |   ^");
}

TEST(RuleLoader, RejectsBillionLaughsInActionParametersAndTests) {
  const std::string laughs = Laughs(9);
  const std::string rule = Yaml(R"(
version: 1
rules:
  - id: r
    event: message.received
    actions:
      - http:
          url: "https://example.com/"
          body: )");
  LoadResult body = Load(rule + laughs + "\n");
  EXPECT_TRUE(HasError(body, 8, 17, kTooLarge)) << body.FormatErrors();
  ASSERT_EQ(body.errors.size(), 1u);
  EXPECT_EQ(body.errors[0].item, "rule 'r' action 'http'");
  const std::string test = Yaml(R"(
version: 1
tests:
  - name: t
    expect: { fired: [] }
)");
  LoadResult payload = Load(test + "    payload: " + laughs + "\n");
  EXPECT_TRUE(HasError(payload, 5, 14, kTooLarge)) << payload.FormatErrors();
  LoadResult set =
      Load(test + "    payload: { type: x }\n    set:\n      data.x: " + laughs + "\n");
  EXPECT_TRUE(HasError(set, 7, 7, kTooLarge)) << set.FormatErrors();
  for (const LoadResult* result : {&payload, &set}) {
    ASSERT_EQ(result->errors.size(), 1u) << result->FormatErrors();
    EXPECT_EQ(result->errors[0].item, "test 't'");
  }
}

// The bound is for all values of a file together, or copies of a value just
// under it would add up without limit; past it, only the first is reported.
TEST(RuleLoader, AliasesCountTogetherAgainstOneBoundPerFile) {
  // A var of 8,303 nodes and `copies` vars that alias it.
  auto copies = [](const std::string& prefix, int copies) {
    std::string yaml = "version: 1\nvars:\n  " + prefix + ": &base " + Laughs(4) + "\n";
    for (int i = 0; i < copies; ++i) yaml += "  " + prefix + std::to_string(i) + ": *base\n";
    return yaml;
  };
  LoadResult result = Load(copies("v", 30));
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  // v and v0..v22 make 199,272 nodes; v23, on line 27, passes 200,000.
  EXPECT_TRUE(HasError(result, 27, 3, kTooLarge));
  EXPECT_EQ(result.errors[0].item, "var 'v23'");
  // Each file has a bound of its own.
  TempDir dir;
  dir.Write("a.yaml", copies("a", 20));
  dir.Write("b.yaml", copies("b", 20));
  LoadResult two = Engine::Create()->LoadFiles({dir.path()});
  EXPECT_TRUE(two.ok()) << two.FormatErrors();
}

TEST(RuleLoader, RejectsValuesNestedTooDeeply) {
  auto nested = [](int levels) {
    return "version: 1\nvars:\n  deep: " + std::string(levels, '[') + "x" +
           std::string(levels, ']') + "\n";
  };
  LoadResult deepest = Load(nested(64));
  EXPECT_TRUE(deepest.ok()) << deepest.FormatErrors();
  for (int levels : {65, 400}) {
    LoadResult result = Load(nested(levels));
    ASSERT_EQ(result.errors.size(), 1u) << levels << "\n" << result.FormatErrors();
    EXPECT_TRUE(HasError(result, 3, 3, "value nested too deeply: more than 64 levels")) << levels;
    EXPECT_EQ(result.errors[0].item, "var 'deep'");
  }
  // yaml-cpp itself stops at 500 levels from the document's root, before the
  // loader sees the value (with a mark past the end of the line).
  LoadResult result = Load(nested(10000));
  ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
  EXPECT_EQ(result.errors[0].line, 3);
  EXPECT_EQ(result.errors[0].message, "invalid YAML: nested 500 or more levels deep");
}

TEST(RuleLoader, LoadsLargeValuesWrittenOut) {
  std::string items;
  for (int i = 0; i < 5000; ++i) items += (i ? ", " : "") + std::to_string(15555550000 + i);
  LoadResult result = Load("version: 1\nvars:\n  numbers: [" + items + "]\nlists:\n  staff: [" +
                           items + "]\nrules:\n  - id: r\n    event: message.received\n" +
                           "    when: { data.object.n: { in: staff } }\n" +
                           "    actions: [{ log: { message: \"{{ vars.numbers }}\" } }]\n");
  EXPECT_TRUE(result.ok()) << result.FormatErrors();
}

}  // namespace
}  // namespace switchboard

namespace switchboard {
namespace {

// Regression (found by ASan through fuzz_rules): the loader bound `const
// YAML::Node&` to `it->first` / `it->second` of yaml-cpp map iterators, which
// are temporaries; any action or operator mapping read freed memory. Under the
// sanitizer build (scripts/ci-extra.sh asan) this test fails on the old code.
TEST(RuleLoader, RegressionYamlNodesFromMapIteratorsAreNotDangling) {
  auto engine = Engine::Create();
  LoadResult loaded = engine->LoadString(R"(version: 1
rules:
  - id: r
    event: message.received
    when:
      facts.text: { matches: 'a', not_equals: b, ignore_case: true }
    actions:
      - log: { message: "{{ facts.text }}", level: info }
      - http: { url: "https://example.com/x", headers: { X-A: "1" } }
)",
                                         "regression.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  auto event = Event::Parse(R"({"id":"E","type":"message.received","data":{"object":{"object":"message","direction":"incoming","text":"A"}}})");
  ASSERT_TRUE(event.ok());
  Evaluation result = loaded.rules->Evaluate(*event);
  ASSERT_EQ(result.fired.size(), 1u);
  EXPECT_EQ(result.fired[0].actions[0].params.Find("message")->as_string(), "A");
  EXPECT_EQ(result.fired[0].actions[1].params.Find("headers")->Find("X-A")->as_string(), "1");
}

// From a review of the duplicate-key check: a mapping shared through aliases
// is checked once per file, so that neither the errors nor the time multiply
// with its aliases (the first version reported a duplicate once per visit:
// 396,821 errors from a 2 KB file, and took 12 s on a 17 KB one).
TEST(RuleLoader, ADuplicateKeyInASharedMappingIsReportedOnce) {
  LoadResult shared = Load(R"(
version: 1
rules:
  - id: r
    event: "*"
    actions:
      - http: { url: "https://example.com/x", body: &b { k: 1, k: 2 } }
      - http: { url: "https://example.com/x", body: [*b, *b, *b, *b, *b, *b, *b, *b] }
)");
  ASSERT_EQ(shared.errors.size(), 1u) << shared.FormatErrors();
  EXPECT_TRUE(HasError(shared, 6, 64, "parameter 'body': duplicate key 'k'"));
  std::string yaml =
      "version: 1\nrules:\n  - id: r\n    event: \"*\"\n    actions:\n"
      "      - http: { url: \"https://example.com/x\", body: &a { k: 1, k: 2 } }\n";
  for (char level = 'b'; level <= 'f'; ++level) {
    std::string items;
    for (int i = 0; i < 10; ++i) items += std::string(i ? "," : "") + "*" + char(level - 1);
    yaml += "      - http: { url: \"https://example.com/x\", body: &" + std::string(1, level) +
            " [" + items + "] }\n";
  }
  for (int i = 0; i < 300; ++i) yaml += "      - http: { url: \"https://example.com/x\", body: *f }\n";
  LoadResult fan_out = Load(yaml);
  size_t duplicates = 0;
  for (const Diagnostic& d : fan_out.errors) {
    duplicates += d.message.find("duplicate key") != std::string::npos;
  }
  EXPECT_EQ(duplicates, 1u) << fan_out.FormatErrors().substr(0, 2000);
  // (The other error is the file's budget of values, which the aliases exceed.)
  EXPECT_LE(fan_out.errors.size(), 2u) << fan_out.FormatErrors().substr(0, 2000);
}

// Keys that are not plain names (null, ~, a list) all became the key "".
TEST(RuleLoader, KeysThatAreNotPlainNamesAreLoadErrors) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: r
    event: "*"
    actions:
      - http: { url: "https://example.com/x", body: { ~: 1, null: 2, [a]: 3 } }
)");
  EXPECT_TRUE(HasError(result, 6, 55, "parameter 'body': keys must be plain names"));
  EXPECT_TRUE(HasError(result, 6, 61, "parameter 'body': keys must be plain names"));
  EXPECT_TRUE(HasError(result, 6, 70, "parameter 'body': keys must be plain names"));
}

// Merge keys, sibling mappings, anchors: none of these is a duplicate.
TEST(RuleLoader, MergesAliasesAndSiblingsAreNoDuplicates) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: r
    event: "*"
    actions:
      - http: { url: "https://example.com/x", body: &base { a: 1, n: { x: 1 } } }
      - http: { url: "https://example.com/x", body: { <<: *base, a: 2, m: [ { a: 1 }, { a: 2 } ] } }
      - http: { url: "https://example.com/x", body: { <<: [*base, { a: 3, b: 4 }], b: 5 } }
      - http: { url: "https://example.com/x", body: { a: ~, b: , n: *base, m: *base } }
      - sqlite: { table: t, values: { <<: { a: x }, a: y, b: ~ } }
tests:
  - name: t
    payload: { <<: { id: E, type: t }, id: F, data: *base }
    set: { <<: { facts.a: 1 }, facts.a: 2 }
    expect: { fired: [r] }
)");
  EXPECT_TRUE(result.errors.empty()) << result.FormatErrors();
}

// A header merged in by << and written again in another case: YAML's merge
// keeps both (it compares keys as written), and they are one header.
TEST(RuleLoader, AHeaderMergedInAndWrittenInAnotherCaseIsOneHeader) {
  LoadResult result = Load(R"(
version: 1
rules:
  - id: r
    event: "*"
    actions:
      - http: { url: "https://example.com/x", headers: { <<: { Authorization: a }, authorization: b } }
)");
  EXPECT_NE(result.FormatErrors().find(
                "'authorization' and 'Authorization' are one header (header names ignore case)"),
            std::string::npos)
      << result.FormatErrors();
}

}  // namespace
}  // namespace switchboard

