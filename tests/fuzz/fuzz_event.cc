// fuzz_event: Event::Parse on arbitrary bytes, then every fact, FactsAsValue,
// ToValue and Get of a few paths (the reads the engine and the server make).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/event.h"
#include "switchboard/value.h"

namespace {

constexpr size_t kMaxInput = 64 * 1024;

const char* const kPaths[] = {
    "id",
    "type",
    "data",
    "data.object",
    "data.object.to[0]",
    "data.object.participants[1]",
    "data.object.media[0].url",
    "data.resource.body.text",
    "data.object.id",
    "facts",
    "facts.contact",
    "facts.type",
    "facts.missed",
    "facts.nope",
    "[0]",
    "data..object",
    "data.object.to[-1]",
    "data.object.to[99999999999999999999]",
    "",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string_view json(reinterpret_cast<const char*>(data), size);
  auto event = switchboard::Event::Parse(json);
  if (!event.ok()) {
    (void)event.status().message().size();
    return 0;
  }
  size_t sink = event->id().size() + event->type().size() + event->raw_json().size();
  for (int i = 0; i < switchboard::kFactCount; ++i) {
    auto f = static_cast<switchboard::Fact>(i);
    const switchboard::FactValue& v = event->fact(f);
    if (v.kind == switchboard::FactValue::Kind::kString) sink += v.string.size();
    sink += switchboard::FactName(f).size();
    if (switchboard::FactFromName(switchboard::FactName(f)) != f) __builtin_trap();
  }
  sink += event->FactsAsValue().ToJson().size();
  switchboard::Value whole = event->ToValue();
  sink += whole.ToJson().size() + whole.ToText().size();
  for (const char* path : kPaths) {
    auto v = event->Get(path);
    if (v) sink += v->ToText().size();
  }
  // Paths taken from the input itself (its first line, at most 256 bytes).
  std::string_view first = json.substr(0, std::min<size_t>(json.find('\n'), 256));
  if (auto v = event->Get(first)) sink += v->ToJson().size();
  // An Event moves; the facts' string_views must follow it.
  switchboard::Event moved = std::move(*event);
  sink += moved.FactsAsValue().ToJson().size();
  // The JSON the engine prints must parse back.
  auto round = switchboard::Value::FromJson(whole.ToJson());
  if (!round.ok()) __builtin_trap();
  volatile size_t keep = sink;
  (void)keep;
  return 0;
}
