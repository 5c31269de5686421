#include "template.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "switchboard/event.h"
#include "switchboard/value.h"

namespace switchboard {
namespace {

constexpr const char* kEventJson = R"({
  "id": "EV1",
  "type": "message.received",
  "data": {
    "object": {
      "text": "Hello World",
      "to": ["+15550001111", "+15550002222"],
      "from": "+15559990000",
      "count": 3,
      "price": 2.5,
      "flag": true,
      "empty": "",
      "nothing": null,
      "none": [],
      "padded": "  \t padded \n ",
      "unicode": "h\u00e9llo \ud83d\udc4b w\u00f6rld",
      "mixed": [1, "a", true, null, {"k": "v"}],
      "meta": {"a": 1, "b": "x"},
      "nested": [{"name": "n0"}, {"name": "n1"}]
    }
  }
})";

const Event& TestEvent() {
  static const Event* event = [] {
    auto parsed = Event::Parse(kEventJson);
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    return new Event(std::move(parsed).value());
  }();
  return *event;
}

const Value& TestVars() {
  static const Value* vars = [] {
    auto parsed = Value::FromJson(R"({
      "company": "Acme Plumbing",
      "team": {"lead": {"name": "Ada"}, "size": 4},
      "numbers": [10, 20, 30],
      "people": [{"name": "Bo"}, {"name": "Cy"}]
    })");
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    return new Value(std::move(parsed).value());
  }();
  return *vars;
}

const Captures& TestCaptures() {
  static const Captures captures = {{"order", "12345"}, {"name", "Bo"}};
  return captures;
}

TemplateContext TestContext() {
  TemplateContext context;
  context.event = &TestEvent();
  context.vars = &TestVars();
  context.captures = &TestCaptures();
  context.rule_id = "hours-keyword";
  context.rule_description = "Answer questions about opening hours";
  context.now = "2026-04-01T12:00:00Z";
  return context;
}

// Parses and renders against TestContext(); a parse error fails the test.
std::string Render(std::string_view text, Template::Mode mode = Template::Mode::kText) {
  auto t = Template::Parse(text, mode);
  EXPECT_TRUE(t.ok()) << "'" << text << "': " << t.status().message();
  if (!t.ok()) return "<parse error>";
  return t->Render(TestContext());
}

struct ParseError {
  std::string message;
  size_t offset;
};

ParseError ParseFailure(std::string_view text) {
  size_t offset = 12345;
  auto t = Template::Parse(text, Template::Mode::kText, &offset);
  EXPECT_FALSE(t.ok()) << "'" << text << "' parsed";
  if (t.ok()) return {"<parsed>", offset};
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return {t.status().message(), offset};
}

#define EXPECT_PARSE_ERROR(text, expected_message, expected_offset) \
  do {                                                              \
    ParseError error = ParseFailure(text);                          \
    EXPECT_EQ(error.message, expected_message) << (text);           \
    EXPECT_EQ(error.offset, size_t{expected_offset}) << (text);     \
  } while (0)

// ---------------------------------------------------------------------------
// Literal text and syntax

TEST(Template, LiteralTextIsLiteralAndRendersUnchanged) {
  auto t = Template::Parse("Thanks, we'll call you back.");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->is_literal());
  EXPECT_EQ(t->first_expression_offset(), std::string::npos);
  EXPECT_TRUE(t->references().empty());
  EXPECT_EQ(t->text(), "Thanks, we'll call you back.");
  EXPECT_EQ(t->Render(TestContext()), "Thanks, we'll call you back.");
  EXPECT_EQ(t->Render(TemplateContext{}), "Thanks, we'll call you back.");
}

TEST(Template, EmptyTextIsLiteral) {
  auto t = Template::Parse("");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->is_literal());
  EXPECT_EQ(t->Render(TestContext()), "");
}

TEST(Template, LoneBracesAreLiteral) {
  auto t = Template::Parse("{a} { b } }} {");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(t->is_literal());
  EXPECT_EQ(t->Render(TestContext()), "{a} { b } }} {");
  EXPECT_EQ(Render("{x} {{ id }} }"), "{x} EV1 }");
}

TEST(Template, ExpressionMakesTemplateNonLiteral) {
  auto t = Template::Parse("Hi {{ id }} and {{ type }}");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->is_literal());
  EXPECT_EQ(t->first_expression_offset(), 3u);
  EXPECT_EQ(t->Render(TestContext()), "Hi EV1 and message.received");
}

TEST(Template, WhitespaceInsideBracesIsOptional) {
  EXPECT_EQ(Render("{{id}}"), "EV1");
  EXPECT_EQ(Render("{{id|upper}}"), "EV1");
  EXPECT_EQ(Render("{{ \n  data.object.text\t|  upper  |truncate( 5 ) }}"), "HELLO");
  EXPECT_EQ(Render("{{id}}{{type}}"), "EV1message.received");
}

TEST(Template, FilterWithEmptyParenthesesTakesNoArguments) {
  EXPECT_EQ(Render("{{ data.object.text | lower() }}"), "hello world");
}

// ---------------------------------------------------------------------------
// Roots

TEST(Template, ReadsEventPathsWithIndexes) {
  EXPECT_EQ(Render("{{ data.object.text }}"), "Hello World");
  EXPECT_EQ(Render("{{ data.object.to[0] }}"), "+15550001111");
  EXPECT_EQ(Render("{{ data.object.to[1] }}"), "+15550002222");
  EXPECT_EQ(Render("{{ data.object.nested[1].name }}"), "n1");
}

TEST(Template, RendersNonStringEventValuesAsJsonText) {
  EXPECT_EQ(Render("{{ data.object.count }}"), "3");
  EXPECT_EQ(Render("{{ data.object.price }}"), "2.5");
  EXPECT_EQ(Render("{{ data.object.flag }}"), "true");
  EXPECT_EQ(Render("{{ data.object.nothing }}"), "");
  EXPECT_EQ(Render("{{ data.object.to }}"), R"(["+15550001111","+15550002222"])");
  EXPECT_EQ(Render("{{ data.object.meta }}"), R"({"a":1,"b":"x"})");
}

// Issue: integers beyond 2^53 rendered as the double they round to
// (9007199254740993 as ...992, 123456789012345678 as 1.2345678901234568e+17).
TEST(Template, RendersIntegersBeyondTwoToThe53AsWritten) {
  auto event = Event::Parse(
      R"({"id":"x","type":"t","b":9007199254740993,"g":12345678901234567,)"
      R"("j":123456789012345678,"u":18446744073709551615,"m":-9223372036854775808,)"
      R"("list":[9007199254740993,{"k":123456789012345678}],"big":100000000000000000000})");
  ASSERT_TRUE(event.ok()) << event.status().message();
  TemplateContext context;
  context.event = &*event;
  auto render = [&](std::string_view text, Template::Mode mode = Template::Mode::kText) {
    auto t = Template::Parse(text, mode);
    EXPECT_TRUE(t.ok()) << text;
    return t.ok() ? t->Render(context) : "<parse error>";
  };
  EXPECT_EQ(render("b={{ b }} g={{ g }} j={{ j }}"),
            "b=9007199254740993 g=12345678901234567 j=123456789012345678");
  EXPECT_EQ(render("{{ u }} {{ m }}"), "18446744073709551615 -9223372036854775808");
  EXPECT_EQ(render("{{ list }}"), R"([9007199254740993,{"k":123456789012345678}])");
  // Through filters, which work on a copy of the value.
  EXPECT_EQ(render("{{ j | json }} {{ j | default('x') }} {{ j | truncate(30) }} {{ j | length }}"),
            "123456789012345678 123456789012345678 123456789012345678 18");
  EXPECT_EQ(render("{{ list | first }} {{ list | json }}"),
            R"(9007199254740993 [9007199254740993,{"k":123456789012345678}])");
  EXPECT_EQ(render("{{ nope | default(9007199254740993) }}"), "9007199254740993");
  EXPECT_EQ(render("https://h.example/{{ j }}?g={{ g }}", Template::Mode::kUrl),
            "https://h.example/123456789012345678?g=12345678901234567");
  // Beyond 64 bits: the number's text, as written.
  EXPECT_EQ(render("{{ big }}"), "100000000000000000000");
}

TEST(Template, MissingPathsRenderEmpty) {
  EXPECT_EQ(Render("[{{ data.object.nope }}]"), "[]");
  EXPECT_EQ(Render("[{{ data.object.to[5] }}]"), "[]");
  EXPECT_EQ(Render("[{{ data.object.text.deeper }}]"), "[]");
  EXPECT_EQ(Render("[{{ data.object.meta[0] }}]"), "[]");
  EXPECT_EQ(Render("[{{ nope }}]"), "[]");
  EXPECT_EQ(Render("[{{ vars.nope.deeper }}]"), "[]");
  EXPECT_EQ(Render("[{{ vars.numbers[3] }}]"), "[]");
  EXPECT_EQ(Render("[{{ captures.nope }}]"), "[]");
  EXPECT_EQ(Render("[{{ facts.nope }}]"), "[]");
  EXPECT_EQ(Render("[{{ facts.type.deeper }}]"), "[]");
  EXPECT_EQ(Render("[{{ rule.nope }}]"), "[]");
  EXPECT_EQ(Render("[{{ now.deeper }}]"), "[]");
}

TEST(Template, NullContextRendersEveryRootAsMissing) {
  auto t = Template::Parse(
      "[{{ id }}|{{ facts.type }}|{{ vars.company }}|{{ captures.order }}|{{ rule.id }}|"
      "{{ now }}|{{ facts }}]");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->Render(TemplateContext{}), "[||||||]");
}

TEST(Template, ReadsStringFacts) {
  EXPECT_EQ(Render("{{ facts.type }}"), "message.received");
  EXPECT_EQ(Render("{{ facts.id }}"), "EV1");
}

TEST(Template, FactsAloneRendersEveryFactAsJson) {
  std::string rendered = Render("{{ facts }}");
  EXPECT_EQ(rendered, TestEvent().FactsAsValue().ToJson());
  EXPECT_NE(rendered.find(R"("type":"message.received")"), std::string::npos) << rendered;
}

TEST(Template, RendersBooleanFactsAsTrueOrFalse) {
  auto event = Event::Parse(R"({"id": "EV2", "type": "call.completed", "apiVersion": "v3",
    "data": {"object": {"id": "AC1", "direction": "incoming", "status": "no-answer",
      "from": "+15550100000", "to": "+15550200000", "answeredAt": null,
      "phoneNumberId": "PN1"}}})");
  ASSERT_TRUE(event.ok()) << event.status().message();
  if (!event->fact(Fact::kMissed).present()) {
    GTEST_SKIP() << "the facts adapter does not compute facts.missed yet";
  }
  TemplateContext context;
  context.event = &*event;
  auto t =
      Template::Parse("{{ facts.missed }}/{{ facts.missed | upper }}/{{ facts.missed | json }}");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->Render(context), "true/TRUE/true");
}

TEST(Template, ReadsNestedVars) {
  EXPECT_EQ(Render("{{ vars.company }}"), "Acme Plumbing");
  EXPECT_EQ(Render("{{ vars.team.lead.name }}"), "Ada");
  EXPECT_EQ(Render("{{ vars.team.size }}"), "4");
  EXPECT_EQ(Render("{{ vars.numbers[1] }}"), "20");
  EXPECT_EQ(Render("{{ vars.people[1].name }}"), "Cy");
  EXPECT_EQ(Render("{{ vars.team }}"), R"({"lead":{"name":"Ada"},"size":4})");
  EXPECT_EQ(Render("{{ vars }}"), TestVars().ToJson());
}

TEST(Template, ReadsCaptures) {
  EXPECT_EQ(Render("Order #{{ captures.order }} for {{ captures.name }}"), "Order #12345 for Bo");
  EXPECT_EQ(Render("{{ captures }}"), R"({"order":"12345","name":"Bo"})");
}

TEST(Template, ReadsRuleIdAndDescription) {
  EXPECT_EQ(Render("{{ rule.id }}"), "hours-keyword");
  EXPECT_EQ(Render("{{ rule.description }}"), "Answer questions about opening hours");
}

TEST(Template, ReadsNow) { EXPECT_EQ(Render("at {{ now }}"), "at 2026-04-01T12:00:00Z"); }

TEST(Template, ReadsEnvironmentAtRenderTime) {
  auto t = Template::Parse("[{{ env.SWITCHBOARD_TEMPLATE_TEST_VAR }}]");
  ASSERT_TRUE(t.ok()) << t.status().message();
  unsetenv("SWITCHBOARD_TEMPLATE_TEST_VAR");
  EXPECT_EQ(t->Render(TestContext()), "[]");
  setenv("SWITCHBOARD_TEMPLATE_TEST_VAR", "secret value", 1);
  EXPECT_EQ(t->Render(TestContext()), "[secret value]");
  setenv("SWITCHBOARD_TEMPLATE_TEST_VAR", "changed", 1);
  EXPECT_EQ(t->Render(TestContext()), "[changed]");
  unsetenv("SWITCHBOARD_TEMPLATE_TEST_VAR");
  EXPECT_EQ(t->Render(TestContext()), "[]");
}

TEST(Template, EnvAloneNeverDumpsTheEnvironment) {
  setenv("SWITCHBOARD_TEMPLATE_TEST_VAR", "secret", 1);
  EXPECT_EQ(Render("[{{ env }}]"), "[]");
  unsetenv("SWITCHBOARD_TEMPLATE_TEST_VAR");
}

// ---------------------------------------------------------------------------
// Filters

TEST(Template, DefaultReplacesMissingNullAndEmpty) {
  EXPECT_EQ(Render(R"t({{ data.object.nope | default("(no text)") }})t"), "(no text)");
  EXPECT_EQ(Render(R"t({{ data.object.nothing | default("(null)") }})t"), "(null)");
  EXPECT_EQ(Render(R"t({{ data.object.empty | default("(empty)") }})t"), "(empty)");
  EXPECT_EQ(Render(R"t({{ data.object.text | default("(no text)") }})t"), "Hello World");
  EXPECT_EQ(Render(R"({{ data.object.count | default("x") }})"), "3");
  EXPECT_EQ(Render(R"({{ data.object.flag | default("x") }})"), "true");
}

TEST(Template, DefaultTakesNumbersAndSingleQuotedStrings) {
  EXPECT_EQ(Render("{{ data.object.nope | default(0) }}"), "0");
  EXPECT_EQ(Render("{{ data.object.nope | default(-1.5) }}"), "-1.5");
  EXPECT_EQ(Render("{{ data.object.nope | default(1e3) }}"), "1000");
  EXPECT_EQ(Render(R"({{ data.object.nope | default('it\'s') }})"), "it's");
  EXPECT_EQ(Render(R"({{ data.object.nope | default("say \"hi\" \\o/") }})"), R"(say "hi" \o/)");
  EXPECT_EQ(Render(R"({{ data.object.nope | default("a }} b | c") }})"), "a }} b | c");
}

TEST(Template, LowerAndUpperChangeLettersBeyondAscii) {
  EXPECT_EQ(Render("{{ data.object.text | lower }}"), "hello world");
  EXPECT_EQ(Render("{{ data.object.text | upper }}"), "HELLO WORLD");
  EXPECT_EQ(Render("{{ data.object.unicode | upper }}"), "H\u00c9LLO \U0001F44B W\u00d6RLD");
  EXPECT_EQ(Render("{{ data.object.unicode | upper | lower }}"),
            "h\u00e9llo \U0001F44B w\u00f6rld");
  EXPECT_EQ(Render("{{ data.object.flag | upper }}"), "TRUE");
}

TEST(Template, TrimRemovesAsciiWhitespaceAtBothEnds) {
  EXPECT_EQ(Render("[{{ data.object.padded | trim }}]"), "[padded]");
  EXPECT_EQ(Render("[{{ data.object.text | trim }}]"), "[Hello World]");
}

TEST(Template, TruncateCountsCodePointsNotBytes) {
  // "héllo 👋 wörld": é and ö are 2 bytes, the emoji 4.
  EXPECT_EQ(Render("{{ data.object.unicode | truncate(2) }}"), "h\u00e9");
  EXPECT_EQ(Render("{{ data.object.unicode | truncate(7) }}"), "h\u00e9llo \U0001F44B");
  EXPECT_EQ(Render("{{ data.object.unicode | truncate(6) }}"), "h\u00e9llo ");
  EXPECT_EQ(Render("{{ data.object.unicode | truncate(100) }}"),
            "h\u00e9llo \U0001F44B w\u00f6rld");
  EXPECT_EQ(Render("[{{ data.object.text | truncate(0) }}]"), "[]");
  EXPECT_EQ(Render("{{ data.object.text | truncate(5) }}"), "Hello");
  EXPECT_EQ(Render("{{ data.object.text | truncate(11) }}"), "Hello World");
}

// Texts are assembled in a buffer that each thread keeps between renders.
TEST(Template, RendersDoNotDependOnEarlierRenders) {
  const std::string long_text = Render("{{ data.object.text }} and then " + std::string(70000, 'z'));
  EXPECT_EQ(long_text.size(), std::string("Hello World and then ").size() + 70000);
  EXPECT_EQ(Render("[{{ facts.id }}]"), "[EV1]");
  EXPECT_EQ(Render("{{ data.object.text }}!"), "Hello World!");
  EXPECT_EQ(Render("[{{ data.missing }}]"), "[]");
}

TEST(Template, TruncateKeepsMissingSoDefaultStillApplies) {
  EXPECT_EQ(Render(R"({{ data.object.nope | truncate(3) | default("none") }})"), "none");
}

TEST(Template, JsonRendersValuesAsCompactJson) {
  EXPECT_EQ(Render("{{ data.object.text | json }}"), R"("Hello World")");
  EXPECT_EQ(Render("{{ data.object.to | json }}"), R"(["+15550001111","+15550002222"])");
  EXPECT_EQ(Render("{{ data.object.nope | json }}"), "null");
  EXPECT_EQ(Render("{{ data.object.nothing | json }}"), "null");
  EXPECT_EQ(Render("{{ data.object.count | json }}"), "3");
  EXPECT_EQ(Render("{{ data.object.meta | json }}"), R"({"a":1,"b":"x"})");
  EXPECT_EQ(Render("{{ captures.order | json }}"), R"("12345")");
}

TEST(Template, UrlencodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(Render("{{ data.object.text | urlencode }}"), "Hello%20World");
  EXPECT_EQ(Render("{{ data.object.to[0] | urlencode }}"), "%2B15550001111");
  EXPECT_EQ(Render("{{ data.object.unicode | urlencode }}"),
            "h%C3%A9llo%20%F0%9F%91%8B%20w%C3%B6rld");
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode("a b&c=d/e?f#g%h+i"), "a%20b%26c%3Dd%2Fe%3Ff%23g%25h%2Bi");
  EXPECT_EQ(UrlEncode(""), "");
}

TEST(Template, FirstAndLastPickArrayElements) {
  EXPECT_EQ(Render("{{ data.object.to | first }}"), "+15550001111");
  EXPECT_EQ(Render("{{ data.object.to | last }}"), "+15550002222");
  EXPECT_EQ(Render("{{ data.object.nested | last | json }}"), R"({"name":"n1"})");
  EXPECT_EQ(Render("[{{ data.object.none | first }}]"), "[]");
  EXPECT_EQ(Render(R"({{ data.object.none | last | default("none") }})"), "none");
  EXPECT_EQ(Render("{{ data.object.none | first | json }}"), "null");
}

TEST(Template, FirstAndLastOfStringAreWholeCodePoints) {
  EXPECT_EQ(Render("{{ data.object.text | first }}"), "H");
  EXPECT_EQ(Render("{{ data.object.text | last }}"), "d");
  EXPECT_EQ(Render("{{ data.object.unicode | truncate(2) | last }}"), "\u00e9");
  EXPECT_EQ(Render("{{ vars.people | first }}"), R"({"name":"Bo"})");
  EXPECT_EQ(Render(R"({{ data.object.empty | first | default("none") }})"), "none");
  EXPECT_EQ(Render("[{{ data.object.nope | first }}]"), "[]");
}

TEST(Template, JoinJoinsArrayElementsAsText) {
  EXPECT_EQ(Render(R"({{ data.object.to | join(", ") }})"), "+15550001111, +15550002222");
  EXPECT_EQ(Render(R"({{ vars.numbers | join("") }})"), "102030");
  EXPECT_EQ(Render(R"({{ data.object.mixed | join("|") }})"), R"(1|a|true||{"k":"v"})");
  EXPECT_EQ(Render(R"([{{ data.object.none | join(",") }}])"), "[]");
  EXPECT_EQ(Render(R"({{ data.object.text | join(",") }})"), "Hello World");
  EXPECT_EQ(Render(R"({{ data.object.count | join(",") }})"), "3");
  EXPECT_EQ(Render(R"({{ data.object.nope | join(",") | default("none") }})"), "none");
  EXPECT_EQ(Render(R"({{ vars.numbers | join('\n') }})"), "10\n20\n30");
}

TEST(Template, LengthCountsElementsMembersAndCodePoints) {
  EXPECT_EQ(Render("{{ data.object.to | length }}"), "2");
  EXPECT_EQ(Render("{{ data.object.none | length }}"), "0");
  EXPECT_EQ(Render("{{ data.object.meta | length }}"), "2");
  EXPECT_EQ(Render("{{ data.object.text | length }}"), "11");
  EXPECT_EQ(Render("{{ data.object.unicode | length }}"), "13");
  EXPECT_EQ(Render("{{ data.object.nope | length }}"), "0");
  EXPECT_EQ(Render("{{ data.object.nothing | length }}"), "0");
  EXPECT_EQ(Render("{{ data.object.empty | length }}"), "0");
}

TEST(Template, FiltersApplyLeftToRight) {
  EXPECT_EQ(Render(R"({{ data.object.text | truncate(5) | upper | default("x") }})"), "HELLO");
  EXPECT_EQ(Render(R"({{ data.object.nope | default("  Pad  ") | trim | lower }})"), "pad");
  EXPECT_EQ(Render("{{ data.object.text | upper | json }}"), R"("HELLO WORLD")");
  EXPECT_EQ(Render("{{ data.object.to | first | length }}"), "12");
}

// ---------------------------------------------------------------------------
// URL mode

TEST(Template, UrlModeEncodesExpressionsButNotLiteralText) {
  EXPECT_EQ(Render("https://example.com/a b?q={{ data.object.text }}&to={{ data.object.to[0] }}",
                   Template::Mode::kUrl),
            "https://example.com/a b?q=Hello%20World&to=%2B15550001111");
  EXPECT_EQ(Render("https://example.com/{{ vars.company | lower }}", Template::Mode::kUrl),
            "https://example.com/acme%20plumbing");
  EXPECT_EQ(Render("https://example.com/?n={{ data.object.count }}&f={{ facts.missed }}",
                   Template::Mode::kUrl),
            "https://example.com/?n=3&f=");
}

TEST(Template, UrlModeDoesNotEncodeTwiceAfterUrlencode) {
  EXPECT_EQ(Render("https://x.test/?q={{ data.object.text | urlencode }}", Template::Mode::kUrl),
            "https://x.test/?q=Hello%20World");
  // urlencode that is not last: the final text is encoded again.
  EXPECT_EQ(
      Render("https://x.test/?q={{ data.object.text | urlencode | lower }}", Template::Mode::kUrl),
      "https://x.test/?q=hello%2520world");
}

TEST(Template, TextModeDoesNotEncode) {
  EXPECT_EQ(Render("q={{ data.object.text }}&to={{ data.object.to[0] }}"),
            "q=Hello World&to=+15550001111");
}

// ---------------------------------------------------------------------------
// References

TEST(Template, RecordsReferencesWithRootRestAndOffset) {
  std::string text =
      "To {{ data.object.to[0] }}: {{facts.contact|default('x')}} at {{ now }}, "
      "{{ vars.team.lead.name }} {{ data[0].x }}";
  auto t = Template::Parse(text);
  ASSERT_TRUE(t.ok()) << t.status().message();
  const auto& refs = t->references();
  ASSERT_EQ(refs.size(), 5u);
  EXPECT_EQ(refs[0].root, "data");
  EXPECT_EQ(refs[0].rest, "object.to[0]");
  EXPECT_EQ(refs[0].offset, text.find("{{ data.object"));
  EXPECT_EQ(refs[1].root, "facts");
  EXPECT_EQ(refs[1].rest, "contact");
  EXPECT_EQ(refs[1].offset, text.find("{{facts"));
  EXPECT_EQ(refs[2].root, "now");
  EXPECT_EQ(refs[2].rest, "");
  EXPECT_EQ(refs[2].offset, text.find("{{ now"));
  EXPECT_EQ(refs[3].root, "vars");
  EXPECT_EQ(refs[3].rest, "team.lead.name");
  EXPECT_EQ(refs[4].root, "data");
  EXPECT_EQ(refs[4].rest, "[0].x");
  EXPECT_EQ(t->first_expression_offset(), 3u);
}

// ---------------------------------------------------------------------------
// Copies

TEST(Template, CopiesAndMovesRenderTheSame) {
  auto parsed = Template::Parse("{{ id }}-{{ data.object.text | upper }}");
  ASSERT_TRUE(parsed.ok());
  Template copy = *parsed;
  Template moved = std::move(*parsed);
  EXPECT_EQ(copy.Render(TestContext()), "EV1-HELLO WORLD");
  EXPECT_EQ(moved.Render(TestContext()), "EV1-HELLO WORLD");
  auto other = Template::Parse("literal");
  ASSERT_TRUE(other.ok());
  copy = *other;
  EXPECT_EQ(copy.Render(TestContext()), "literal");
  EXPECT_TRUE(copy.is_literal());
  EXPECT_EQ(moved.references().size(), 2u);
}

// ---------------------------------------------------------------------------
// Parse errors

TEST(Template, RejectsUnclosedBracesAtTheirOffset) {
  EXPECT_PARSE_ERROR("Hi {{ id", "unclosed '{{'", 3);
  EXPECT_PARSE_ERROR("{{ id }} and {{ type", "unclosed '{{'", 13);
  EXPECT_PARSE_ERROR("a {{ id {{ type }}", "unclosed '{{'", 2);
  EXPECT_PARSE_ERROR("a {{", "unclosed '{{'", 2);
  EXPECT_PARSE_ERROR("{{ id | lower", "unclosed '{{'", 0);
  EXPECT_PARSE_ERROR("{{ id | truncate(3", "unclosed '{{'", 0);
  EXPECT_PARSE_ERROR("{{ id }", "unclosed '{{'", 0);
}

TEST(Template, RejectsEmptyExpression) {
  EXPECT_PARSE_ERROR("x {{ }}", "empty expression", 2);
  EXPECT_PARSE_ERROR("{{}}", "empty expression", 0);
}

TEST(Template, RejectsFilterWithoutPath) {
  EXPECT_PARSE_ERROR("{{ | upper }}", "expected a path before '|'", 3);
  EXPECT_PARSE_ERROR("{{{ id }}}", "expected a path, found '{'", 2);
}

TEST(Template, RejectsMalformedPathWithItsOffset) {
  EXPECT_PARSE_ERROR("ab {{ a..b }}", "path 'a..b': empty key", 6);
  EXPECT_PARSE_ERROR("{{ data.to[x] }}", "path 'data.to[x]': array index 'x' is not a number", 3);
  EXPECT_PARSE_ERROR("{{ a. }}", "path 'a.' ends with '.'", 3);
}

TEST(Template, RejectsUnknownFilterWithSuggestion) {
  EXPECT_PARSE_ERROR("{{ id | lowr }}", "unknown filter 'lowr' (did you mean 'lower'?)", 8);
  EXPECT_PARSE_ERROR("{{ id | lower | uper }}", "unknown filter 'uper' (did you mean 'upper'?)",
                     16);
  EXPECT_PARSE_ERROR("{{ id|trunc(3) }}", "unknown filter 'trunc' (did you mean 'truncate'?)", 6);
  EXPECT_PARSE_ERROR("{{ id | frobnicate }}", "unknown filter 'frobnicate'", 8);
}

TEST(Template, RejectsMissingFilterName) {
  EXPECT_PARSE_ERROR("{{ id | }}", "expected a filter name after '|'", 8);
  EXPECT_PARSE_ERROR("{{ id | | upper }}", "expected a filter name after '|'", 8);
}

TEST(Template, RejectsTextBetweenPathAndFilter) {
  EXPECT_PARSE_ERROR("{{ id upper }}", "expected '|' or '}}' after path 'id', found 'u'", 6);
  EXPECT_PARSE_ERROR("{{ id | upper lower }}",
                     "expected '|' or '}}' after filter 'upper', found 'l'", 14);
}

TEST(Template, RejectsWrongArgumentCountsAndTypes) {
  EXPECT_PARSE_ERROR("{{ id | truncate }}", "filter 'truncate' takes 1 argument (a number)", 8);
  EXPECT_PARSE_ERROR("{{ id | truncate() }}", "filter 'truncate' takes 1 argument (a number)", 8);
  EXPECT_PARSE_ERROR(R"({{ id | truncate("5") }})", "filter 'truncate' takes 1 argument (a number)",
                     8);
  EXPECT_PARSE_ERROR("{{ id | truncate(1, 2) }}", "filter 'truncate' takes 1 argument (a number)",
                     8);
  EXPECT_PARSE_ERROR("{{ id | default }}", "filter 'default' takes 1 argument (a string or number)",
                     8);
  EXPECT_PARSE_ERROR(R"({{ id | default("a", "b") }})",
                     "filter 'default' takes 1 argument (a string or number)", 8);
  EXPECT_PARSE_ERROR("{{ id | join }}", "filter 'join' takes 1 argument (a string)", 8);
  EXPECT_PARSE_ERROR("{{ id | join(1) }}", "filter 'join' takes 1 argument (a string)", 8);
  EXPECT_PARSE_ERROR("{{ id | upper(1) }}", "filter 'upper' takes no arguments", 8);
  EXPECT_PARSE_ERROR(R"({{ id | json("x") }})", "filter 'json' takes no arguments", 8);
}

TEST(Template, RejectsTruncateLengthThatIsNotANonNegativeInteger) {
  EXPECT_PARSE_ERROR("{{ id | truncate(-1) }}",
                     "filter 'truncate': the length must be a non-negative integer, not -1", 8);
  EXPECT_PARSE_ERROR("{{ id | truncate(2.5) }}",
                     "filter 'truncate': the length must be a non-negative integer, not 2.5", 8);
}

TEST(Template, RejectsMalformedArgumentsAtTheirOffset) {
  EXPECT_PARSE_ERROR(R"({{ id | default("x) }})", "unterminated string", 16);
  EXPECT_PARSE_ERROR(R"({{ id | default("a\qb") }})",
                     R"(unknown escape '\q' in a string (use \", \', \\, \n, \t or \r))", 18);
  EXPECT_PARSE_ERROR("{{ id | default(none) }}",
                     "filter 'default': an argument must be a quoted string or a number", 16);
  EXPECT_PARSE_ERROR("{{ id | truncate(3 }}",
                     "missing ')' after the arguments of filter 'truncate'", 19);
  EXPECT_PARSE_ERROR("{{ id | truncate(3 4) }}",
                     "expected ',' or ')' in the arguments of filter 'truncate'", 19);
  EXPECT_PARSE_ERROR("{{ id | truncate(1.2.3) }}", "'1.2.3' is not a number", 17);
  EXPECT_PARSE_ERROR("{{ id | truncate(-) }}", "'-' is not a number", 17);
  EXPECT_PARSE_ERROR("{{ id | truncate(1,) }}",
                     "filter 'truncate': an argument must be a quoted string or a number", 19);
}

TEST(Template, ErrorOffsetIsOptional) {
  auto t = Template::Parse("{{ id | lowr }}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

// ---- vars bound at load time ----

// Renders `text` bound to TestVars(), against TestContext() with and without its
// vars: a bound template no longer reads them.
std::string RenderBound(std::string_view text, Template::Mode mode = Template::Mode::kText) {
  auto t = Template::Parse(text, mode);
  EXPECT_TRUE(t.ok()) << "'" << text << "': " << t.status().message();
  if (!t.ok()) return "<parse error>";
  t->BindVars(TestVars());
  TemplateContext without_vars = TestContext();
  without_vars.vars = nullptr;
  std::string rendered = t->Render(TestContext());
  EXPECT_EQ(t->Render(without_vars), rendered) << text;
  return rendered;
}

TEST(Template, BoundVarsRenderAsTheyDidUnbound) {
  for (std::string_view text : {
           "{{ vars.company }}",
           "{{ vars.company }} is open",
           "Hi {{ facts.contact }}, {{ vars.company }} ({{ vars.team.lead.name | upper }})",
           "{{ vars.team.size }}/{{ vars.numbers }}/{{ vars.numbers[1] }}/{{ vars.team | json }}",
           "[{{ vars.missing }}]{{ vars.missing | default(\"none\") }}",
           "{{ vars.missing }}",
           "{{ vars.company | truncate(4) }}{{ facts.text | truncate(5) }}",
           "no expression at all",
           "",
       }) {
    EXPECT_EQ(RenderBound(text), Render(text)) << text;
  }
  EXPECT_EQ(RenderBound("{{ vars.company }} is open"), "Acme Plumbing is open");
}

TEST(Template, BoundVarsInAUrlAreStillEncoded) {
  std::string text = "https://example.com/{{ vars.company }}?q={{ vars.company | urlencode }}";
  EXPECT_EQ(RenderBound(text, Template::Mode::kUrl), Render(text, Template::Mode::kUrl));
  EXPECT_EQ(RenderBound(text, Template::Mode::kUrl),
            "https://example.com/Acme%20Plumbing?q=Acme%20Plumbing");
}

TEST(Template, TextFiltersOnStringsMatchTheGeneralPath) {
  // truncate, trim and default run on a view of a string; anything else (or a
  // default that applies) takes the general path. Both must agree.
  EXPECT_EQ(Render("{{ data.object.text | truncate(5) }}"), "Hello");
  EXPECT_EQ(Render("[{{ data.object.text | trim | truncate(20) }}]"), "[Hello World]");
  EXPECT_EQ(Render("{{ data.object.text | truncate(5) | upper }}"), "HELLO");
  EXPECT_EQ(Render("[{{ captures.name | default(\"x\") | truncate(1) }}]"), "[B]");
  EXPECT_EQ(Render("[{{ captures.missing | truncate(3) | default(\"x\") }}]"), "[x]");
  EXPECT_EQ(Render("[{{ vars.company | default(\"x\") | truncate(4) }}]"), "[Acme]");
  EXPECT_EQ(Render("[{{ vars.team.size | truncate(0) }}]"), "[]");
  EXPECT_EQ(Render("[{{ vars.numbers | truncate(3) }}]"), "[[10]");
}

}  // namespace
}  // namespace switchboard
