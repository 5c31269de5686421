// docs/rules.md promises that every YAML example on the page is a complete,
// valid rule file: each one is loaded here as `switchboard check` would.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "switchboard/engine.h"

namespace switchboard {
namespace {

struct Example {
  int line = 0;  // of the opening fence
  std::string yaml;
};

std::vector<Example> YamlExamples(const std::string& path) {
  std::ifstream in(path);
  std::vector<Example> out;
  std::string line;
  int number = 0;
  Example* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (open == nullptr) {
      if (line == "```yaml") {
        out.push_back({number, ""});
        open = &out.back();
      }
    } else if (line == "```") {
      open = nullptr;
    } else {
      open->yaml += line + "\n";
    }
  }
  return out;
}

TEST(Docs, EveryYamlExampleInRulesMdLoads) {
  const std::string path = std::string(SWITCHBOARD_SOURCE_DIR) + "/docs/rules.md";
  std::vector<Example> examples = YamlExamples(path);
  ASSERT_GE(examples.size(), 10u) << "no examples found in " << path;
  auto engine = Engine::Create();
  for (const Example& example : examples) {
    // A file in docs/, so that a test's `event:` path resolves as it would there.
    LoadResult loaded = engine->LoadString(
        example.yaml, std::string(SWITCHBOARD_SOURCE_DIR) + "/docs/example.yaml");
    EXPECT_TRUE(loaded.ok()) << "docs/rules.md:" << example.line << ":\n"
                             << loaded.FormatErrors();
  }
}

}  // namespace
}  // namespace switchboard
