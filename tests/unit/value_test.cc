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

}  // namespace
}  // namespace switchboard
