// fuzz_rules: Engine::LoadString on arbitrary YAML; a rule set that loads is
// evaluated (with explain, a throttle store and a fixed clock) against a fixed
// event, its firings recorded, its rules listed.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/engine.h"

namespace {

constexpr size_t kMaxInput = 64 * 1024;

// A legacy v4 message.received from a known contact, with text, media and a
// participants list: enough for facts, paths and templates to find something.
const char kEvent[] = R"({"id":"EVfuzz0001","object":"event","apiVersion":"v4",)"
    R"("createdAt":"2026-01-05T15:04:05.000Z","type":"message.received","data":{"object":{)"
    R"("id":"ACfuzz","object":"message","from":"+15555550123","to":["+15555550100"],)"
    R"("direction":"incoming","text":"Hello, what are your HOURS? stop","status":"received",)"
    R"("createdAt":"2026-01-05T15:04:05.000Z","userId":"US1","phoneNumberId":"PN123",)"
    R"("conversationId":"CN1","media":[{"url":"https://example.com/a.png","type":"image/png"}]}}})";

const char kCallEvent[] = R"({"id":"EVfuzz0002","object":"event","apiVersion":"v4",)"
    R"("createdAt":"2026-01-10T23:30:00.000Z","type":"call.completed","data":{"object":{)"
    R"("id":"ACcall","object":"call","direction":"incoming","status":"no-answer",)"
    R"("answeredAt":null,"participants":["+15555550123","+15555550100"],"userId":"US1",)"
    R"("phoneNumberId":"PN123","voicemail":{"url":"https://example.com/v.mp3","duration":3}}}})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  static const std::unique_ptr<switchboard::Engine> engine = switchboard::Engine::Create();
  static const auto events = [] {
    std::vector<switchboard::Event> list;
    for (const char* text : {kEvent, kCallEvent}) {
      auto e = switchboard::Event::Parse(text);
      if (!e.ok()) __builtin_trap();
      list.push_back(std::move(*e));
    }
    return list;
  }();

  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  switchboard::LoadOptions options;
  // Inline tests name event files: keep the fuzzer off the file system.
  options.tests = false;
  switchboard::LoadResult loaded = engine->LoadString(yaml, "fuzz.yaml", options);
  if (!loaded.ok()) {
    if (loaded.errors.empty()) __builtin_trap();  // a failed load says why
    (void)loaded.FormatErrors();
    return 0;
  }
  (void)loaded.rules->rules();
  switchboard::InMemoryThrottleStore throttle;
  // Sunday 2026-01-11 03:04:05 UTC, then a weekday noon: schedules both ways.
  const switchboard::TimeStamp times[] = {
      switchboard::TimeStamp(std::chrono::seconds(1768100645)),
      switchboard::TimeStamp(std::chrono::seconds(1767960000)),
  };
  for (const switchboard::Event& event : events) {
    for (switchboard::TimeStamp now : times) {
      switchboard::EvalOptions eval;
      eval.now = now;
      eval.throttle = &throttle;
      eval.explain = true;
      switchboard::Evaluation result = loaded.rules->Evaluate(event, eval);
      loaded.rules->RecordFirings(result, now, &throttle);
      for (const auto& fired : result.fired) {
        for (const auto& action : fired.actions) {
          (void)action.params.ToJson();
          (void)action.redacted_params().ToJson();
        }
      }
      // Without a throttle store, evaluation is a pure function of event and now.
      eval.explain = false;
      eval.throttle = nullptr;
      switchboard::Evaluation a = loaded.rules->Evaluate(event, eval);
      switchboard::Evaluation b = loaded.rules->Evaluate(event, eval);
      if (a.fired.size() != b.fired.size()) __builtin_trap();
      for (size_t i = 0; i < a.fired.size(); ++i) {
        if (a.fired[i].rule_id != b.fired[i].rule_id) __builtin_trap();
      }
    }
  }
  return 0;
}
