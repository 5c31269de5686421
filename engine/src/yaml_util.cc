#include "yaml_util.h"

#include <cerrno>
#include <charconv>
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
  std::optional<Value> number = YamlNumberValue(node);
  if (!number) return false;
  *out = number->as_number();
  return true;
}

std::optional<Value> YamlNumberValue(const YAML::Node& node) {
  if (!IsPlainScalar(node)) return std::nullopt;
  const std::string& s = node.Scalar();
  // "+15555550100" is a phone number in every rule anyone writes, not an
  // integer: a leading '+' keeps the text (YAML 1.2 would read a number).
  if (s.empty() || s[0] == '+') return std::nullopt;
  if (std::optional<Value> integer = IntegerValue(s)) return integer;
  const char* const last = s.data() + s.size();
  // YAML 1.2 core schema integers in octal (0o17) and hexadecimal (0xFF).
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    uint64_t u;
    auto [end, error] = std::from_chars(s.data() + 2, last, u, s[1] == 'o' ? 8 : 16);
    if (error != std::errc() || end != last) return std::nullopt;
    return Value(u);
  }
  // Decimal with a fraction or an exponent: strtod would also take hex
  // floats, "inf" and "nan", which YAML writes otherwise (.inf) or not at all.
  const size_t first = s[0] == '-' ? 1 : 0;
  if (first >= s.size() || !((s[first] >= '0' && s[first] <= '9') || s[first] == '.') ||
      s.find_first_not_of("0123456789.eE+-", first) != std::string::npos) {
    return std::nullopt;
  }
  // Only digits, and too many for 64 bits: the text, as such a number in a
  // JSON event is (Value::FromJson), so that the two compare equal.
  if (s.find_first_of(".eE") == std::string::npos) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (end != last || errno == ERANGE) return std::nullopt;
  return Value(d);
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
