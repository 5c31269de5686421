#include "number.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace switchboard {

namespace {

constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

template <typename T>
int Order(T a, T b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// An integer against a double that is not NaN, exactly: converting the integer
// to a double instead would round it, and make 2^53 + 1 equal 2^53.
int CompareInt64Double(int64_t i, double d) {
  if (d >= kTwoPow63) return -1;
  if (d < -kTwoPow63) return 1;
  const double whole = std::trunc(d);  // fits in int64_t now
  if (int order = Order(i, static_cast<int64_t>(whole))) return order;
  return Order(whole, d);  // the fraction decides
}

int CompareUint64Double(uint64_t u, double d) {
  if (d >= kTwoPow64) return -1;
  if (d < 0) return 1;
  const double whole = std::trunc(d);
  if (int order = Order(u, static_cast<uint64_t>(whole))) return order;
  return Order(whole, d);
}

int CompareInt64Uint64(int64_t i, uint64_t u) {
  return i < 0 ? -1 : Order(static_cast<uint64_t>(i), u);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t begin = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    return i > begin;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

// A JSON number simdjson cannot hold: an integer beyond 64 bits, or a number
// too large for a double (one too small for a double reads as 0, as strtod has it).
bool IsOutOfRange(std::string_view token) {
  if (!IsJsonNumber(token)) return false;
  if (token.find_first_of(".eE") == std::string_view::npos) return !IntegerValue(token);
  const std::string text(token);
  return std::isinf(std::strtod(text.c_str(), nullptr));
}

// `json` with every out-of-range number written as a string of its text, in
// *out; false when there is none. Only the lexical structure matters here:
// whatever else is wrong with the text, the second parse finds.
bool QuoteOutOfRangeNumbers(std::string_view json, std::string* out) {
  size_t copied = 0;  // json[0, copied) is in *out
  size_t i = 0;
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {  // a string: skipped, escapes included
      for (++i; i < json.size() && json[i] != '"'; ++i) {
        if (json[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (c != '-' && !IsDigit(c)) {
      ++i;
      continue;
    }
    const size_t begin = i;
    while (i < json.size() && (IsDigit(json[i]) || json[i] == '-' || json[i] == '+' ||
                               json[i] == '.' || json[i] == 'e' || json[i] == 'E')) {
      ++i;
    }
    const std::string_view token = json.substr(begin, i - begin);
    if (!IsOutOfRange(token)) continue;
    out->append(json.substr(copied, begin - copied));
    out->push_back('"');
    out->append(token);
    out->push_back('"');
    copied = i;
  }
  if (copied == 0) return false;
  out->append(json.substr(copied));
  return true;
}

}  // namespace

Number NumberOf(const Value& v) {
  Number n;
  if (std::optional<int64_t> i = v.as_int64()) {
    n.kind = Number::Kind::kInt64;
    n.i = *i;
  } else if (std::optional<uint64_t> u = v.as_uint64()) {
    n.kind = Number::Kind::kUint64;
    n.u = *u;
  } else {
    n.d = v.as_number();
  }
  return n;
}

bool ElementNumber(simdjson::dom::element e, Number* out) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::INT64:
      out->kind = Number::Kind::kInt64;
      out->i = e.get_int64().value_unsafe();
      return true;
    case element_type::UINT64:  // simdjson's only for integers above INT64_MAX
      out->kind = Number::Kind::kUint64;
      out->u = e.get_uint64().value_unsafe();
      return true;
    case element_type::DOUBLE:
      out->kind = Number::Kind::kDouble;
      out->d = e.get_double().value_unsafe();
      return true;
    default:
      return false;
  }
}

std::optional<int> CompareNumbers(const Number& a, const Number& b) {
  using Kind = Number::Kind;
  if ((a.kind == Kind::kDouble && std::isnan(a.d)) ||
      (b.kind == Kind::kDouble && std::isnan(b.d))) {
    return std::nullopt;
  }
  switch (a.kind) {
    case Kind::kDouble:
      if (b.kind == Kind::kInt64) return -CompareInt64Double(b.i, a.d);
      if (b.kind == Kind::kUint64) return -CompareUint64Double(b.u, a.d);
      return Order(a.d, b.d);
    case Kind::kInt64:
      if (b.kind == Kind::kInt64) return Order(a.i, b.i);
      if (b.kind == Kind::kUint64) return CompareInt64Uint64(a.i, b.u);
      return CompareInt64Double(a.i, b.d);
    case Kind::kUint64:
      if (b.kind == Kind::kUint64) return Order(a.u, b.u);
      if (b.kind == Kind::kInt64) return -CompareInt64Uint64(b.i, a.u);
      return CompareUint64Double(a.u, b.d);
  }
  return std::nullopt;
}

std::optional<int> CompareNumbers(const Number& a, const Value& b) {
  return CompareNumbers(a, NumberOf(b));
}

void AppendNumber(const Number& n, std::string* out) {
  char buf[24];  // the longest is INT64_MIN's 20 characters
  std::to_chars_result result{buf, std::errc()};
  switch (n.kind) {
    case Number::Kind::kInt64:
      result = std::to_chars(buf, buf + sizeof buf, n.i);
      break;
    case Number::Kind::kUint64:
      result = std::to_chars(buf, buf + sizeof buf, n.u);
      break;
    case Number::Kind::kDouble:
      out->append(FormatNumber(n.d));
      return;
  }
  out->append(buf, result.ptr);
}

bool ElementNumberText(simdjson::dom::element e, NumberText* out) {
  Number number;
  if (!ElementNumber(e, &number)) return false;
  std::string text;
  AppendNumber(number, &text);
  out->size = static_cast<uint8_t>(std::min(text.size(), sizeof out->data));
  std::memcpy(out->data, text.data(), out->size);
  return true;
}

std::optional<Value> IntegerValue(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string_view digits = text.substr(negative ? 1 : 0);
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (!IsDigit(c)) return std::nullopt;
  }
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (negative) {
    int64_t i;
    auto [end, error] = std::from_chars(first, last, i);
    if (error != std::errc() || end != last) return std::nullopt;
    return Value(i);
  }
  uint64_t u;
  auto [end, error] = std::from_chars(first, last, u);
  if (error != std::errc() || end != last) return std::nullopt;
  return Value(u);
}

simdjson::error_code ParseWithOutOfRangeNumbersAsText(simdjson::dom::parser& parser,
                                                      std::string_view json,
                                                      simdjson::dom::document& doc,
                                                      simdjson::dom::element* root) {
  std::string quoted;
  if (!QuoteOutOfRangeNumbers(json, &quoted)) return simdjson::NUMBER_ERROR;
  // The document copies its strings: `quoted` may go once parsed.
  return parser.parse_into_document(doc, quoted.data(), quoted.size()).get(*root);
}

}  // namespace switchboard
