// Actions (SPEC section 3): rendered parameters of the built-in types, the safety
// checks applied after rendering, redaction of secrets, and custom action types
// registered by an embedding program.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "builtin_actions.h"
#include "switchboard/engine.h"

namespace switchboard {
namespace {

std::string Strip(std::string_view yaml) {
  if (!yaml.empty() && yaml.front() == '\n') yaml.remove_prefix(1);
  return std::string(yaml);
}

Event ParseEvent(std::string_view json) {
  auto event = Event::Parse(json);
  EXPECT_TRUE(event.ok()) << event.status().message();
  return std::move(event).value();
}

// A message.received event; `text` is a JSON string body (already escaped).
std::string Message(std::string_view text_json = "hello there") {
  return std::string(R"({"id":"EVm1","object":"event","apiVersion":"v4",)"
                     R"("createdAt":"2026-03-02T15:00:00Z","type":"message.received",)"
                     R"("data":{"object":{"id":"AC1","object":"message","from":"+15555550100",)"
                     R"("to":["+15555550101"],"direction":"incoming","text":")") +
         std::string(text_json) + R"(","phoneNumberId":"PN123","userId":"US1"}}})";
}

// The actions of the single rule that fired, with the Evaluation that keeps the
// rule set (which their type names point into) alive.
class FiredActions {
 public:
  FiredActions() = default;
  explicit FiredActions(Evaluation e) : evaluation_(std::move(e)) {}
  size_t size() const { return actions().size(); }
  const FiredAction& operator[](size_t i) const { return actions()[i]; }

 private:
  const std::vector<FiredAction>& actions() const {
    static const std::vector<FiredAction> kNone;
    return evaluation_.fired.empty() ? kNone : evaluation_.fired[0].actions;
  }
  Evaluation evaluation_;
};

// Loads `yaml` with `engine` and returns the actions of the single rule that fires.
FiredActions Fire(const Engine& engine, std::string_view yaml, std::string_view event_json) {
  LoadResult loaded = engine.LoadString(Strip(yaml), "actions.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.FormatErrors();
  if (!loaded.ok()) return {};
  EvalOptions options;
  options.now = TimeStamp(std::chrono::seconds(1772463600));
  Evaluation e = loaded.rules->Evaluate(ParseEvent(event_json), options);
  EXPECT_EQ(e.fired.size(), 1u);
  if (e.fired.size() != 1) return {};
  return FiredActions(std::move(e));
}

FiredActions Fire(std::string_view yaml, std::string_view event_json = Message()) {
  static const std::unique_ptr<Engine> engine = Engine::Create();
  return Fire(*engine, yaml, event_json);
}

std::string Param(const FiredAction& a, std::string_view name) {
  const Value* v = a.params.Find(name);
  return v == nullptr ? "<absent>" : v->ToText();
}

std::string Redacted(const FiredAction& a, std::string_view name) {
  const Value* v = a.redacted_params().Find(name);
  return v == nullptr ? "<absent>" : v->ToText();
}

// ---- openphone.send_message ----

TEST(Action, SendMessageRendersParamsAndDefaultsFromToTheLine) {
  auto actions = Fire(R"(
version: 1
vars:
  company: Acme Plumbing
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: "{{ vars.company }} got: {{ facts.text | upper }}"
)");
  ASSERT_EQ(actions.size(), 1u);
  const FiredAction& a = actions[0];
  EXPECT_EQ(a.type, "openphone.send_message");
  EXPECT_TRUE(a.error.empty()) << a.error;
  EXPECT_EQ(Param(a, "to"), "+15555550100");
  EXPECT_EQ(Param(a, "from"), "PN123");
  EXPECT_EQ(Param(a, "content"), "Acme Plumbing got: HELLO THERE");
  EXPECT_EQ(a.params.Find("user_id"), nullptr);
  EXPECT_EQ(a.redacted_params(), a.params);
}

TEST(Action, SendMessageWithExplicitFromAndOptionalParams) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message:
          to: "+15555550199"
          from: "+15555550101"
          content: hi
          user_id: "{{ facts.user_id }}"
          set_inbox_status: done
)");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_TRUE(actions[0].error.empty()) << actions[0].error;
  EXPECT_EQ(Param(actions[0], "from"), "+15555550101");
  EXPECT_EQ(Param(actions[0], "user_id"), "US1");
  EXPECT_EQ(Param(actions[0], "set_inbox_status"), "done");
}

TEST(Action, Utf8LengthCountsCodePointsAtEveryLength) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("hello"), 5u);
  // Lengths around the eight bytes counted at a time, with multi-byte characters
  // (2, 3 and 4 bytes) across the word boundaries.
  std::string text;
  size_t code_points = 0;
  const char* pieces[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x91\x8B"};
  for (int i = 0; i < 40; ++i) {
    text += pieces[i % 4];
    ++code_points;
    EXPECT_EQ(Utf8Length(text), code_points) << text.size() << " bytes";
  }
}

// IsE164 checks eight digits at a time and IsPhoneNumberId looks characters up
// in a table: both must answer as the definitions do, one character at a time.
bool E164ByDefinition(std::string_view n) {
  if (n.size() < 3 || n.size() > 16 || n[0] != '+' || n[1] == '0') return false;
  for (char c : n.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool PhoneNumberIdByDefinition(std::string_view id) {
  if (id.size() < 3 || id.size() > 64 || id.substr(0, 2) != "PN") return false;
  for (char c : id.substr(2)) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

TEST(Action, E164AndPhoneNumberIdChecksMatchTheirDefinitions) {
  EXPECT_TRUE(IsE164("+15555550100"));
  EXPECT_TRUE(IsE164("+12"));
  EXPECT_TRUE(IsE164("+123456789012345"));
  EXPECT_FALSE(IsE164("+1234567890123456"));
  EXPECT_FALSE(IsE164("+05555550100"));
  EXPECT_FALSE(IsE164("15555550100"));
  EXPECT_TRUE(IsPhoneNumberId("PNtoDbDhuz"));
  EXPECT_TRUE(IsPhoneNumberId("PN_a-Z9"));
  EXPECT_FALSE(IsPhoneNumberId("PN"));
  EXPECT_FALSE(IsPhoneNumberId("pn123"));
  // Every byte value at every position of numbers and ids of every length the
  // checks accept, and one beyond. Bytes next to the digits, letters, '_' and
  // '-' in ASCII (and those that carry when 6 is added) catch an off-by-one.
  int checked = 0;
  for (size_t length = 1; length <= 17; ++length) {
    const std::string number = "+" + std::string("987654321098765432").substr(0, length - 1);
    for (size_t i = 0; i < length; ++i) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string text = number;
        text[i] = static_cast<char>(byte);
        ASSERT_EQ(IsE164(text), E164ByDefinition(text)) << "'" << text << "'";
        ++checked;
      }
    }
  }
  for (size_t length = 2; length <= 65; ++length) {
    std::string id = "PN";
    for (size_t i = 2; i < length; ++i) id += "aZ0_-9zA"[i % 8];
    for (size_t i = 0; i < length; ++i) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string text = id;
        text[i] = static_cast<char>(byte);
        ASSERT_EQ(IsPhoneNumberId(text), PhoneNumberIdByDefinition(text)) << "'" << text << "'";
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 500'000);
}

TEST(Action, SendMessageContentLongerThan1600AfterRenderingIsAnError) {
  const char* yaml = R"(
version: 1
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ facts.contact }}", content: "{{ facts.text }}" }
)";
  auto too_long = Fire(yaml, Message(std::string(1601, 'x')));
  ASSERT_EQ(too_long.size(), 1u);
  EXPECT_NE(too_long[0].error.find("1600"), std::string::npos) << too_long[0].error;
  EXPECT_NE(too_long[0].error.find("1601"), std::string::npos) << too_long[0].error;

  auto just_fits = Fire(yaml, Message(std::string(1600, 'x')));
  ASSERT_EQ(just_fits.size(), 1u);
  EXPECT_TRUE(just_fits[0].error.empty()) << just_fits[0].error;

  // Characters, not bytes: 1600 two-byte characters fit.
  std::string accents;
  for (int i = 0; i < 1600; ++i) accents += "\xC3\xA9";
  auto multibyte = Fire(yaml, Message(accents));
  ASSERT_EQ(multibyte.size(), 1u);
  EXPECT_TRUE(multibyte[0].error.empty()) << multibyte[0].error;
  // Only a text of more than 1600 bytes is counted: 1601 of them count 1601.
  accents += "\xC3\xA9";
  auto too_many = Fire(yaml, Message(accents));
  ASSERT_EQ(too_many.size(), 1u);
  EXPECT_NE(too_many[0].error.find("not 1601"), std::string::npos) << too_many[0].error;
  // One character of four bytes, and 400 of them (1600 bytes, not counted).
  std::string waves;
  for (int i = 0; i < 400; ++i) waves += "\xF0\x9F\x91\x8B";
  for (const std::string& text : {std::string("\xF0\x9F\x91\x8B"), waves}) {
    auto fits = Fire(yaml, Message(text));
    ASSERT_EQ(fits.size(), 1u);
    EXPECT_TRUE(fits[0].error.empty()) << fits[0].error;
  }
}

TEST(Action, SendMessageEmptyContentAfterRenderingIsAnError) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ facts.contact }}", content: "{{ data.object.nope }}" }
)");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_NE(actions[0].error.find("content"), std::string::npos) << actions[0].error;
}

// SPEC 3: `from` is a phone number id or E.164, checked at load when literal and
// after rendering otherwise.
TEST(Action, SendMessageFromIsAPhoneNumberIdOrE164) {
  for (const char* from : {"PN123", "PNtoDbDhuz", "+15555550100", "{{ facts.line }}"}) {
    auto actions = Fire(std::string(R"(
version: 1
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ facts.contact }}", content: hi, from: ")") +
                            from + "\" }\n",
                        Message());
    ASSERT_EQ(actions.size(), 1u) << from;
    EXPECT_TRUE(actions[0].error.empty()) << from << ": " << actions[0].error;
  }
  auto engine = Engine::Create();
  LoadResult literal = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ facts.contact }}", content: hi, from: "not a number" }
)"),
                                          "r.yaml");
  ASSERT_FALSE(literal.ok());
  EXPECT_NE(literal.FormatErrors().find("parameter 'from' must be a phone number id"),
            std::string::npos)
      << literal.FormatErrors();
  auto rendered = Fire(R"(
version: 1
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ facts.contact }}", content: hi, from: "{{ facts.text }}" }
)",
                       Message());
  ASSERT_EQ(rendered.size(), 1u);
  EXPECT_NE(rendered[0].error.find("'from' is neither a phone number id"), std::string::npos)
      << rendered[0].error;
}

TEST(Action, SendMessageToThatIsNotE164IsAnError) {
  const char* yaml = R"(
version: 1
rules:
  - id: reply
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ data.object.to[0] }}{{ data.object.extra }}", content: hi }
)";
  std::string good = Message();
  auto ok = Fire(yaml, good);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_TRUE(ok[0].error.empty()) << ok[0].error;

  std::string two = good;
  two.replace(two.find(R"("userId")"), 0, R"("extra":",+15555550102",)");
  auto bad = Fire(yaml, two);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].error.find("E.164"), std::string::npos) << bad[0].error;

  std::string local = good;
  local.replace(local.find(R"("userId")"), 0, R"("extra":"x",)");
  auto letters = Fire(yaml, local);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_NE(letters[0].error.find("E.164"), std::string::npos) << letters[0].error;
}

TEST(Action, SendMessageWithoutALineIsAnError) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: reply
    event: "*"
    actions:
      - openphone.send_message: { to: "+15555550100", content: hi }
)",
                      R"({"id":"EV1","type":"custom.event"})");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].error,
            "'from' rendered empty (its default is {{ facts.line }}, which this event lacks; "
            "set 'from' to a phone number id (PN...) or an E.164 number)");
}

// ---- http ----

TEST(Action, HttpBodyMappingIsRenderedLeafByLeaf) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http:
          url: https://example.com/hook
          body:
            text: "{{ facts.text }}"
            count: 5
            ok: true
            nothing: null
            nested:
              contact: "{{ facts.contact }}"
              list: ["{{ facts.line }}", 2, "literal", "{{ rule.id }}"]
)");
  ASSERT_EQ(actions.size(), 1u);
  const FiredAction& a = actions[0];
  EXPECT_TRUE(a.error.empty()) << a.error;
  EXPECT_EQ(Param(a, "url"), "https://example.com/hook");
  EXPECT_EQ(Param(a, "method"), "POST");
  const Value* body = a.params.Find("body");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->ToJson(),
            R"({"text":"hello there","count":5,"ok":true,"nothing":null,)"
            R"("nested":{"contact":"+15555550100","list":["PN123",2,"literal","hook"]}})");
}

// Issue: integers beyond 2^53 reached action parameters rounded.
TEST(Action, IntegersBeyondTwoToThe53RenderAsWritten) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: big
    event: t
    actions:
      - log: { message: "b={{ b }} g={{ g }} j={{ j }}" }
      - http:
          url: "https://example.com/n/{{ j }}?g={{ g }}"
          body: { b: "{{ b }}", all: "{{ data | json }}", literal: 123456789012345678 }
      - http: { url: "https://example.com/", body: '{"j": {{ j }}}' }
)",
                      R"({"id":"x","type":"t","b":9007199254740993,"g":12345678901234567,)"
                      R"("j":123456789012345678,"data":{"n":9007199254740993}})");
  ASSERT_EQ(actions.size(), 3u);
  EXPECT_EQ(Param(actions[0], "message"),
            "b=9007199254740993 g=12345678901234567 j=123456789012345678");
  EXPECT_EQ(Param(actions[1], "url"),
            "https://example.com/n/123456789012345678?g=12345678901234567");
  const Value* body = actions[1].params.Find("body");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->ToJson(), R"({"b":"9007199254740993","all":"{\"n\":9007199254740993}",)"
                            R"("literal":123456789012345678})");
  EXPECT_EQ(Param(actions[2], "body"), R"({"j": 123456789012345678})");
}

TEST(Action, HttpBodyStringIsATemplate) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http: { url: "https://example.com/hook", method: PUT, body: "{{ facts | json }}" }
)");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(Param(actions[0], "method"), "PUT");
  const Value* body = actions[0].params.Find("body");
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(body->is_string());
  EXPECT_NE(body->as_string().find(R"("contact":"+15555550100")"), std::string::npos)
      << body->as_string();
}

TEST(Action, HttpUrlValuesArePercentEncodedInPathAndQuery) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http: { url: "https://example.com/c/{{ facts.contact }}/m?text={{ facts.text }}&x=1" }
)",
                      Message("a b/c&d=e?#"));
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(Param(actions[0], "url"),
            "https://example.com/c/%2B15555550100/m?text=a%20b%2Fc%26d%3De%3F%23&x=1");
}

TEST(Action, HttpUrlIsNotEncodedTwiceWithUrlencodeFilter) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http: { url: "https://example.com/m?text={{ facts.text | urlencode }}" }
)",
                      Message("a b"));
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(Param(actions[0], "url"), "https://example.com/m?text=a%20b");
}

TEST(Action, HttpHeaderWithLineBreakAfterRenderingIsAnError) {
  const char* yaml = R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http:
          url: https://example.com/hook
          headers: { X-Text: "{{ facts.text }}", X-Count: 3 }
)";
  auto ok = Fire(yaml, Message("fine"));
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_TRUE(ok[0].error.empty()) << ok[0].error;
  const Value* headers = ok[0].params.Find("headers");
  ASSERT_NE(headers, nullptr);
  EXPECT_EQ(headers->ToJson(), R"({"X-Text":"fine","X-Count":"3"})");

  for (std::string_view text : {"a\\r\\nInjected: yes", "a\\nb", "a\\rb"}) {
    auto bad = Fire(yaml, Message(text));
    ASSERT_EQ(bad.size(), 1u);
    EXPECT_NE(bad[0].error.find("X-Text"), std::string::npos) << text << ": " << bad[0].error;
    EXPECT_NE(bad[0].error.find("line break"), std::string::npos) << bad[0].error;
  }
}

TEST(Action, AuthorizationHeaderAndEnvValuesAreRedacted) {
  setenv("SWITCHBOARD_ACTIONS_TEST_TOKEN", "s3cret-token", 1);
  auto actions = Fire(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http:
          url: "https://example.com/hook?key={{ env.SWITCHBOARD_ACTIONS_TEST_TOKEN }}"
          headers:
            Authorization: "Bearer abc123"
            X-Api-Key: "{{ env.SWITCHBOARD_ACTIONS_TEST_TOKEN }}"
            X-Contact: "{{ facts.contact }}"
            X-Mixed: "token={{ env.SWITCHBOARD_ACTIONS_TEST_TOKEN }}"
          body:
            secret: "{{ env.SWITCHBOARD_ACTIONS_TEST_TOKEN }}"
            public: "{{ facts.text }}"
)");
  ASSERT_EQ(actions.size(), 1u);
  const FiredAction& a = actions[0];
  const Value* headers = a.params.Find("headers");
  const Value* redacted_headers = a.redacted_params().Find("headers");
  ASSERT_NE(headers, nullptr);
  ASSERT_NE(redacted_headers, nullptr);
  EXPECT_EQ(headers->Find("Authorization")->as_string(), "Bearer abc123");
  EXPECT_EQ(redacted_headers->Find("Authorization")->as_string(), "[redacted]");
  EXPECT_EQ(headers->Find("X-Api-Key")->as_string(), "s3cret-token");
  EXPECT_EQ(redacted_headers->Find("X-Api-Key")->as_string(), "[redacted]");
  EXPECT_EQ(headers->Find("X-Mixed")->as_string(), "token=s3cret-token");
  EXPECT_EQ(redacted_headers->Find("X-Mixed")->as_string(), "[redacted]");
  EXPECT_EQ(redacted_headers->Find("X-Contact")->as_string(), "+15555550100");
  EXPECT_EQ(Param(a, "url"), "https://example.com/hook?key=s3cret-token");
  EXPECT_EQ(Redacted(a, "url"), "[redacted]");
  EXPECT_EQ(a.params.Find("body")->Find("secret")->as_string(), "s3cret-token");
  EXPECT_EQ(a.redacted_params().Find("body")->Find("secret")->as_string(), "[redacted]");
  EXPECT_EQ(a.redacted_params().Find("body")->Find("public")->as_string(), "hello there");
  EXPECT_EQ(a.redacted_params().ToJson().find("s3cret"), std::string::npos)
      << a.redacted_params().ToJson();
  unsetenv("SWITCHBOARD_ACTIONS_TEST_TOKEN");
}

// A check of the rendered parameters quotes what it rejects; a secret in it is
// redacted, whole or as the env value inside a longer text.
TEST(Action, ErrorAfterRenderingRedactsSecrets) {
  setenv("SWITCHBOARD_ACTIONS_TEST_SECRET", "t0psecret", 1);
  auto actions = Fire(R"(
version: 1
rules:
  - id: secrets
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ env.SWITCHBOARD_ACTIONS_TEST_SECRET }}", content: hi }
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: hi
          from: "x{{ env.SWITCHBOARD_ACTIONS_TEST_SECRET }}y"
      - http:
          url: https://example.com/hook
          headers: { X-Key: "{{ env.SWITCHBOARD_ACTIONS_TEST_SECRET }}{{ facts.text }}" }
)",
                      Message("a\\nb"));
  ASSERT_EQ(actions.size(), 3u);
  EXPECT_EQ(actions[0].error, "'to' is not one E.164 number: '[redacted]'");
  EXPECT_NE(actions[1].error.find("'from'"), std::string::npos) << actions[1].error;
  EXPECT_NE(actions[1].error.find("[redacted]"), std::string::npos) << actions[1].error;
  EXPECT_NE(actions[2].error.find("line break"), std::string::npos) << actions[2].error;
  for (size_t i = 0; i < actions.size(); ++i) {
    EXPECT_EQ(actions[i].error.find("t0psecret"), std::string::npos) << actions[i].error;
  }
  unsetenv("SWITCHBOARD_ACTIONS_TEST_SECRET");

  // A value of fewer than 4 characters is no credential to search the
  // message for, but quoted whole it is still hidden, as in the parameters
  // (a probe: 'abc' was shown in the error while `to` showed [redacted]).
  setenv("SWITCHBOARD_ACTIONS_TEST_SECRET", "abc", 1);
  auto short_secret = Fire(R"(
version: 1
rules:
  - id: secrets
    event: message.received
    actions:
      - openphone.send_message: { to: "{{ env.SWITCHBOARD_ACTIONS_TEST_SECRET }}", content: hi }
)");
  ASSERT_EQ(short_secret.size(), 1u);
  EXPECT_EQ(short_secret[0].error, "'to' is not one E.164 number: '[redacted]'");
  unsetenv("SWITCHBOARD_ACTIONS_TEST_SECRET");
}

// A relative `database` of a sqlite action names a file beside the rule file,
// wherever the program runs (a systemd unit runs in /).
TEST(Action, SqliteDatabaseIsRelativeToTheRuleFile) {
  auto engine = Engine::Create();
  const std::string yaml = Strip(R"(
version: 1
rules:
  - id: side
    event: message.received
    actions:
      - sqlite: { table: notes, values: { t: "{{ facts.text }}" }, database: data/side.db }
      - sqlite: { table: notes, values: { t: "{{ facts.text }}" }, database: /var/lib/sb/x.db }
      - sqlite: { table: notes, values: { t: "{{ facts.text }}" }, database: "" }
)");
  struct Case {
    const char* file;
    const char* relative;
  };
  for (const Case& c : {Case{"/etc/switchboard/rules/a.yaml", "/etc/switchboard/rules/data/side.db"},
                        Case{"rules/a.yaml", "rules/data/side.db"},
                        Case{"a.yaml", "./data/side.db"}}) {
    LoadResult loaded = engine->LoadString(yaml, c.file);
    ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
    EvalOptions options;
    Evaluation e = loaded.rules->Evaluate(ParseEvent(Message()), options);
    ASSERT_EQ(e.fired.size(), 1u);
    ASSERT_EQ(e.fired[0].actions.size(), 3u);
    EXPECT_EQ(Param(e.fired[0].actions[0], "database"), c.relative) << c.file;
    EXPECT_EQ(Param(e.fired[0].actions[1], "database"), "/var/lib/sb/x.db") << c.file;
    EXPECT_EQ(Param(e.fired[0].actions[2], "database"), "") << c.file;  // the server's
  }
}

TEST(Action, AuthorizationHeaderNameIsCaseInsensitive) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http: { url: "https://example.com/", headers: { authorization: "Basic xyz" } }
)");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].params.Find("headers")->Find("authorization")->as_string(), "Basic xyz");
  EXPECT_EQ(actions[0].redacted_params().Find("headers")->Find("authorization")->as_string(),
            "[redacted]");
}

TEST(Action, LogLevelWarnIsAccepted) {
  auto engine = Engine::Create();
  LoadResult loaded = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - log: { message: hi, level: warn }
)"));
  EXPECT_TRUE(loaded.ok()) << loaded.FormatErrors();
}

TEST(Action, HttpRejectsUnknownMethodAndBadStatusCodesAtLoad) {
  auto engine = Engine::Create();
  LoadResult method = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http: { url: "https://example.com/", method: FETCH }
)"));
  ASSERT_FALSE(method.ok());
  ASSERT_EQ(method.errors.size(), 1u) << method.FormatErrors();
  EXPECT_NE(method.errors[0].message.find("unknown HTTP method 'FETCH'"), std::string::npos);
  EXPECT_EQ(method.errors[0].line, 6);
  EXPECT_EQ(method.errors[0].column, 54);

  LoadResult success = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: hook
    event: message.received
    actions:
      - http: { url: "https://example.com/", success: [200, 999] }
)"));
  ASSERT_FALSE(success.ok());
  EXPECT_NE(success.errors[0].message.find("999 is not an HTTP status code"), std::string::npos)
      << success.FormatErrors();
}

// Loads one rule, on message.received, whose only action is `action` (one
// line of YAML, e.g. `http: { url: "https://example.com/" }`).
LoadResult LoadOneAction(const Engine& engine, const std::string& action) {
  return engine.LoadString(
      "version: 1\nrules:\n  - id: one\n    event: message.received\n    actions:\n      - " +
      action + "\n");
}

// SPEC: event data never chooses the destination: no Host header (templated or
// not); the framing headers are the client's; a literal line break in a header
// value would fail every firing, so it fails the load.
TEST(Action, HttpRejectsHostFramingHeadersAndLineBreaksAtLoad) {
  auto engine = Engine::Create();
  const std::pair<const char*, const char*> cases[] = {
      {"Host: \"{{ data.object.status }}.evil.example\"", "'Host' cannot be set (the url's host"},
      {"host: api.example.com", "'host' cannot be set"},
      {"Content-Length: \"5\"", "'Content-Length' cannot be set (Switchboard frames"},
      {"Transfer-Encoding: chunked", "'Transfer-Encoding' cannot be set"},
      {"X-A: \"line1\\nline2\"", "the value of 'X-A' contains a line break"},
  };
  for (const auto& [header, message] : cases) {
    LoadResult result = LoadOneAction(*engine, "http: { url: \"https://example.com/\", headers: { " +
                                                   std::string(header) + " } }");
    ASSERT_FALSE(result.ok()) << header;
    ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
    EXPECT_NE(result.errors[0].message.find(message), std::string::npos)
        << result.FormatErrors();
  }
  LoadResult fine = LoadOneAction(*engine,
                                  "http: { url: \"https://example.com/\", headers: { X-Host: "
                                  "\"{{ facts.contact }}\", Authorization: \"Token x\" } }");
  EXPECT_TRUE(fine.ok()) << fine.FormatErrors();
}

// SQL names ignore case: the reserved and automatic names are refused in any
// case, and two columns that differ only in case are one column.
TEST(Action, SqliteNamesAreCheckedIgnoringCase) {
  auto engine = Engine::Create();
  const std::pair<const char*, const char*> cases[] = {
      {"table: Switchboard_events, values: { a: x }", "reserved for the server's own tables"},
      // A probe: these were called invalid identifiers (letters, digits, _).
      {"table: sqlite_x, values: { a: x }",
       "parameter 'table': names starting with 'sqlite_' are reserved by SQLite"},
      {"table: notes, values: { SQLITE_x: x }",
       "column 'SQLITE_x': names starting with 'sqlite_' are reserved by SQLite"},
      {"table: notes, values: { ID: x }", "column 'ID' is filled in automatically"},
      {"table: notes, values: { Created_At: x }", "column 'Created_At' is filled in"},
      {"table: notes, values: { contact: x, Contact: y }",
       "columns 'contact' and 'Contact' are one column"},
  };
  for (const auto& [params, message] : cases) {
    LoadResult result = LoadOneAction(*engine, "sqlite: { " + std::string(params) + " }");
    ASSERT_FALSE(result.ok()) << params;
    EXPECT_NE(result.FormatErrors().find(message), std::string::npos) << result.FormatErrors();
  }
}

// A probe: a key written twice in a parameter's mapping loaded, and the last
// one silently won; two header names that differ only in case loaded, and one
// of the two headers was sent.
TEST(Action, KeysWrittenTwiceAndHeadersThatDifferInCaseAreLoadErrors) {
  auto engine = Engine::Create();
  const std::pair<const char*, const char*> cases[] = {
      {"sqlite: { table: notes, values: { a: \"1\", a: \"2\" } }",
       ":6:51: rule 'one' action 'sqlite': parameter 'values': duplicate key 'a'"},
      {"http: { url: \"https://x.example/\", headers: { X-A: \"1\", X-A: \"2\" } }",
       "parameter 'headers': duplicate key 'X-A'"},
      {"http: { url: \"https://x.example/\", body: { k: 1, n: { k: 2, k: 3 } } }",
       ":6:69: rule 'one' action 'http': parameter 'body': duplicate key 'k'"},
      {"http: { url: \"https://x.example/\", body: [ { k: 1, k: 2 } ] }",
       "parameter 'body': duplicate key 'k'"},
      {"http: { url: \"https://x.example/\", headers: { X-A: \"1\", x-a: \"2\" } }",
       "parameter 'headers': 'X-A' and 'x-a' are one header (header names ignore case)"},
  };
  for (const auto& [params, message] : cases) {
    LoadResult result = LoadOneAction(*engine, params);
    ASSERT_FALSE(result.ok()) << params;
    EXPECT_NE(result.FormatErrors().find(message), std::string::npos) << result.FormatErrors();
  }
  // The same key in two mappings, or merged in by <<, is no duplicate.
  EXPECT_TRUE(LoadOneAction(*engine, "http: { url: \"https://x.example/\", "
                                     "body: { a: { k: 1 }, b: { k: 2 } } }")
                  .ok());
}

// A probe: a value that is not a single value made 'values' look empty too.
TEST(Action, SqliteValueThatIsAListIsOneError) {
  auto engine = Engine::Create();
  LoadResult result = LoadOneAction(*engine, "sqlite: { table: notes, values: { a: [1, 2] } }");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.FormatErrors().find("each value must be a single value"), std::string::npos)
      << result.FormatErrors();
  EXPECT_EQ(result.FormatErrors().find("needs at least one column"), std::string::npos)
      << result.FormatErrors();
}

// A probe: user_id was sent as written, whatever it was.
TEST(Action, SendMessageUserIdIsAnOpenPhoneUserId) {
  auto engine = Engine::Create();
  LoadResult bad = LoadOneAction(
      *engine, "openphone.send_message: { to: \"+15555550100\", content: hi, user_id: bogus }");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.FormatErrors().find(
                "parameter 'user_id' must be an OpenPhone user id (US...), not 'bogus'"),
            std::string::npos)
      << bad.FormatErrors();
  auto rendered = [](const std::string& user_id) {
    return Fire("version: 1\nrules:\n  - id: r\n    event: message.received\n    actions:\n"
                "      - openphone.send_message: { to: \"+15555550100\", content: hi, "
                "user_id: \"" + user_id + "\" }\n");
  };
  auto from_event = rendered("{{ facts.user_id }}");
  ASSERT_EQ(from_event.size(), 1u);
  EXPECT_EQ(from_event[0].error, "");
  EXPECT_EQ(Param(from_event[0], "user_id"), "US1");
  auto absent = rendered("{{ data.object.nothing }}");
  ASSERT_EQ(absent.size(), 1u);
  EXPECT_EQ(absent[0].error, "") << "an empty user_id is left out";
  auto wrong = rendered("{{ facts.line }}");
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_EQ(wrong[0].error, "'user_id' is not an OpenPhone user id (US...): 'PN123'");
}

// SPEC: body is a string, or a mapping/list sent as JSON.
TEST(Action, HttpRejectsABodyThatIsNeitherTextNorJsonAtLoad) {
  auto engine = Engine::Create();
  auto with_body = [&](const char* body) {
    return LoadOneAction(
        *engine, "http: { url: \"https://example.com/\", body: " + std::string(body) + " }");
  };
  for (const char* body : {"5", "true", "null", "~"}) {
    LoadResult result = with_body(body);
    ASSERT_FALSE(result.ok()) << body;
    ASSERT_EQ(result.errors.size(), 1u) << result.FormatErrors();
    EXPECT_NE(result.errors[0].message.find(
                  "parameter 'body' must be a string, or a mapping or list (sent as JSON), not "),
              std::string::npos)
        << result.FormatErrors();
    EXPECT_EQ(result.errors[0].line, 6) << result.FormatErrors();
  }
  for (const char* body : {"\"5\"", "[1, 2]", "{ a: 1 }", "''"}) {
    LoadResult result = with_body(body);
    EXPECT_TRUE(result.ok()) << body << "\n" << result.FormatErrors();
  }
}

// ---- sqlite and log ----

TEST(Action, SqliteValuesAreRendered) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: store
    event: message.received
    actions:
      - sqlite:
          table: inbound_messages
          values: { contact: "{{ facts.contact }}", body: "{{ facts.text }}", n: 7 }
)");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_TRUE(actions[0].error.empty());
  EXPECT_EQ(Param(actions[0], "table"), "inbound_messages");
  EXPECT_EQ(actions[0].params.Find("values")->ToJson(),
            R"({"contact":"+15555550100","body":"hello there","n":"7"})");
}

TEST(Action, SqliteRejectsReservedAndInvalidColumnsAtLoad) {
  auto engine = Engine::Create();
  for (std::string_view column : {"id", "created_at", "1abc", "sqlite_master"}) {
    std::string yaml = "version: 1\nrules:\n  - id: s\n    event: message.received\n"
                       "    actions:\n      - sqlite: { table: t, values: { \"" +
                       std::string(column) + "\": x } }\n";
    LoadResult result = engine->LoadString(yaml);
    EXPECT_FALSE(result.ok()) << column;
  }
  LoadResult table = engine->LoadString(
      "version: 1\nrules:\n  - id: s\n    event: message.received\n"
      "    actions:\n      - sqlite: { table: sqlite_master, values: { a: x } }\n");
  EXPECT_FALSE(table.ok());
}

TEST(Action, LogDefaultsToInfo) {
  auto actions = Fire(R"(
version: 1
rules:
  - id: log
    event: message.received
    actions:
      - log: { message: "got {{ facts.text | truncate(5) }}" }
      - log: { message: "second", level: warning }
)");
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].type, "log");
  EXPECT_EQ(Param(actions[0], "level"), "info");
  EXPECT_EQ(Param(actions[1], "level"), "warning");
  EXPECT_EQ(Param(actions[1], "message"), "second");
}

TEST(Action, BuiltinActionsAreNotExecutedByTheLibrary) {
  auto engine = Engine::Create();
  FiredAction log;
  log.type = "log";
  log.params = Value(Value::Object());
  log.params.Set("message", "hi");
  EXPECT_EQ(engine->Execute(log).code(), StatusCode::kUnimplemented);
  FiredAction unknown = log;
  unknown.type = "no.such.type";
  EXPECT_EQ(engine->Execute(unknown).code(), StatusCode::kNotFound);
}

// ---- custom action types ----

class CrmNote : public ActionType {
 public:
  std::vector<ParamSpec> params() const override {
    return {
        {"contact", ParamSpec::Kind::kTemplate, true, "", false},
        {"note", ParamSpec::Kind::kTemplate, false, "note for {{ facts.contact }}", false},
        {"priority", ParamSpec::Kind::kLiteral, false, "normal", false},
        {"api_token", ParamSpec::Kind::kTemplate, false, "", true},
    };
  }
  Status Validate(const Value& params) const override {
    ++validate_calls;
    if (const Value* p = params.Find("priority")) {
      if (p->as_string() != "normal" && p->as_string() != "high") {
        return Status::InvalidArgument("parameter 'priority' must be normal or high");
      }
    }
    return Status::OK();
  }
  Status CheckRendered(const Value& rendered) const override {
    if (rendered.Find("contact")->ToText().empty()) {
      return Status::InvalidArgument("no contact");
    }
    return Status::OK();
  }
  Status Execute(const FiredAction& action) const override {
    std::lock_guard<std::mutex> lock(mu);
    executed.push_back(action.params);
    return Status::OK();
  }

  mutable int validate_calls = 0;
  mutable std::mutex mu;
  mutable std::vector<Value> executed;
};

TEST(Action, CustomActionTypeIsValidatedRenderedAndExecuted) {
  auto engine = Engine::Create();
  auto crm = std::make_shared<CrmNote>();
  ASSERT_TRUE(engine->RegisterAction("crm.note", crm).ok());
  auto actions = Fire(*engine, R"(
version: 1
rules:
  - id: note
    event: message.received
    actions:
      - crm.note: { contact: "{{ facts.contact }}", priority: high, api_token: "t0ken" }
)",
                      Message());
  EXPECT_EQ(crm->validate_calls, 1);
  ASSERT_EQ(actions.size(), 1u);
  const FiredAction& a = actions[0];
  EXPECT_EQ(a.type, "crm.note");
  EXPECT_TRUE(a.error.empty()) << a.error;
  EXPECT_EQ(Param(a, "contact"), "+15555550100");
  EXPECT_EQ(Param(a, "note"), "note for +15555550100");  // the template default
  EXPECT_EQ(Param(a, "priority"), "high");
  EXPECT_EQ(Param(a, "api_token"), "t0ken");
  EXPECT_EQ(Redacted(a, "api_token"), "[redacted]");  // ParamSpec::secret

  ASSERT_TRUE(engine->Execute(a).ok());
  ASSERT_EQ(crm->executed.size(), 1u);
  EXPECT_EQ(crm->executed[0], a.params);
}

// A probe: `secret` hid only template parameters; a literal token, a path, a
// duration, codes and the number leaves of a mapping were shown as written,
// defaults included, and a check's error could quote them.
class SecretEverywhere : public ActionType {
 public:
  std::vector<ParamSpec> params() const override {
    using Kind = ParamSpec::Kind;
    return {
        {"lit", Kind::kLiteral, false, "", true},
        {"litdef", Kind::kLiteral, false, "literal-default-secret", true},
        {"path", Kind::kPath, false, "", true},
        {"wait", Kind::kDuration, false, "", true},
        {"codes", Kind::kIntList, false, "", true},
        {"any", Kind::kAny, false, "", true},
        {"shown", Kind::kLiteral, false, "", false},
    };
  }
  Status CheckRendered(const Value& p) const override {
    return Status::InvalidArgument("rejected '" + p.Find("lit")->as_string() + "'");
  }
};

TEST(Action, SecretParametersOfEveryKindAreRedacted) {
  auto engine = Engine::Create();
  ASSERT_TRUE(engine->RegisterAction("vault", std::make_shared<SecretEverywhere>()).ok());
  auto actions = Fire(*engine, R"(
version: 1
rules:
  - id: r
    event: message.received
    actions:
      - vault:
          lit: literal-secret-value
          path: /etc/path-secret-value
          wait: 90s
          codes: [201, 202]
          any: { n: 1234567, b: true, s: "text-secret" }
          shown: plain
)",
                      Message());
  ASSERT_EQ(actions.size(), 1u);
  const FiredAction& a = actions[0];
  EXPECT_EQ(Param(a, "lit"), "literal-secret-value");  // the executor gets them
  const std::string shown = a.redacted_params().ToJson();
  for (const char* secret : {"literal-secret-value", "literal-default-secret", "path-secret-value",
                             "90", "201", "1234567", "true", "text-secret"}) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " in " << shown;
  }
  EXPECT_NE(shown.find("\"shown\":\"plain\""), std::string::npos) << shown;
  EXPECT_EQ(a.error, "rejected '[redacted]'");
}

TEST(Action, CustomActionCheckRenderedFailureIsRecordedAndNotExecuted) {
  auto engine = Engine::Create();
  auto crm = std::make_shared<CrmNote>();
  ASSERT_TRUE(engine->RegisterAction("crm.note", crm).ok());
  auto actions = Fire(*engine, R"(
version: 1
rules:
  - id: note
    event: "*"
    actions:
      - crm.note: { contact: "{{ facts.contact }}" }
)",
                      R"({"id":"EV1","type":"custom"})");
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].error, "no contact");
  Status s = engine->Execute(actions[0]);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(crm->executed.empty());
}

// SPEC 6: no exception crosses the public API, not even one an action type throws.
class Thrower : public ActionType {
 public:
  std::vector<ParamSpec> params() const override {
    return {{"where", ParamSpec::Kind::kLiteral, true, "", false}};
  }
  Status Validate(const Value& params) const override {
    if (params.Find("where")->as_string() == "validate") throw std::runtime_error("boom 1");
    return Status::OK();
  }
  Status CheckRendered(const Value& rendered) const override {
    if (rendered.Find("where")->as_string() == "check") throw 42;
    return Status::OK();
  }
  Status Execute(const FiredAction&) const override { throw std::runtime_error("boom 3"); }
};

TEST(Action, ExceptionsFromAnActionTypeBecomeErrors) {
  auto engine = Engine::Create();
  ASSERT_TRUE(engine->RegisterAction("thrower", std::make_shared<Thrower>()).ok());
  LoadResult load = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: t
    event: "*"
    actions: [{thrower: {where: validate}}]
)"),
                                       "t.yaml");
  ASSERT_FALSE(load.ok());
  EXPECT_NE(load.FormatErrors().find("the action type threw: boom 1"), std::string::npos)
      << load.FormatErrors();
  auto checked = Fire(*engine, R"(
version: 1
rules:
  - id: t
    event: "*"
    actions: [{thrower: {where: check}}]
)",
                      R"({"id":"EV1","type":"custom"})");
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_EQ(checked[0].error, "the action type threw an exception");
  auto executed = Fire(*engine, R"(
version: 1
rules:
  - id: t
    event: "*"
    actions: [{thrower: {where: execute}}]
)",
                       R"({"id":"EV1","type":"custom"})");
  ASSERT_EQ(executed.size(), 1u);
  Status s = engine->Execute(executed[0]);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "the action type threw: boom 3");
}

TEST(Action, CustomActionParamsAreCheckedAtLoad) {
  auto engine = Engine::Create();
  auto crm = std::make_shared<CrmNote>();
  ASSERT_TRUE(engine->RegisterAction("crm.note", crm).ok());

  LoadResult unknown = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: note
    event: message.received
    actions:
      - crm.note: { contact: x, notes: y }
)"));
  ASSERT_FALSE(unknown.ok());
  ASSERT_EQ(unknown.errors.size(), 1u) << unknown.FormatErrors();
  EXPECT_EQ(unknown.errors[0].message, "unknown parameter 'notes' (did you mean 'note'?)");
  EXPECT_EQ(unknown.errors[0].item, "rule 'note' action 'crm.note'");
  EXPECT_EQ(unknown.errors[0].line, 6);
  EXPECT_EQ(unknown.errors[0].column, 33);

  LoadResult missing = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: note
    event: message.received
    actions:
      - crm.note: { note: y }
)"));
  ASSERT_FALSE(missing.ok());
  ASSERT_EQ(missing.errors.size(), 1u) << missing.FormatErrors();
  EXPECT_EQ(missing.errors[0].message, "missing required parameter 'contact'");
  EXPECT_EQ(missing.errors[0].line, 6);
  EXPECT_EQ(missing.errors[0].column, 9);

  LoadResult literal = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: note
    event: message.received
    actions:
      - crm.note: { contact: x, priority: "{{ facts.text }}" }
)"));
  ASSERT_FALSE(literal.ok());
  EXPECT_NE(literal.errors[0].message.find("parameter 'priority' cannot be a template"),
            std::string::npos)
      << literal.FormatErrors();

  int calls_before = crm->validate_calls;
  LoadResult invalid = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: note
    event: message.received
    actions:
      - crm.note: { contact: x, priority: urgent }
)"));
  EXPECT_EQ(crm->validate_calls, calls_before + 1);
  ASSERT_FALSE(invalid.ok());
  ASSERT_EQ(invalid.errors.size(), 1u) << invalid.FormatErrors();
  EXPECT_EQ(invalid.errors[0].message, "parameter 'priority' must be normal or high");
  // The error points at the parameter named in the message.
  EXPECT_EQ(invalid.errors[0].line, 6);
  EXPECT_EQ(invalid.errors[0].column, 43);
}

// An action type whose params() is given by the test.
class Listed : public ActionType {
 public:
  explicit Listed(std::vector<ParamSpec> specs, bool throws = false)
      : specs_(std::move(specs)), throws_(throws) {}
  std::vector<ParamSpec> params() const override {
    if (throws_) throw std::runtime_error("no list today");
    return specs_;
  }

  mutable bool throws_;

 private:
  std::vector<ParamSpec> specs_;
};

// The url error named 'url' whatever the parameter was called.
TEST(Action, CustomUrlParameterErrorsNameTheParameter) {
  auto engine = Engine::Create();
  ASSERT_TRUE(engine->RegisterAction("hook", std::make_shared<Listed>(std::vector<ParamSpec>{
                                                 {"u", ParamSpec::Kind::kUrl, true, "", false}}))
                  .ok());
  LoadResult host = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: h
    event: "*"
    actions:
      - hook: { u: 'https://{{ facts.text }}/x' }
      - hook: { u: 'ftp://example.com/' }
)"));
  ASSERT_FALSE(host.ok());
  ASSERT_EQ(host.errors.size(), 2u) << host.FormatErrors();
  EXPECT_EQ(host.errors[0].message,
            "parameter 'u': the scheme and host must be literal text; templates may only fill "
            "the path or query");
  EXPECT_EQ(host.errors[1].message, "parameter 'u' must start with a literal http:// or https://");
}

// A ParamSpec the loader could not handle is refused at registration: an
// unknown kind (it rendered a corrupt Value), an empty or repeated name.
TEST(Action, RegistrationRefusesUnknownKindsAndBadNames) {
  auto engine = Engine::Create();
  auto with = [](ParamSpec spec) {
    return std::make_shared<Listed>(std::vector<ParamSpec>{std::move(spec)});
  };
  Status kind = engine->RegisterAction(
      "a", with({"x", static_cast<ParamSpec::Kind>(99), false, "", false}));
  EXPECT_EQ(kind.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(kind.message().find("unknown kind 99"), std::string::npos) << kind.message();
  Status negative = engine->RegisterAction(
      "a", with({"x", static_cast<ParamSpec::Kind>(-1), false, "", false}));
  EXPECT_EQ(negative.code(), StatusCode::kInvalidArgument);
  Status empty = engine->RegisterAction("a", with({"", ParamSpec::Kind::kTemplate, false, "", false}));
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  Status twice = engine->RegisterAction(
      "a", std::make_shared<Listed>(std::vector<ParamSpec>{
               {"x", ParamSpec::Kind::kTemplate, false, "", false},
               {"x", ParamSpec::Kind::kLiteral, false, "", false}}));
  EXPECT_EQ(twice.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.message().find("listed twice"), std::string::npos) << twice.message();
  EXPECT_TRUE(engine->RegisterAction("a", with({"p", ParamSpec::Kind::kPath, false, "", false})).ok());
}

// A rule set runs the action types it was checked with: registering another type
// under the same name later does not hand it the older rule set's actions.
TEST(Action, ExecuteRunsTheTypeTheRuleSetWasLoadedWith) {
  auto engine = Engine::Create();
  auto first = std::make_shared<CrmNote>();
  ASSERT_TRUE(engine->RegisterAction("crm.note", first).ok());
  auto actions = Fire(*engine, R"(
version: 1
rules:
  - id: note
    event: message.received
    actions:
      - crm.note: { contact: "{{ facts.contact }}" }
)",
                      Message());
  ASSERT_EQ(actions.size(), 1u);
  auto second = std::make_shared<CrmNote>();
  ASSERT_TRUE(engine->RegisterAction("crm.note", second).ok());
  ASSERT_TRUE(engine->Execute(actions[0]).ok());
  EXPECT_EQ(first->executed.size(), 1u);
  EXPECT_TRUE(second->executed.empty());
  // An action built by hand (no evaluation) runs the registered type.
  FiredAction by_hand;
  by_hand.type = "crm.note";
  by_hand.params = actions[0].params;
  ASSERT_TRUE(engine->Execute(by_hand).ok());
  EXPECT_EQ(second->executed.size(), 1u);
}

// SPEC 6: an exception from params() escaped from LoadString.
TEST(Action, ParamsThatThrowFailRegistrationAndLoad) {
  auto engine = Engine::Create();
  auto thrower = std::make_shared<Listed>(std::vector<ParamSpec>{}, true);
  Status registered = engine->RegisterAction("flaky", thrower);
  EXPECT_EQ(registered.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registered.message(),
            "action type 'flaky': cannot list the parameters: the action type threw: no list today");

  // One that throws only later, at load, is a load error.
  thrower->throws_ = false;
  ASSERT_TRUE(engine->RegisterAction("flaky", thrower).ok());
  thrower->throws_ = true;
  LoadResult load = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: f
    event: "*"
    actions: [ flaky: {} ]
)"));
  ASSERT_FALSE(load.ok());
  ASSERT_EQ(load.errors.size(), 1u) << load.FormatErrors();
  EXPECT_EQ(load.errors[0].message,
            "cannot list the parameters: the action type threw: no list today");
  EXPECT_EQ(load.errors[0].line, 5);
  EXPECT_EQ(load.errors[0].column, 16);
}

TEST(Action, RegisterActionRejectsInvalidDefaults) {
  using Kind = ParamSpec::Kind;
  struct Case {
    ParamSpec spec;
    const char* message;
  };
  const Case cases[] = {
      {{"note", Kind::kTemplate, false, "{{ facts.text | uper }}", false},
       "action type 'x' parameter 'note': invalid default_value: unknown filter 'uper'"},
      {{"note", Kind::kAny, false, "{{ facts.text", false},
       "action type 'x' parameter 'note': invalid default_value: unclosed '{{'"},
      {{"level", Kind::kLiteral, false, "{{ facts.text }}", false},
       "action type 'x' parameter 'level': invalid default_value: a literal parameter cannot be "
       "a template"},
      {{"wait", Kind::kDuration, false, "10", false},
       "action type 'x' parameter 'wait': invalid default_value: invalid duration '10'"},
      {{"codes", Kind::kIntList, false, "200", false},
       "action type 'x' parameter 'codes': invalid default_value: a mapping or list parameter "
       "has no default"},
      // A url default obeys the rule a url written in a rule does (SPEC 3).
      {{"u", Kind::kUrl, false, "https://{{ facts.text }}/x", false},
       "action type 'x' parameter 'u': invalid default_value: 'https://{{ facts.text }}/x': the "
       "scheme and host must be literal text; templates may only fill the path or query"},
      {{"u", Kind::kUrl, false, "ftp://example.com/", false},
       "action type 'x' parameter 'u': invalid default_value: 'ftp://example.com/' must start "
       "with a literal http:// or https://"},
      {{"u", Kind::kUrl, false, "https:///x", false},
       "action type 'x' parameter 'u': invalid default_value: 'https:///x' has no host"},
      {{"u", Kind::kUrl, false, "https://example.com/{{ facts.text | uper }}", false},
       "action type 'x' parameter 'u': invalid default_value: unknown filter 'uper'"},
      // An embedding probe: these registered, and every rule then failed to load.
      {{"note", Kind::kTemplate, false, "{{ facts.nope }}", false},
       "action type 'x' parameter 'note': invalid default_value: unknown fact 'nope'"},
      {{"u", Kind::kUrl, false, "https://example.com/{{ facts.nope }}", false},
       "action type 'x' parameter 'u': invalid default_value: unknown fact 'nope'"},
      {{"note", Kind::kTemplate, false, "{{ facts.contact.x }}", false},
       "action type 'x' parameter 'note': invalid default_value: unknown fact 'contact.x'"},
      {{"note", Kind::kTemplate, false, "{{ rule.name }}", false},
       "action type 'x' parameter 'note': invalid default_value: unknown 'rule.name'"},
  };
  auto engine = Engine::Create();
  for (const Case& c : cases) {
    Status s = engine->RegisterAction("x", std::make_shared<Listed>(std::vector<ParamSpec>{c.spec}));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message().rfind(c.message, 0), 0u) << s.message();
  }
  for (ParamSpec good : std::vector<ParamSpec>{
           {"note", Kind::kTemplate, false, "note for {{ facts.contact }}", false},
           {"note", Kind::kTemplate, false, "{{ facts | json }} {{ now }} {{ env.HOME }}", false},
           {"level", Kind::kLiteral, false, "normal", false},
           {"wait", Kind::kDuration, false, "1m30s", false},
           {"u", Kind::kUrl, false, "https://crm.example.com/notes/{{ facts.contact }}", false},
           {"codes", Kind::kIntList, false, "", false}}) {
    EXPECT_TRUE(engine->RegisterAction("x", std::make_shared<Listed>(std::vector<ParamSpec>{good})).ok())
        << good.name;
  }
}

// A default that depends on the rule file (vars, captures) is checked where
// it loads, and its error is placed at the action (it had no position).
TEST(Action, AnInvalidDefaultIsReportedAtTheAction) {
  using Kind = ParamSpec::Kind;
  auto engine = Engine::Create();
  ASSERT_TRUE(engine
                  ->RegisterAction("x", std::make_shared<Listed>(std::vector<ParamSpec>{
                                            {"note", Kind::kTemplate, false, "{{ vars.team }}",
                                             false}}))
                  .ok());
  LoadResult load = engine->LoadString(Strip(R"(
version: 1
rules:
  - id: r
    event: "*"
    actions: [ x: {} ]
)"));
  ASSERT_EQ(load.errors.size(), 1u) << load.FormatErrors();
  EXPECT_EQ(load.errors[0].line, 5);
  EXPECT_EQ(load.errors[0].column, 16);
  EXPECT_EQ(load.errors[0].message, "the default of parameter 'note': undefined variable 'team'");
  EXPECT_TRUE(engine->LoadString("version: 1\nvars: { team: ops }\nrules:\n  - id: r\n"
                                 "    event: \"*\"\n    actions: [ x: {} ]\n")
                  .ok());
}

TEST(Action, CustomActionTypeIsUnknownToOtherEngines) {
  auto engine = Engine::Create();
  ASSERT_TRUE(engine->RegisterAction("crm.note", std::make_shared<CrmNote>()).ok());
  auto other = Engine::Create();
  LoadResult result = other->LoadString(Strip(R"(
version: 1
rules:
  - id: note
    event: message.received
    actions:
      - crm.note: { contact: x }
)"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.errors[0].message.find("unknown action type 'crm.note'"), std::string::npos);
}

TEST(Action, RegisterActionRejectsBadNamesAndNull) {
  auto engine = Engine::Create();
  EXPECT_FALSE(engine->RegisterAction("", std::make_shared<CrmNote>()).ok());
  EXPECT_FALSE(engine->RegisterAction("crm note", std::make_shared<CrmNote>()).ok());
  EXPECT_FALSE(engine->RegisterAction("crm:note", std::make_shared<CrmNote>()).ok());
  EXPECT_FALSE(engine->RegisterAction("crm.note", nullptr).ok());
}

TEST(Action, RegisterActionCanReplaceABuiltin) {
  auto engine = Engine::Create();
  auto crm = std::make_shared<CrmNote>();
  ASSERT_TRUE(engine->RegisterAction("log", crm).ok());
  auto actions = Fire(*engine, R"(
version: 1
rules:
  - id: r
    event: message.received
    actions:
      - log: { contact: "{{ facts.contact }}" }
)",
                      Message());
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_TRUE(engine->Execute(actions[0]).ok());
  EXPECT_EQ(crm->executed.size(), 1u);
}

}  // namespace
}  // namespace switchboard
