#include "switchboard/value.h"

#include <simdjson.h>

#include <cmath>
#include <cstdio>

#include "event_rep.h"
#include "number.h"
#include "unicode_case.h"

namespace switchboard {

// kInt64 when the integer fits there, so that each integer has one form.
Value::Value(uint64_t n)
    : v_(NumberRep{static_cast<double>(n),
                   n > static_cast<uint64_t>(INT64_MAX) ? NumberRep::kUint64 : NumberRep::kInt64,
                   n}) {}

std::optional<int64_t> Value::as_int64() const {
  const NumberRep* n = std::get_if<NumberRep>(&v_);
  if (n == nullptr || n->kind != NumberRep::kInt64) return std::nullopt;
  return static_cast<int64_t>(n->bits);
}

std::optional<uint64_t> Value::as_uint64() const {
  const NumberRep* n = std::get_if<NumberRep>(&v_);
  if (n == nullptr || n->kind == NumberRep::kDouble) return std::nullopt;
  if (n->kind == NumberRep::kInt64 && static_cast<int64_t>(n->bits) < 0) return std::nullopt;
  return n->bits;
}

bool Value::Equal(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kNull: return true;
    case Type::kBool: return a.as_bool() == b.as_bool();
    case Type::kNumber: return CompareNumbers(NumberOf(a), NumberOf(b)) == 0;
    case Type::kString: return a.as_string() == b.as_string();
    case Type::kArray: return a.as_array() == b.as_array();
    case Type::kObject: return a.as_object() == b.as_object();
  }
  return false;
}

const Value* Value::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value& Value::Set(std::string key, Value value) {
  if (!is_object()) v_ = Object();
  for (auto& [k, v] : as_object()) {
    if (k == key) return v = std::move(value);
  }
  as_object().emplace_back(std::move(key), std::move(value));
  return as_object().back().second;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // JSON text is UTF-8 (RFC 8259): a byte that is not part of a valid
      // sequence (an API's error body cut short, say) is written as U+FFFD,
      // so that one bad byte cannot make the whole document unreadable.
      const size_t n = Utf8CharLength(s, i);
      if (n == 0) {
        out->append("\xEF\xBF\xBD");
      } else {
        out->append(s.data() + i, n);
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string FormatNumber(double n) {
  if (!std::isfinite(n)) return "null";
  if (n == std::floor(n) && std::fabs(n) < 9007199254740992.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", n);
  // Prefer the shortest text that reads back as the same number.
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, n);
    if (std::strtod(shorter, nullptr) == n) return shorter;
  }
  return buf;
}

namespace {

void AppendJson(const Value& v, std::string* out) {
  switch (v.type()) {
    case Value::Type::kNull: out->append("null"); break;
    case Value::Type::kBool: out->append(v.as_bool() ? "true" : "false"); break;
    case Value::Type::kNumber: AppendNumber(NumberOf(v), out); break;
    case Value::Type::kString: AppendJsonString(v.as_string(), out); break;
    case Value::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(e, out);
      }
      out->push_back(']');
      break;
    }
    case Value::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(k, out);
        out->push_back(':');
        AppendJson(e, out);
      }
      out->push_back('}');
      break;
    }
  }
}

}  // namespace

std::string Value::ToJson() const {
  std::string out;
  AppendJson(*this, &out);
  return out;
}

std::string Value::ToText() const {
  switch (type()) {
    case Type::kNull: return "";
    case Type::kString: return as_string();
    default: return ToJson();
  }
}

Value ElementToValue(simdjson::dom::element element) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::ARRAY: {
      Value::Array array;
      simdjson::dom::array elements = element.get_array().value_unsafe();
      for (simdjson::dom::element e : elements) {
        array.push_back(ElementToValue(e));
      }
      return Value(std::move(array));
    }
    case element_type::OBJECT: {
      Value::Object object;
      simdjson::dom::object fields = element.get_object().value_unsafe();
      for (auto field : fields) {
        object.emplace_back(std::string(field.key), ElementToValue(field.value));
      }
      return Value(std::move(object));
    }
    case element_type::INT64: return Value(element.get_int64().value_unsafe());
    case element_type::UINT64: return Value(element.get_uint64().value_unsafe());
    case element_type::DOUBLE: return Value(element.get_double().value_unsafe());
    case element_type::STRING: return Value(element.get_string().value_unsafe());
    case element_type::BOOL: return Value(element.get_bool().value_unsafe());
    case element_type::NULL_VALUE: return Value();
  }
  return Value();
}

Result<Value> Value::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::document doc;
  simdjson::dom::element root;
  auto error = parser.parse_into_document(doc, json.data(), json.size()).get(root);
  if (error == simdjson::NUMBER_ERROR) {
    error = ParseWithOutOfRangeNumbersAsText(parser, json, doc, &root);
  }
  if (error) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  return ElementToValue(root);
}

}  // namespace switchboard
