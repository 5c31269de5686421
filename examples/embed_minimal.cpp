// The smallest embedding: load rules, evaluate one event, print what fires.
//   embed_minimal examples/rules/minimal.yaml examples/events/message-received.json
#include <fstream>
#include <iostream>
#include <sstream>

#include "switchboard/engine.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: embed_minimal RULES EVENT.json\n";
    return 2;
  }
  auto engine = switchboard::Engine::Create();
  switchboard::LoadResult loaded = engine->LoadFiles({argv[1]});
  if (!loaded.ok()) {
    std::cerr << loaded.FormatErrors() << "\n";
    return 1;
  }
  std::stringstream json;
  json << std::ifstream(argv[2]).rdbuf();
  switchboard::Result<switchboard::Event> event = switchboard::Event::Parse(json.str());
  if (!event.ok()) {
    std::cerr << argv[2] << ": " << event.status().message() << "\n";
    return 1;
  }
  switchboard::Evaluation result = loaded.rules->Evaluate(*event);
  for (const switchboard::FiredRule& fired : result.fired) {
    for (const switchboard::FiredAction& action : fired.actions) {
      std::cout << fired.rule_id << ": " << action.type << " " << action.redacted_params().ToJson()
                << "\n";
    }
  }
  std::cout << result.fired.size() << " rule(s) fired\n";
  return 0;
}
