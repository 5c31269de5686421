#include "switchboard/value.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "switchboard/event.h"

namespace switchboard {
namespace {

TEST(Value, RoundTripsJson) {
  auto v = Value::FromJson(R"({"a":[1,2.5,"x\n",true,null],"b":{"c":"d"}})");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->ToJson(), R"({"a":[1,2.5,"x\n",true,null],"b":{"c":"d"}})");
}

TEST(Value, RejectsMalformedJson) {
  auto v = Value::FromJson("{\"a\":");
  EXPECT_FALSE(v.ok());
}

TEST(Value, ToTextPrintsStringsBare) {
  EXPECT_EQ(Value("hi").ToText(), "hi");
  EXPECT_EQ(Value().ToText(), "");
  EXPECT_EQ(Value(3).ToText(), "3");
  EXPECT_EQ(Value(0.1).ToText(), "0.1");
}

// Integers are exact to 64 bits: a double would round those beyond 2^53.
TEST(Value, IntegersBeyondTwoToThe53RoundTripExactly) {
  const std::string json =
      R"([9007199254740993,12345678901234567,123456789012345678,18446744073709551615,)"
      R"(-9223372036854775808,-9007199254740993,0,-1,2.5])";
  auto v = Value::FromJson(json);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->ToJson(), json);
  EXPECT_EQ(Value(int64_t{9007199254740993}).ToJson(), "9007199254740993");
  EXPECT_EQ(Value(uint64_t{18446744073709551615u}).ToText(), "18446744073709551615");
  EXPECT_EQ(Value(uint64_t{18446744073709551615u}).as_number(), 18446744073709551615.0);
}

TEST(Value, ExactIntegerAccessors) {
  EXPECT_EQ(Value(int64_t{-5}).as_int64(), int64_t{-5});
  EXPECT_EQ(Value(int64_t{-5}).as_uint64(), std::nullopt);
  EXPECT_EQ(Value(uint64_t{7}).as_int64(), int64_t{7});  // one form for each integer
  EXPECT_EQ(Value(uint64_t{18446744073709551615u}).as_int64(), std::nullopt);
  EXPECT_EQ(Value(uint64_t{18446744073709551615u}).as_uint64(), uint64_t{18446744073709551615u});
  EXPECT_EQ(Value(3.0).as_int64(), std::nullopt);
  EXPECT_EQ(Value("3").as_int64(), std::nullopt);
  EXPECT_EQ(Value::FromJson("1e3")->as_int64(), std::nullopt);
}

TEST(Value, NumbersCompareByValueExactly) {
  EXPECT_EQ(Value(3), Value(3.0));
  EXPECT_EQ(Value(uint64_t{3}), Value(int64_t{3}));
  EXPECT_EQ(Value(int64_t{9007199254740992}), Value(9007199254740992.0));
  EXPECT_NE(Value(int64_t{9007199254740993}), Value(9007199254740992.0));
  EXPECT_NE(Value(int64_t{9007199254740993}), Value(int64_t{9007199254740992}));
  EXPECT_NE(Value(uint64_t{18446744073709551615u}), Value(18446744073709551616.0));
  EXPECT_NE(Value(int64_t{-1}), Value(uint64_t{18446744073709551615u}));
  EXPECT_NE(Value(1), Value(1.5));
  EXPECT_NE(Value(1), Value("1"));
  EXPECT_EQ(*Value::FromJson(R"({"a":[1,2.0]})"), *Value::FromJson(R"({"a":[1.0,2]})"));
}

// simdjson cannot hold these numbers; the JSON is valid, so they are kept as
// the text they were written as.
TEST(Value, FromJsonKeepsNumbersBeyondRangeAsText) {
  auto v = Value::FromJson(
      R"({"a":100000000000000000000,"b":[1e400,-1e400],"c":"q\"1e400","d":-9223372036854775809,"e":1e-400})");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->ToJson(), R"({"a":"100000000000000000000","b":["1e400","-1e400"],"c":"q\"1e400",)"
                         R"("d":"-9223372036854775809","e":0})");
}

TEST(Event, ParsesObjectAndRejectsOthers) {
  EXPECT_TRUE(Event::Parse(R"({"id":"EV1","type":"x"})").ok());
  EXPECT_FALSE(Event::Parse("[1,2]").ok());
  EXPECT_FALSE(Event::Parse("{").ok());
  EXPECT_FALSE(Event::Parse("").ok());
}

TEST(Event, GetsPathsWithIndexes) {
  auto e = Event::Parse(R"({"id":"EV1","type":"t","data":{"object":{"to":["+1","+2"]}}})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Get("data.object.to[1]")->as_string(), "+2");
  EXPECT_FALSE(e->Get("data.object.to[2]").has_value());
  EXPECT_FALSE(e->Get("data.nothing").has_value());
}

// Paths under data.object start from the object the facts adapter found; they
// must still read the document exactly as a walk from the root would.
TEST(Event, PathsUnderDataObjectReadTheDocumentAsWritten) {
  auto get = [](std::string_view json, std::string_view path) {
    auto e = Event::Parse(json);
    EXPECT_TRUE(e.ok()) << json;
    std::optional<Value> v = e.ok() ? e->Get(path) : std::nullopt;
    return v ? v->ToJson() : std::string("(missing)");
  };
  EXPECT_EQ(get(R"({"data":{"object":"text"}})", "data.object"), R"("text")");
  EXPECT_EQ(get(R"({"data":{"object":"text"}})", "data.object.a"), "(missing)");
  EXPECT_EQ(get(R"({"data":{"object":{"a":1}}})", "data.object"), R"({"a":1})");
  // Repeated keys: the first wins, at every level.
  EXPECT_EQ(get(R"({"data":{"object":{"a":1},"object":{"a":2}}})", "data.object.a"), "1");
  EXPECT_EQ(get(R"({"data":{"object":{"a":1}},"data":{"object":{"a":2}}})", "data.object.a"),
            "1");
  // Beta payloads: data.resource is the resource, but data.object is still read.
  EXPECT_EQ(get(R"({"data":{"resource":{"a":1},"object":{"a":3}}})", "data.object.a"), "3");
  EXPECT_EQ(get(R"({"data":[{"object":{"a":1}}]})", "data.object.a"), "(missing)");
  EXPECT_EQ(get(R"({"data":{"object":[{"a":1}]}})", "data.object[0].a"), "1");
  EXPECT_EQ(get(R"({"data":{"object":{"to":["+1"]}}})", "data.object.to[0]"), R"("+1")");
}

// Issue: valid JSON with a number simdjson cannot hold was refused as "not valid
// JSON". Such a number reaches rules as a string of its text; the event's raw
// text is untouched.
TEST(Event, NumbersBeyondSixtyFourBitsAndDoublesAreKeptAsText) {
  for (const char* number : {"100000000000000000000", "18446744073709551616",
                             "-9223372036854775809", "1e400", "-1E+400", "1.5e99999"}) {
    const std::string json = std::string(R"({"id":"x","type":"t","n":)") + number + R"(,"list":[)" +
                             number + R"(,"1e400 in a string",2]})";
    auto e = Event::Parse(json);
    ASSERT_TRUE(e.ok()) << number << ": " << e.status().message();
    EXPECT_EQ(e->raw_json(), json);
    EXPECT_EQ(e->Get("n"), Value(number));
    EXPECT_EQ(e->Get("list")->ToJson(),
              std::string(R"([")") + number + R"(","1e400 in a string",2])");
    EXPECT_EQ(e->id(), "x");
  }
}

TEST(Event, MalformedNumbersAreStillInvalidJson) {
  for (const char* json :
       {R"({"n":01})", R"({"n":1.})", R"({"n":-})", R"({"n":1e400,"m":01})", R"({"n":1e400,)"}) {
    auto e = Event::Parse(json);
    ASSERT_FALSE(e.ok()) << json;
    EXPECT_EQ(e.status().message().rfind("event is not valid JSON: ", 0), 0u)
        << e.status().message();
  }
}

TEST(Event, ByteOrderMarkIsNamedInTheError) {
  auto e = Event::Parse("\xEF\xBB\xBF{\"id\":\"x\",\"type\":\"t\"}");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "event is not valid JSON: it starts with a UTF-8 byte order mark (save it without one)");
}

TEST(Event, GetKeepsIntegersExact) {
  auto e = Event::Parse(
      R"({"id":"x","type":"t","b":9007199254740993,"u":18446744073709551615,"n":-9223372036854775807})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->Get("b")->ToJson(), "9007199254740993");
  EXPECT_EQ(e->Get("u")->ToJson(), "18446744073709551615");
  EXPECT_EQ(e->Get("n")->as_int64(), int64_t{-9223372036854775807});
  EXPECT_EQ(e->ToValue().ToJson(),
            R"({"id":"x","type":"t","b":9007199254740993,"u":18446744073709551615,)"
            R"("n":-9223372036854775807})");
}

// JSON text is UTF-8: bytes that are not (an API's error body cut at 200 bytes
// inside a character, a binary answer) are written as U+FFFD, one per byte,
// and valid characters are kept as they are.
TEST(Value, ToJsonReplacesInvalidUtf8) {
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(Value("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").ToJson(),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Value("a\xFF" "b").ToJson(), "\"a" + kReplacement + "b\"");
  EXPECT_EQ(Value("cut \xC3").ToJson(), "\"cut " + kReplacement + "\"");
  EXPECT_EQ(Value("\xE2\x82").ToJson(), "\"" + kReplacement + kReplacement + "\"");
  // Overlong forms and surrogates are not UTF-8 either.
  EXPECT_EQ(Value("\xC0\xAF").ToJson(), "\"" + kReplacement + kReplacement + "\"");
  EXPECT_EQ(Value("\xED\xA0\x80").ToJson(),
            "\"" + kReplacement + kReplacement + kReplacement + "\"");
  // What it writes reads back.
  Value nested{Value::Object()};
  nested.Set("error", Value("HTTP 500: <html>\xE9t\xE9</html>"));
  auto parsed = Value::FromJson(nested.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->Find("error")->as_string(),
            "HTTP 500: <html>" + kReplacement + "t" + kReplacement + "</html>");
}

// An embedding probe: Value(42u), Value(42LL) and Value(42ULL) did not compile
// (ambiguous between int64_t, uint64_t, double and bool).
TEST(Value, EveryIntegerTypeIsANumberKeptExactly) {
  EXPECT_EQ(Value(42u).ToJson(), "42");
  EXPECT_EQ(Value(-42LL).ToJson(), "-42");
  EXPECT_EQ(Value(18446744073709551615ULL).ToJson(), "18446744073709551615");
  EXPECT_EQ(Value(static_cast<unsigned short>(7)).ToJson(), "7");
  EXPECT_EQ(Value(static_cast<int8_t>(-7)).ToJson(), "-7");
  EXPECT_EQ(Value(uint32_t{4000000000u}).as_uint64(), std::optional<uint64_t>(4000000000u));
  EXPECT_EQ(Value(-9223372036854775807LL - 1).as_int64(),
            std::optional<int64_t>(-9223372036854775807LL - 1));
  EXPECT_TRUE(Value(true).is_bool());
  EXPECT_TRUE(Value(2.5f).is_number());
}

}  // namespace
}  // namespace switchboard
