#include "switchboard/value.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace switchboard
