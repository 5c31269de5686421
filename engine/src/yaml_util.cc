#include "yaml_util.h"

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "number.h"

namespace switchboard {

namespace {

// Aliases may share nodes but cannot loop; the bounds guard the stack and,
// since a shared node is visited once per alias, the time an input built to
// multiply itself through aliases (a "billion laughs") would take. A merge
// key past them stays as it is and is reported as an unknown key.
constexpr int kMaxMergeDepth = 64;
constexpr int kMaxMergeVisits = 200000;

bool IsMergeKey(const YAML::Node& key) { return IsPlainScalar(key) && key.Scalar() == "<<"; }

bool HasScalarKey(const YAML::Node& map, const std::string& key) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return true;
  }
  return false;
}

void ExpandMergeKeysAt(YAML::Node node, int depth, int* visits) {
  if (depth > kMaxMergeDepth || ++*visits > kMaxMergeVisits) return;
  if (node.IsSequence()) {
    for (YAML::Node child : node) ExpandMergeKeysAt(child, depth + 1, visits);
    return;
  }
  if (!node.IsMap()) return;
  YAML::Node merge;
  bool has_merge = false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (IsMergeKey(it->first) && !has_merge) {
      merge.reset(it->second);
      has_merge = true;
    } else {
      ExpandMergeKeysAt(it->second, depth + 1, visits);
    }
  }
  if (!has_merge) return;
  std::vector<YAML::Node> sources;
  if (merge.IsMap()) {
    sources.push_back(merge);
  } else if (merge.IsSequence()) {
    for (YAML::Node source : merge) {
      if (!source.IsMap()) return;  // left in place: reported as an unknown key
      sources.push_back(source);
    }
  } else {
    return;
  }
  for (YAML::Node& source : sources) ExpandMergeKeysAt(source, depth + 1, visits);
  node.remove("<<");
  for (const YAML::Node& source : sources) {
    for (auto it = source.begin(); it != source.end(); ++it) {
      if (!it->first.IsScalar() || IsMergeKey(it->first)) continue;
      if (!HasScalarKey(node, it->first.Scalar())) node.force_insert(it->first, it->second);
    }
  }
}

// A shared node is converted once per alias, so `budget` counts every copy. The
// depth bound keeps the recursion shallow whatever the parser lets through
// (yaml-cpp 0.7 stops at 500 levels from the document's root).
constexpr int kMaxValueDepth = 64;

Status YamlToValueAt(const YAML::Node& node, int depth, ValueBudget* budget, Value* out) {
  if (++budget->used > budget->limit) {
    return Status::InvalidArgument("value too large: more than " + std::to_string(budget->limit) +
                                   " YAML nodes after expanding aliases (counting all of this "
                                   "file's values)");
  }
  if ((node.IsSequence() || node.IsMap()) && depth >= kMaxValueDepth) {
    return Status::InvalidArgument("value nested too deeply: more than " +
                                   std::to_string(kMaxValueDepth) + " levels");
  }
  if (node.IsSequence()) {
    Value::Array items;
    items.reserve(node.size());
    for (const YAML::Node& item : node) {
      items.emplace_back();
      Status s = YamlToValueAt(item, depth + 1, budget, &items.back());
      if (!s.ok()) return s;
    }
    *out = Value(std::move(items));
  } else if (node.IsMap()) {
    *out = Value(Value::Object());
    for (auto it = node.begin(); it != node.end(); ++it) {
      Value member;
      Status s = YamlToValueAt(it->second, depth + 1, budget, &member);
      if (!s.ok()) return s;
      out->Set(it->first.Scalar(), std::move(member));
    }
  } else {
    *out = ScalarToValue(node);
  }
  return Status::OK();
}

}  // namespace

void ExpandMergeKeys(YAML::Node root) {
  int visits = 0;
  ExpandMergeKeysAt(root, 0, &visits);
}

bool YamlNumber(const YAML::Node& node, double* out) {
  if (!IsPlainScalar(node)) return false;
  const std::string& s = node.Scalar();
  if (s.empty()) return false;
  // YAML 1.2 core schema numbers; no hex, no leading '+' oddities beyond strtod's.
  // "+15555550100" is a phone number in every rule anyone writes, not an integer.
  if (s[0] == '+') return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size() || !((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) return false;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) return false;
  *out = d;
  return true;
}

std::optional<Value> YamlNumberValue(const YAML::Node& node) {
  if (!IsPlainScalar(node)) return std::nullopt;
  if (std::optional<Value> integer = IntegerValue(node.Scalar())) return integer;
  double d;
  if (YamlNumber(node, &d)) return Value(d);
  return std::nullopt;
}

bool YamlBool(const YAML::Node& node, bool* out) {
  if (!IsPlainScalar(node)) return false;
  const std::string& s = node.Scalar();
  if (s == "true" || s == "True" || s == "TRUE") {
    *out = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    *out = false;
    return true;
  }
  return false;
}

Value ScalarToValue(const YAML::Node& node) {
  if (!node.IsScalar()) return Value();
  bool b;
  if (YamlBool(node, &b)) return Value(b);
  if (std::optional<Value> number = YamlNumberValue(node)) return *number;
  return Value(node.Scalar());
}

Result<Value> YamlToValue(const YAML::Node& node, ValueBudget* budget) {
  Value out;
  Status s = YamlToValueAt(node, 0, budget, &out);
  if (!s.ok()) return s;
  return out;
}

}  // namespace switchboard
