// fuzz_template: the internal Template::Parse in text and URL mode, then Render
// against a fixed event, vars and captures (engine/src/template.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/event.h"
#include "switchboard/value.h"
#include "template.h"

namespace {

constexpr size_t kMaxInput = 16 * 1024;

const char kEvent[] = R"({"id":"EVfuzz0001","object":"event","apiVersion":"v4",)"
    R"("createdAt":"2026-01-05T15:04:05.000Z","type":"message.received","data":{"object":{)"
    R"("id":"ACfuzz","object":"message","from":"+15555550123","to":["+15555550100"],)"
    R"("direction":"incoming","text":"Hello, what are your HOURS? \u00e9\u4e2d stop","status":"received",)"
    R"("createdAt":"2026-01-05T15:04:05.000Z","userId":"US1","phoneNumberId":"PN123",)"
    R"("count":3,"ratio":-1.5e300,"flag":true,"nothing":null,)"
    R"("media":[{"url":"https://example.com/a.png","type":"image/png"}]}}})";

switchboard::Value MakeVars() {
  switchboard::Value vars{switchboard::Value::Object()};
  vars.Set("company", switchboard::Value("Acme & Sons"));
  vars.Set("hours_text", switchboard::Value("Mon-Fri 9-5"));
  vars.Set("limit", switchboard::Value(40));
  vars.Set("staff", switchboard::Value(switchboard::Value::Array{
                        switchboard::Value("+15555550100"), switchboard::Value("+15555550101")}));
  switchboard::Value nested{switchboard::Value::Object()};
  nested.Set("deep", switchboard::Value(switchboard::Value::Array{switchboard::Value(1.5),
                                                                  switchboard::Value(nullptr)}));
  vars.Set("nested", std::move(nested));
  return vars;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  static const switchboard::Event event = [] {
    auto e = switchboard::Event::Parse(kEvent);
    if (!e.ok()) __builtin_trap();
    return std::move(*e);
  }();
  static const switchboard::Value vars = MakeVars();
  static const switchboard::Captures captures = {{"0", "HOURS"}, {"word", "hours"}, {"1", ""}};

  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto mode : {switchboard::Template::Mode::kText, switchboard::Template::Mode::kUrl}) {
    size_t error_offset = 0;
    auto parsed = switchboard::Template::Parse(text, mode, &error_offset);
    if (!parsed.ok()) {
      if (error_offset > text.size()) __builtin_trap();  // must point into the text
      continue;
    }
    const switchboard::Template& t = *parsed;
    for (const auto& ref : t.references()) {
      if (ref.offset > text.size()) __builtin_trap();
    }
    size_t first = t.first_expression_offset();
    if (first != std::string::npos && first >= text.size()) __builtin_trap();
    switchboard::TemplateContext context;
    context.event = &event;
    context.vars = &vars;
    context.captures = &captures;
    context.rule_id = "fuzz-rule";
    context.rule_description = "a rule";
    context.now = "2026-01-05T15:04:05Z";
    std::string rendered = t.Render(context);
    // Every root missing: still renders.
    (void)t.Render(switchboard::TemplateContext{});
    // Copies render the same.
    switchboard::Template copy = t;
    if (copy.Render(context) != rendered) __builtin_trap();
  }
  (void)switchboard::UrlEncode(text);
  return 0;
}
