// Helpers over yaml-cpp nodes: scalar typing and positions.
#ifndef SWITCHBOARD_SRC_YAML_UTIL_H_
#define SWITCHBOARD_SRC_YAML_UTIL_H_

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "switchboard/status.h"
#include "switchboard/value.h"

namespace switchboard {

// A plain (unquoted, untagged) scalar: subject to YAML's type resolution.
inline bool IsPlainScalar(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "?"; }

// Applies YAML merge keys, which yaml-cpp 0.7 reads as ordinary keys: in every
// mapping under `root`, `<<: *base` (or `<<: [*a, *b]`) is replaced by the keys of
// the merged mappings that the mapping does not set itself (the first merged
// mapping wins over later ones), each keeping its position for diagnostics. A
// `<<` whose value is not a mapping or a list of mappings is left for the
// caller's key checks to report.
void ExpandMergeKeys(YAML::Node root);

// What YamlToValue may still build; the loader keeps one per rule file. Each use
// of an alias is converted to its own copy, so a few lines of YAML can stand for
// billions of values (a "billion laughs"); no honest rule file comes near.
struct ValueBudget {
  int limit = 200000;  // Default: 200,000 values, for all conversions that share it
  int used = 0;

  bool spent() const { return used > limit; }
};

// A YAML value as a Value: plain true/false, numbers and null are typed; quoted
// scalars are strings. Every value built takes one from `budget`. Fails with
// InvalidArgument, building nothing, when the budget runs out or collections
// nest more than 64 levels deep.
Result<Value> YamlToValue(const YAML::Node& node, ValueBudget* budget);

// A scalar typed as YamlToValue types it; null for a node that is not a scalar.
Value ScalarToValue(const YAML::Node& node);

// The scalar as a number, when it is a plain number.
bool YamlNumber(const YAML::Node& node, double* out);
// The same as a Value, which keeps an integer exactly (to 64 bits).
std::optional<Value> YamlNumberValue(const YAML::Node& node);
// The scalar as a boolean, when it is plain true/false.
bool YamlBool(const YAML::Node& node, bool* out);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_YAML_UTIL_H_
