// Value: a JSON-like tree used for rule variables and rendered action parameters.
// A Value owns its data; copies are deep. Objects keep their keys in insertion order.
// Numbers are doubles, except that an integer (from an integer type, or written as
// one in JSON or YAML) is kept exactly to 64 bits, where a double rounds those
// beyond 2^53: 9007199254740993 stays 9007199254740993.
#ifndef SWITCHBOARD_VALUE_H_
#define SWITCHBOARD_VALUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
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
  Value(int n) : Value(static_cast<int64_t>(n)) {}
  Value(int64_t n)
      : v_(NumberRep{static_cast<double>(n), NumberRep::kInt64, static_cast<uint64_t>(n)}) {}
  Value(uint64_t n);
  // Every other integer type (unsigned, long long, unsigned long long, short,
  // ...), exactly: as int64_t when signed, uint64_t when not.
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && sizeof(T) <= 8 && !std::is_same_v<T, bool> &&
                                 !std::is_same_v<T, int> && !std::is_same_v<T, int64_t> &&
                                 !std::is_same_v<T, uint64_t>,
                             int> = 0>
  Value(T n) : Value(static_cast<std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>(n)) {}
  Value(double n) : v_(NumberRep{n, NumberRep::kDouble, 0}) {}
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
  // The number as a double: an integer beyond 2^53 is rounded.
  double as_number() const { return std::get<NumberRep>(v_).value; }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  std::string& as_string() { return std::get<std::string>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // The exact integer, when this is a number held as an integer that fits the
  // type; nullopt for doubles (also integral ones, such as 1e3) and other types.
  std::optional<int64_t> as_int64() const;
  std::optional<uint64_t> as_uint64() const;

  // Object member lookup; nullptr when this is not an object or has no such key.
  const Value* Find(std::string_view key) const;
  // Sets (or replaces) an object member; turns a null Value into an object.
  Value& Set(std::string key, Value value);

  // Compact JSON text (strings escaped, integers exactly, other integral
  // numbers without a fraction).
  std::string ToJson() const;
  // The text a template prints: strings as they are, null as "", numbers and
  // booleans as in JSON, arrays and objects as JSON.
  std::string ToText() const;
  // Parses JSON text. A number beyond 64-bit integers and doubles
  // (100000000000000000000, 1e400) becomes a string of its text.
  static Result<Value> FromJson(std::string_view json);

  // Deep equality; numbers compare by value, exactly (3 == 3.0, but
  // 9007199254740993 != 9007199254740992.0).
  friend bool operator==(const Value& a, const Value& b) { return Equal(a, b); }
  friend bool operator!=(const Value& a, const Value& b) { return !Equal(a, b); }

 private:
  struct NumberRep {
    enum Kind : uint8_t { kDouble, kInt64, kUint64 };
    double value;  // rounded for an integer beyond 2^53
    Kind kind;
    uint64_t bits;  // kInt64: the int64_t's bits; kUint64: the integer
  };
  static bool Equal(const Value& a, const Value& b);

  std::variant<std::monostate, bool, NumberRep, std::string, Array, Object> v_;
};

// Appends `s` to `out` as a quoted, escaped JSON string. A byte of `s` that is
// not part of valid UTF-8 is written as U+FFFD, so the output is always JSON.
SWITCHBOARD_EXPORT void AppendJsonString(std::string_view s, std::string* out);
// Formats a number as JSON does: integral values without a fraction.
SWITCHBOARD_EXPORT std::string FormatNumber(double n);

}  // namespace switchboard

#endif  // SWITCHBOARD_VALUE_H_
