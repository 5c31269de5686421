// Value: a JSON-like tree used for rule variables and rendered action parameters.
// A Value owns its data; copies are deep. Objects keep their keys in insertion order.
#ifndef SWITCHBOARD_VALUE_H_
#define SWITCHBOARD_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "switchboard/export.h"
#include "switchboard/status.h"

namespace switchboard {

class SWITCHBOARD_EXPORT Value {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int n) : v_(static_cast<double>(n)) {}
  Value(int64_t n) : v_(static_cast<double>(n)) {}
  Value(double n) : v_(n) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(Object o) : v_(std::move(o)) {}

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Accessors; calling the wrong one for the type is a programming error.
  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  std::string& as_string() { return std::get<std::string>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object member lookup; nullptr when this is not an object or has no such key.
  const Value* Find(std::string_view key) const;
  // Sets (or replaces) an object member; turns a null Value into an object.
  Value& Set(std::string key, Value value);

  // Compact JSON text (strings escaped, integral numbers without a fraction).
  std::string ToJson() const;
  // The text a template prints: strings as they are, null as "", numbers and
  // booleans as in JSON, arrays and objects as JSON.
  std::string ToText() const;
  // Parses JSON text.
  static Result<Value> FromJson(std::string_view json);

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  std::variant<std::monostate, bool, double, std::string, Array, Object> v_;
};

// Appends `s` to `out` as a quoted, escaped JSON string.
SWITCHBOARD_EXPORT void AppendJsonString(std::string_view s, std::string* out);
// Formats a number as JSON does: integral values without a fraction.
SWITCHBOARD_EXPORT std::string FormatNumber(double n);

}  // namespace switchboard

#endif  // SWITCHBOARD_VALUE_H_
