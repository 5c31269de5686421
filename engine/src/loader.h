// The rule loader: YAML files -> validated, compiled RuleSet (falco's
// reader -> collector -> compiler, in one pass per stage).
#ifndef SWITCHBOARD_SRC_LOADER_H_
#define SWITCHBOARD_SRC_LOADER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/engine.h"
#include "template.h"

namespace switchboard {

using ActionRegistry = std::map<std::string, std::shared_ptr<const ActionType>, std::less<>>;

struct RuleSource {
  std::string name;  // file name as given (used in diagnostics)
  std::string text;
};

// What is wrong with a template's reference to what every rule file sees alike
// (facts.NAME, rule.id, now, env.NAME), or "" when nothing is; references to
// vars and captures depend on the file and rule, which the loader checks.
std::string ContextReferenceProblem(const Template::Reference& ref);

// Loads all sources as one rule set. Every error of every source is reported.
LoadResult LoadRuleSources(const std::vector<RuleSource>& sources, const ActionRegistry& actions,
                           const LoadOptions& options, std::vector<Diagnostic> earlier_errors = {});

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_LOADER_H_
