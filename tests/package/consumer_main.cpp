// A program that uses the installed (or add_subdirectory'd) switchboard.
#include <iostream>

#include "switchboard/engine.h"

int main() {
  auto engine = switchboard::Engine::Create();
  switchboard::LoadResult loaded = engine->LoadString(R"(
version: 1
rules:
  - id: greet
    event: message.received
    when: { facts.text: { matches: '(?i)^hello' } }
    actions:
      - log: { message: "hello from {{ facts.contact }}" }
)");
  if (!loaded.ok()) {
    std::cerr << loaded.FormatErrors() << "\n";
    return 1;
  }
  auto event = switchboard::Event::Parse(
      R"({"id":"EV1","type":"message.received","data":{"object":{"direction":"incoming",)"
      R"("from":"+15555550142","to":["+15555550100"],"text":"Hello there"}}})");
  if (!event.ok()) {
    std::cerr << event.status().message() << "\n";
    return 1;
  }
  for (const auto& fired : loaded.rules->Evaluate(*event).fired) {
    for (const auto& action : fired.actions) {
      std::cout << "consumer: " << fired.rule_id << " " << action.type << " "
                << action.params.ToJson() << "\n";
    }
  }
  return 0;
}
