// Numbers as the engine compares and prints them. An integer in an event or a
// rule is exact to 64 bits (simdjson's int64 and uint64), where a double rounds
// those beyond 2^53 (9007199254740993 would become ...992); other numbers are
// doubles.
#ifndef SWITCHBOARD_SRC_NUMBER_H_
#define SWITCHBOARD_SRC_NUMBER_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/value.h"

namespace switchboard {

struct Number {
  enum class Kind : uint8_t { kDouble, kInt64, kUint64 };
  Kind kind = Kind::kDouble;
  union {
    double d = 0;  // kDouble
    int64_t i;     // kInt64
    uint64_t u;    // kUint64: only integers above INT64_MAX
  };
};

// The number of a Value, which must be a number.
Number NumberOf(const Value& v);
// The number of a JSON element; false when the element is not a number.
bool ElementNumber(simdjson::dom::element e, Number* out);

// Compares exactly, an integer with a double too: negative, zero or positive
// as a < b, a == b or a > b; nullopt when either is NaN.
std::optional<int> CompareNumbers(const Number& a, const Number& b);
// The same with a Value, which must be a number.
std::optional<int> CompareNumbers(const Number& a, const Value& b);

// Appends the number's JSON text: an integer as written, a double by FormatNumber.
void AppendNumber(const Number& n, std::string* out);

// A number's JSON text, held in place: no allocation and nothing to destroy,
// for storage that every Event carries.
struct NumberText {
  char data[32];  // the longest text is 24 characters: -2.2250738585072014e-308
  uint8_t size = 0;
  std::string_view view() const { return std::string_view(data, size); }
};
// Stores the JSON text of `e` in *out when it is a number; false otherwise.
bool ElementNumberText(simdjson::dom::element e, NumberText* out);

// A decimal integer as JSON and YAML write it ("42", "-7", "18446744073709551615")
// that fits in 64 bits, as a Value that keeps it exactly; nullopt for anything else.
std::optional<Value> IntegerValue(std::string_view text);

// simdjson's DOM holds 64-bit integers and finite doubles, and refuses valid
// JSON with any other number (100000000000000000000, 1e400) with NUMBER_ERROR.
// After that error, parses `json` again into `doc` with each such number made a
// JSON string of its text, so that it reaches rules as written. Returns
// NUMBER_ERROR when `json` has no such number: its error is then its own.
simdjson::error_code ParseWithOutOfRangeNumbersAsText(simdjson::dom::parser& parser,
                                                      std::string_view json,
                                                      simdjson::dom::document& doc,
                                                      simdjson::dom::element* root);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_NUMBER_H_
