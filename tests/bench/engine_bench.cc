// Benchmarks of the Switchboard engine, through its public API only.
//
// Scenarios (each event benchmark reports the time of one event):
//
//   BM_ParseOnly               Event::Parse (JSON + facts) of a ~600-byte legacy v4
//                              message.received payload, for reference.
//   BM_Event10Rules            parse + facts + Evaluate of that payload against 10
//                              rules of mixed types and conditions (matches, equals,
//                              in, exists, schedule + throttle, call.* glob); the
//                              actions of the 3 rules that fire are rendered.
//                              Target: <= 1 us/event.
//   BM_Event1000KeywordRules   1,000 message.received rules, each
//                              `facts.text: { matches: '(?i)\bkeywordNNN\b' }`; the
//                              text matches none (/0) or exactly one (/1) of them.
//                              Target: <= 5 us/event.
//   BM_Event1000RulesAllTypes  1,000 rules with mixed conditions spread evenly over
//                              the 14 event types; a message.received event.
//   BM_Load1000Rules           Engine::LoadString of those 1,000 rules (YAML ->
//                              compiled, indexed rule set). Target: <= 200 ms.
//
// Every benchmark checks its result once before timing (state.SkipWithError when
// the expected rules did not fire), so it cannot silently measure nothing.
//
//   taskset -c 1 ./switchboard_engine_bench --benchmark_repetitions=3 \
//       --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/throttle.h"

namespace {

using switchboard::Engine;
using switchboard::EvalOptions;
using switchboard::Evaluation;
using switchboard::Event;
using switchboard::InMemoryThrottleStore;
using switchboard::LoadResult;
using switchboard::RuleSet;

// tests/data/payloads/legacy-v4-message.received.json with a chosen text
// (627 bytes with the original text), on a Monday at 15:04 UTC.
std::string MessagePayload(std::string_view text) {
  std::string out = R"({
  "id": "EVc67ec998b35c41d388af50799aeeba3e",
  "object": "event",
  "apiVersion": "v4",
  "createdAt": "2026-01-05T15:04:05.557Z",
  "type": "message.received",
  "data": {
    "object": {
      "id": "AC24a8b8321c4f4cf2be110f4250793d51",
      "object": "message",
      "from": "+15555550199",
      "to": [
        "+15555555555"
      ],
      "direction": "incoming",
      "text": ")";
  out += text;
  out += R"(",
      "status": "received",
      "createdAt": "2026-01-05T15:04:05.420Z",
      "userId": "USu5AsEHuQ",
      "phoneNumberId": "PNtoDbDhuz",
      "contactIds": [
        "6824dfb69aee85c132b7dg65"
      ]
    }
  }
})";
  return out;
}

const char kQuestion[] = "Hello, what are your hours on Saturday?";

// 2026-01-05T15:05:00Z: rules and throttle windows see a fixed processing time.
EvalOptions FixedOptions(const InMemoryThrottleStore* throttle) {
  EvalOptions options;
  options.now = switchboard::TimeStamp(std::chrono::milliseconds(1767625500000));
  options.throttle = throttle;
  return options;
}

const char kHeader[] = R"(version: 1
vars:
  company: Acme Plumbing
lists:
  staff: ["+15550001111", "+15550002222"]
  vip: ["+15555550199", "+15555550111", "+15555550122"]
schedules:
  business_hours:
    timezone: America/New_York
    weekly:
      mon-fri: ["09:00-17:00"]
      sat: ["10:00-14:00"]
    closed: ["2026-12-25", "2027-01-01"]
rules:
)";

// The 10 rules of BM_Event10Rules. On kQuestion's payload, hours-keyword,
// vip-log and business-hours-ack fire (in that order).
std::string TenRulesYaml() {
  std::string y = kHeader;
  y += R"(  - id: hours-keyword
    event: message.received
    priority: 10
    when:
      facts.direction: incoming
      facts.text: { matches: '(?i)\b(hours?|open)\b' }
    actions:
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: "{{ vars.company }} is open Mon-Fri 9-5, Sat 10-2."
  - id: price-keyword
    event: message.received
    when:
      facts.text: { matches: '(?i)\b(price|quote|cost)\b' }
    actions:
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: "A technician will call you with a quote."
  - id: ignore-staff
    event: message.received
    priority: 20
    stop: true
    when:
      facts.contact: { in: staff }
    actions:
      - log: { message: "staff message from {{ facts.contact }}" }
  - id: vip-log
    event: message.received
    when:
      facts.contact: { in: vip }
      data.object.status: { equals: received }
      facts.text: { exists: true }
    actions:
      - log: { message: "VIP {{ facts.contact }}: {{ data.object.text | truncate(40) }}" }
  - id: business-hours-ack
    event: message.received
    when:
      schedule: business_hours
      facts.direction: incoming
    throttle:
      key: "{{ facts.contact }}"
      per: 12h
    actions:
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: "Thanks for contacting {{ vars.company }}, we will reply shortly."
  - id: missed-call
    event: call.completed
    when:
      facts.missed: true
      facts.direction: incoming
    actions:
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: "Sorry we missed your call."
  - id: voicemail-log
    event: call.completed
    when:
      facts.voicemail: true
    actions:
      - log: { message: "voicemail from {{ facts.contact }}" }
  - id: call-record
    event: call.completed
    actions:
      - sqlite:
          table: calls
          values: { call_id: "{{ facts.call_id }}", contact: "{{ facts.contact }}" }
  - id: contact-sync
    event: contact.updated
    actions:
      - http:
          url: "https://crm.example.com/contacts/{{ data.object.id }}"
          body: { id: "{{ data.object.id }}" }
  - id: any-call
    event: "call.*"
    when:
      facts.contact: { starts_with: "+1" }
    actions:
      - log: { message: "call event {{ type }}" }
)";
  return y;
}

// 1,000 message.received rules, rule kw-NNN matching the word keywordNNN.
std::string KeywordRulesYaml() {
  std::string y = kHeader;
  char buf[512];
  for (int i = 0; i < 1000; ++i) {
    std::snprintf(buf, sizeof(buf),
                  "  - id: kw-%03d\n"
                  "    event: message.received\n"
                  "    when:\n"
                  "      facts.text: { matches: '(?i)\\bkeyword%03d\\b' }\n"
                  "    actions:\n"
                  "      - openphone.send_message:\n"
                  "          to: \"{{ facts.contact }}\"\n"
                  "          content: \"Reply for keyword %03d\"\n",
                  i, i, i);
    y += buf;
  }
  return y;
}

constexpr const char* kAllTypes[] = {
    "message.received",         "message.delivered",         "message.failed",
    "call.ringing",             "call.answered",             "call.completed",
    "call.missed",              "call.forwarded",            "call.recording.completed",
    "call.summary.completed",   "call.transcript.completed", "call.voicemail.completed",
    "contact.updated",          "contact.deleted",
};
constexpr int kTypeCount = sizeof(kAllTypes) / sizeof(kAllTypes[0]);

// 1,000 rules, rule i on kAllTypes[i % 14] with one of 8 condition shapes
// (i / 14 % 8). On kQuestion's payload exactly the message.received rules of
// shapes 2 (in: vip) and 5 (exists) fire: FiringAllTypesRules() of them.
std::string AllTypesRulesYaml() {
  std::string y = kHeader;
  char buf[1024];
  for (int i = 0; i < 1000; ++i) {
    const char* type = kAllTypes[i % kTypeCount];
    int shape = (i / kTypeCount) % 8;
    const char* when = "";
    std::string when_buf;
    switch (shape) {
      case 0:  // a regex on the text, distinct per rule
        std::snprintf(buf, sizeof(buf),
                      "      facts.text: { matches: '(?i)\\b(word%d|term%d)\\b' }\n", i, i);
        when_buf = buf;
        when = when_buf.c_str();
        break;
      case 1:
        std::snprintf(buf, sizeof(buf), "      facts.contact: \"+1555000%04d\"\n", i);
        when_buf = buf;
        when = when_buf.c_str();
        break;
      case 2:
        when = "      facts.contact: { in: vip }\n      facts.direction: incoming\n";
        break;
      case 3:
        when = "      facts.contact: { in: staff }\n";
        break;
      case 4:
        std::snprintf(buf, sizeof(buf),
                      "      any:\n"
                      "        - data.object.status: { equals: failed }\n"
                      "        - facts.text: { contains: \"order %d\" }\n",
                      i);
        when_buf = buf;
        when = when_buf.c_str();
        break;
      case 5:
        when = "      facts.text: { exists: true }\n      data.object.to[0]: { starts_with: \"+1\" }\n";
        break;
      case 6:
        when = "      not: { schedule: business_hours }\n      facts.direction: incoming\n";
        break;
      default:
        std::snprintf(buf, sizeof(buf),
                      "      facts.line: { equals: PNline%d, ignore_case: true }\n", i);
        when_buf = buf;
        when = when_buf.c_str();
        break;
    }
    std::snprintf(buf, sizeof(buf),
                  "  - id: r%04d\n"
                  "    event: %s\n"
                  "    priority: %d\n"
                  "    when:\n"
                  "%s"
                  "    actions:\n"
                  "      - log: { message: \"rule %d: {{ facts.contact }} {{ facts.text | "
                  "truncate(20) }}\" }\n",
                  i, type, i % 5, when, i);
    y += buf;
  }
  return y;
}

int FiringAllTypesRules() {
  int n = 0;
  for (int i = 0; i < 1000; ++i) {
    int shape = (i / kTypeCount) % 8;
    if (i % kTypeCount == 0 && (shape == 2 || shape == 5)) ++n;
  }
  return n;
}

std::shared_ptr<const RuleSet> LoadOrSkip(const Engine& engine, const std::string& yaml,
                                          benchmark::State& state) {
  LoadResult loaded = engine.LoadString(yaml, "bench.yaml");
  if (!loaded.ok()) state.SkipWithError(("load failed: " + loaded.FormatErrors()).c_str());
  return loaded.rules;
}

// Parses and evaluates `payload` once; false (and the benchmark skipped) unless
// the fired rule ids are `expected`, or `expected_count` many when that is >= 0.
bool CheckFired(const RuleSet& rules, const std::string& payload, const EvalOptions& options,
                const std::vector<std::string>& expected, int expected_count,
                benchmark::State& state) {
  auto event = Event::Parse(payload);
  if (!event.ok()) {
    state.SkipWithError(("parse failed: " + event.status().message()).c_str());
    return false;
  }
  Evaluation result = rules.Evaluate(*event, options);
  std::vector<std::string> fired;
  for (const auto& f : result.fired) {
    fired.emplace_back(f.rule_id);
    for (const auto& a : f.actions) {
      if (!a.error.empty()) {
        state.SkipWithError(
            ("action of " + std::string(f.rule_id) + " failed: " + a.error).c_str());
        return false;
      }
    }
  }
  bool ok = expected_count >= 0 ? static_cast<int>(fired.size()) == expected_count
                                : fired == expected;
  if (!ok) {
    std::string got;
    for (const auto& id : fired) got += " " + id;
    state.SkipWithError(("unexpected rules fired:" + got).c_str());
  }
  return ok;
}

void RunEvents(benchmark::State& state, const RuleSet& rules, const std::string& payload,
               const EvalOptions& options) {
  for (auto _ : state) {
    auto event = Event::Parse(payload);
    Evaluation result = rules.Evaluate(*event, options);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseOnly(benchmark::State& state) {
  const std::string payload = MessagePayload(kQuestion);
  auto check = Event::Parse(payload);
  if (!check.ok() || check->type() != "message.received") {
    state.SkipWithError("payload did not parse as message.received");
    return;
  }
  for (auto _ : state) {
    auto event = Event::Parse(payload);
    benchmark::DoNotOptimize(event);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}
BENCHMARK(BM_ParseOnly);

void BM_Event10Rules(benchmark::State& state) {
  auto engine = Engine::Create();
  auto rules = LoadOrSkip(*engine, TenRulesYaml(), state);
  if (!rules) return;
  const std::string payload = MessagePayload(kQuestion);
  InMemoryThrottleStore throttle;
  const EvalOptions options = FixedOptions(&throttle);
  if (!CheckFired(*rules, payload, options, {"hours-keyword", "vip-log", "business-hours-ack"},
                  -1, state)) {
    return;
  }
  RunEvents(state, *rules, payload, options);
}
BENCHMARK(BM_Event10Rules);

// Arg: how many keywords the text contains (0 or 1).
void BM_Event1000KeywordRules(benchmark::State& state) {
  auto engine = Engine::Create();
  auto rules = LoadOrSkip(*engine, KeywordRulesYaml(), state);
  if (!rules) return;
  const bool hit = state.range(0) != 0;
  const std::string payload = MessagePayload(
      hit ? "Hi, please send me the KEYWORD417 offer, keyword41 and keyword4170 are not ones"
          : "Hi, please send me the offer, keyword41 and keyword4170 are not keywords");
  const EvalOptions options = FixedOptions(nullptr);
  if (!CheckFired(*rules, payload, options,
                  hit ? std::vector<std::string>{"kw-417"} : std::vector<std::string>{}, -1,
                  state)) {
    return;
  }
  RunEvents(state, *rules, payload, options);
}
BENCHMARK(BM_Event1000KeywordRules)->Arg(0)->Arg(1);

void BM_Event1000RulesAllTypes(benchmark::State& state) {
  auto engine = Engine::Create();
  auto rules = LoadOrSkip(*engine, AllTypesRulesYaml(), state);
  if (!rules) return;
  const std::string payload = MessagePayload(kQuestion);
  const EvalOptions options = FixedOptions(nullptr);
  if (!CheckFired(*rules, payload, options, {}, FiringAllTypesRules(), state)) return;
  RunEvents(state, *rules, payload, options);
}
BENCHMARK(BM_Event1000RulesAllTypes);

void BM_Load1000Rules(benchmark::State& state) {
  auto engine = Engine::Create();
  const std::string yaml = AllTypesRulesYaml();
  {
    LoadResult loaded = engine->LoadString(yaml, "bench.yaml");
    if (!loaded.ok() || loaded.rules->rules().size() != 1000) {
      state.SkipWithError(("load failed: " + loaded.FormatErrors()).c_str());
      return;
    }
  }
  for (auto _ : state) {
    LoadResult loaded = engine->LoadString(yaml, "bench.yaml");
    benchmark::DoNotOptimize(loaded);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(yaml.size()));
}
BENCHMARK(BM_Load1000Rules)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
