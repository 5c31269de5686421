#include "builtin_actions.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

#include "unicode_case.h"

namespace switchboard {

Status ActionType::Validate(const Value&) const { return Status::OK(); }
Status ActionType::CheckRendered(const Value&) const { return Status::OK(); }
Status ActionType::Execute(const FiredAction& action) const {
  return Status::Unimplemented("no executor for action type '" + std::string(action.type) + "'");
}

Status BuiltinActionType::Validate(const Value& params) const {
  std::vector<ParamProblem> problems;
  ValidateAll(params, &problems);
  return problems.empty() ? Status::OK() : Status::InvalidArgument(problems[0].message);
}

bool IsSqlIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return !IsReservedBySqlite(name);
}

bool IsReservedBySqlite(std::string_view name) {
  return ToLowerUtf8(name).rfind("sqlite_", 0) == 0;
}

namespace {

// True when the eight bytes of `word` are all ASCII digits (0x30-0x39): each
// byte's high nibble must be 3, and still 3 once 6 is added (a low nibble above
// 9 carries into it). A byte that carries into the next one fails itself.
bool EightDigits(uint64_t word) {
  constexpr uint64_t kHighNibbles = 0xF0F0F0F0F0F0F0F0u;
  const uint64_t plus_six = word + 0x0606060606060606u;
  return ((word & kHighNibbles) | ((plus_six & kHighNibbles) >> 4)) == 0x3333333333333333u;
}

// The bytes that may follow "PN" in a phone number id: letters, digits, '_', '-'.
constexpr std::array<bool, 256> kPhoneNumberIdChars = [] {
  std::array<bool, 256> chars{};
  for (int c = '0'; c <= '9'; ++c) chars[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) chars[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) chars[c] = true;
  chars['_'] = chars['-'] = true;
  return chars;
}();

}  // namespace

bool IsE164(std::string_view n) {
  if (n.size() < 3 || n.size() > 16 || n[0] != '+' || n[1] == '0') return false;
  const std::string_view digits = n.substr(1);  // 2 to 15 of them
  if (digits.size() < 8) {
    return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  // Every rendered send_message is checked here: two words that overlap cover
  // 8 to 16 digits, eight at a time.
  uint64_t first, last;
  std::memcpy(&first, digits.data(), sizeof first);
  std::memcpy(&last, digits.data() + digits.size() - sizeof last, sizeof last);
  return EightDigits(first) && EightDigits(last);
}

namespace {

bool IsOpenPhoneId(std::string_view id, std::string_view prefix) {
  if (id.size() < 3 || id.size() > 64 || id.substr(0, 2) != prefix) return false;
  return std::all_of(id.begin() + 2, id.end(),
                     [](char c) { return kPhoneNumberIdChars[static_cast<unsigned char>(c)]; });
}

}  // namespace

bool IsPhoneNumberId(std::string_view id) { return IsOpenPhoneId(id, "PN"); }
bool IsUserId(std::string_view id) { return IsOpenPhoneId(id, "US"); }

size_t Utf8Length(std::string_view s) {
  // Every byte but the continuation bytes (10xxxxxx) starts a code point. They
  // are counted eight at a time: a continuation byte has bit 7 set and bit 6
  // clear, and shifting the word left by one brings each byte's bit 6 to bit 7.
  constexpr uint64_t kHighBits = 0x8080808080808080u;
  constexpr uint64_t kOnes = 0x0101010101010101u;
  size_t continuation = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, sizeof word);
    uint64_t marks = (word & ~(word << 1) & kHighBits) >> 7;  // 0 or 1 per byte
    continuation += (marks * kOnes) >> 56;                    // the sum of the bytes
  }
  for (; i < s.size(); ++i) continuation += (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
  return s.size() - continuation;
}

namespace {

using Kind = ParamSpec::Kind;

// The text of a rendered parameter (Value::ToText), "" when it is absent. Strings,
// what templates render, are returned in place; other values are formatted in
// *storage, which the result then points into.
std::string_view RenderedText(const Value* v, std::string* storage) {
  if (v == nullptr) return {};
  if (v->is_string()) return v->as_string();
  *storage = v->ToText();
  return *storage;
}

bool IsLiteralTemplate(const Value* v) {
  return v != nullptr && v->is_string() && v->as_string().find("{{") == std::string::npos;
}

class SendMessage : public BuiltinActionType {
  static constexpr std::string_view kTo = "to";
  static constexpr std::string_view kContent = "content";
  static constexpr std::string_view kFrom = "from";
  static constexpr std::string_view kUserId = "user_id";

 public:
  std::vector<ParamSpec> params() const override {
    return {
        {"to", Kind::kTemplate, true, "", false},
        {"content", Kind::kTemplate, true, "", false},
        {"from", Kind::kTemplate, false, "{{ facts.line }}", false},
        {"user_id", Kind::kTemplate, false, "", false},
        {"set_inbox_status", Kind::kLiteral, false, "", false},
    };
  }
  void ValidateAll(const Value& params, std::vector<ParamProblem>* problems) const override {
    const Value* content = params.Find("content");
    if (IsLiteralTemplate(content)) {
      size_t n = Utf8Length(content->as_string());
      if (n == 0 || n > 1600) {
        problems->push_back({"content", "", "parameter 'content' must be 1 to 1600 characters, not " +
                                                std::to_string(n)});
      }
    }
    const Value* to = params.Find("to");
    if (IsLiteralTemplate(to) && !IsE164(to->as_string())) {
      problems->push_back({"to", "", "parameter 'to' must be one E.164 number such as "
                                     "+15555550100, not '" + to->as_string() + "'"});
    }
    const Value* from = params.Find("from");
    if (IsLiteralTemplate(from) && !IsE164(from->as_string()) &&
        !IsPhoneNumberId(from->as_string())) {
      problems->push_back({"from", "", "parameter 'from' must be a phone number id (PN...) or "
                                       "one E.164 number, not '" + from->as_string() + "'"});
    }
    const Value* user = params.Find("user_id");
    if (IsLiteralTemplate(user) && !user->as_string().empty() && !IsUserId(user->as_string())) {
      problems->push_back({"user_id", "", "parameter 'user_id' must be an OpenPhone user id "
                                          "(US...), not '" + user->as_string() + "'"});
    }
    const Value* status = params.Find("set_inbox_status");
    if (status != nullptr && (!status->is_string() || status->as_string() != "done")) {
      problems->push_back({"set_inbox_status", "", "parameter 'set_inbox_status' can only be 'done'"});
    }
  }
  Status CheckRendered(const Value& p) const override {
    // One pass over the parameters finds the three that are checked.
    const Value* to = nullptr;
    const Value* content = nullptr;
    const Value* from = nullptr;
    const Value* user = nullptr;
    if (p.is_object()) {
      for (const auto& [name, value] : p.as_object()) {
        const std::string_view n = name;
        if (n == kTo) {
          to = &value;
        } else if (n == kContent) {
          content = &value;
        } else if (n == kFrom) {
          from = &value;
        } else if (n == kUserId) {
          user = &value;
        }
      }
    }
    std::string storage;
    std::string_view to_text = RenderedText(to, &storage);
    if (!IsE164(to_text)) {
      return Status::InvalidArgument("'to' is not one E.164 number: '" + std::string(to_text) +
                                     "'");
    }
    // A text has at most as many characters as bytes, and one at least when it
    // is not empty: only one of more than 1600 bytes needs counting.
    const std::string_view content_text = RenderedText(content, &storage);
    if (content_text.empty() || content_text.size() > 1600) {
      size_t n = Utf8Length(content_text);
      if (n == 0 || n > 1600) {
        return Status::InvalidArgument(
            "'content' must be 1 to 1600 characters after rendering, not " + std::to_string(n));
      }
    }
    const std::string_view from_text = from == nullptr ? "" : RenderedText(from, &storage);
    if (from_text.empty()) {
      return Status::InvalidArgument(
          "'from' rendered empty (its default is {{ facts.line }}, which this event lacks; set "
          "'from' to a phone number id (PN...) or an E.164 number)");
    }
    if (!IsE164(from_text) && !IsPhoneNumberId(from_text)) {
      return Status::InvalidArgument("'from' is neither a phone number id (PN...) nor one E.164 "
                                     "number: '" + std::string(from_text) + "'");
    }
    // Empty: no userId is sent.
    const std::string_view user_text = user == nullptr ? "" : RenderedText(user, &storage);
    if (!user_text.empty() && !IsUserId(user_text)) {
      return Status::InvalidArgument("'user_id' is not an OpenPhone user id (US...): '" +
                                     std::string(user_text) + "'");
    }
    return Status::OK();
  }
};

class Http : public BuiltinActionType {
 public:
  std::vector<ParamSpec> params() const override {
    return {
        {"url", Kind::kUrl, true, "", false},
        {"method", Kind::kLiteral, false, "POST", false},
        {"headers", Kind::kTemplateMap, false, "", false},
        {"body", Kind::kAny, false, "", false},
        // Absent: the server's actions.timeout (default 10s).
        {"timeout", Kind::kDuration, false, "", false},
        {"success", Kind::kIntList, false, "", false},
    };
  }
  void ValidateAll(const Value& params, std::vector<ParamProblem>* problems) const override {
    static const char* kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    if (const Value* m = params.Find("method")) {
      if (std::none_of(std::begin(kMethods), std::end(kMethods),
                       [&](const char* k) { return m->as_string() == k; })) {
        problems->push_back({"method", "", "parameter 'method': unknown HTTP method '" +
                                               m->as_string() +
                                               "' (expected GET, POST, PUT, PATCH, DELETE or HEAD)"});
      }
    }
    if (const Value* h = params.Find("headers")) {
      std::map<std::string, std::string> seen;  // lower case -> as written
      for (const auto& [name, value] : h->as_object()) {
        bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        });
        if (!token) {
          problems->push_back(
              {"headers", name, "parameter 'headers': invalid header name '" + name + "'"});
          continue;
        }
        // SPEC: the url's scheme and host choose the destination, never event
        // data; the body's framing is the client's.
        const std::string lower = ToLowerUtf8(name);
        if (lower == "host" || lower == "content-length" || lower == "transfer-encoding" ||
            lower == "connection") {
          problems->push_back({"headers", name,
                               "parameter 'headers': '" + name +
                                   "' cannot be set (" +
                                   (lower == "host" ? "the url's host is the destination"
                                                    : "Switchboard frames the request itself") +
                                   ")"});
          continue;
        }
        if (auto [it, added] = seen.emplace(lower, name); !added) {
          problems->push_back({"headers", name, "parameter 'headers': '" + it->second + "' and '" +
                                                    name + "' are one header (header names "
                                                    "ignore case)"});
          continue;
        }
        // A line break written in the value would fail every firing.
        if (value.is_string() && value.as_string().find_first_of("\r\n") != std::string::npos) {
          problems->push_back({"headers", name,
                               "parameter 'headers': the value of '" + name +
                                   "' contains a line break"});
        }
      }
    }
    if (const Value* b = params.Find("body")) {
      if (!b->is_string() && !b->is_object() && !b->is_array()) {
        problems->push_back({"body", "", "parameter 'body' must be a string, or a mapping or "
                                         "list (sent as JSON), not " + b->ToJson()});
      }
    }
    if (const Value* s = params.Find("success")) {
      for (const Value& code : s->as_array()) {
        if (code.as_number() < 100 || code.as_number() > 599) {
          problems->push_back({"success", "", "parameter 'success': " + code.ToJson() +
                                                  " is not an HTTP status code"});
        }
      }
    }
  }
  Status CheckRendered(const Value& p) const override {
    if (const Value* h = p.Find("headers")) {
      std::string storage;
      for (const auto& [name, value] : h->as_object()) {
        if (RenderedText(&value, &storage).find_first_of("\r\n") != std::string_view::npos) {
          return Status::InvalidArgument("header '" + name +
                                         "' contains a line break after rendering");
        }
      }
    }
    return Status::OK();
  }
};

class Sqlite : public BuiltinActionType {
 public:
  std::vector<ParamSpec> params() const override {
    return {
        {"table", Kind::kLiteral, true, "", false},
        {"values", Kind::kTemplateMap, true, "", false},
        {"database", Kind::kPath, false, "", false},
    };
  }
  void ValidateAll(const Value& params, std::vector<ParamProblem>* problems) const override {
    if (const Value* t = params.Find("table")) {
      const std::string& table = t->as_string();
      if (IsReservedBySqlite(table)) {
        problems->push_back({"table", "", "parameter 'table': names starting with 'sqlite_' are "
                                          "reserved by SQLite"});
      } else if (!IsSqlIdentifier(table)) {
        problems->push_back({"table", "", "parameter 'table': '" + table +
                                              "' is not a valid SQL identifier (letters, digits, "
                                              "_; at most 64)"});
      } else if (ToLowerUtf8(table).rfind("switchboard_", 0) == 0) {  // SQL ignores case
        problems->push_back({"table", "", "parameter 'table': names starting with 'switchboard_' "
                                          "are reserved for the server's own tables"});
      }
    }
    const Value* values = params.Find("values");
    if (values == nullptr) return;
    if (values->as_object().empty()) {
      problems->push_back({"values", "", "parameter 'values' needs at least one column"});
    }
    std::map<std::string, std::string> seen;  // lower case -> as written
    for (const auto& [column, v] : values->as_object()) {
      const std::string lower = ToLowerUtf8(column);
      if (IsReservedBySqlite(column)) {
        problems->push_back({"values", column, "parameter 'values': column '" + column +
                                                   "': names starting with 'sqlite_' are "
                                                   "reserved by SQLite"});
      } else if (!IsSqlIdentifier(column)) {
        problems->push_back({"values", column, "parameter 'values': '" + column +
                                                   "' is not a valid SQL column name (letters, "
                                                   "digits, _; at most 64)"});
      } else if (lower == "id" || lower == "created_at") {
        problems->push_back({"values", column, "parameter 'values': column '" + column +
                                                   "' is filled in automatically"});
      } else if (auto [it, added] = seen.emplace(lower, column); !added) {
        problems->push_back({"values", column, "parameter 'values': columns '" + it->second +
                                                   "' and '" + column +
                                                   "' are one column (SQL names ignore case)"});
      }
    }
  }
};

class Log : public BuiltinActionType {
 public:
  std::vector<ParamSpec> params() const override {
    return {
        {"message", Kind::kTemplate, true, "", false},
        {"level", Kind::kLiteral, false, "info", false},
    };
  }
  void ValidateAll(const Value& params, std::vector<ParamProblem>* problems) const override {
    if (const Value* level = params.Find("level")) {
      const std::string& l = level->as_string();
      if (l != "debug" && l != "info" && l != "warning" && l != "warn" && l != "error") {
        problems->push_back({"level", "", "parameter 'level': '" + l +
                                              "' is not one of debug, info, warning (or warn), "
                                              "error"});
      }
    }
  }
};

}  // namespace

std::map<std::string, std::shared_ptr<const ActionType>, std::less<>> BuiltinActionTypes() {
  return {
      {"openphone.send_message", std::make_shared<SendMessage>()},
      {"http", std::make_shared<Http>()},
      {"sqlite", std::make_shared<Sqlite>()},
      {"log", std::make_shared<Log>()},
  };
}

}  // namespace switchboard
