#include "executors.h"

#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>

#include <strings.h>

#include <chrono>

#include "http_client.h"
#include "log.h"
#include "store.h"

namespace switchboard {
namespace server {

namespace {

std::string Text(const Value& params, const char* name) {
  const Value* v = params.Find(name);
  return v ? v->ToText() : "";
}

// "HTTP 400: A2P Registration Not Approved (code 0206400)" from an OpenPhone
// error body; the body's first 200 bytes for anything else.
std::string DescribeFailure(const HttpResponse& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  auto body = Value::FromJson(r.body);
  if (body.ok() && body->is_object()) {
    const Value* message = body->Find("message");
    const Value* code = body->Find("code");
    if (message && message->is_string()) out += ": " + message->as_string();
    if (code && !code->is_null()) out += " (code " + code->ToText() + ")";
    return out;
  }
  if (!r.body.empty()) out += ": " + r.body.substr(0, 200);
  return out;
}

ExecResult Classify(const HttpResponse& r, bool success) {
  if (r.status == 0) return ExecResult::Retry(r.error.empty() ? "no answer" : r.error);
  if (success) return ExecResult::Ok();
  std::string error = DescribeFailure(r);
  if (IsRetryableStatus(r.status)) {
    return ExecResult::Retry(error,
                             ParseRetryAfter(r.Header("Retry-After"), std::chrono::system_clock::now()));
  }
  return ExecResult::Permanent(error);
}

ExecResult SendMessage(const ExecutorOptions& options, const Value& params) {
  if (options.api_key.empty()) {
    return ExecResult::Permanent("openphone.api_key is not configured");
  }
  Value body{Value::Object()};
  body.Set("content", Value(Text(params, "content")));
  body.Set("from", Value(Text(params, "from")));
  body.Set("to", Value(Value::Array{Value(Text(params, "to"))}));
  if (std::string user = Text(params, "user_id"); !user.empty()) body.Set("userId", Value(user));
  if (std::string status = Text(params, "set_inbox_status"); !status.empty()) {
    body.Set("setInboxStatus", Value(status));
  }
  HttpRequest request;
  request.method = "POST";
  std::string base = options.api_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + "/v1/messages";
  request.headers = {{"Authorization", options.api_key},
                     {"Content-Type", "application/json"},
                     {"Accept", "application/json"}};
  request.body = body.ToJson();
  request.timeout = options.timeout;
  HttpResponse r = SendHttp(request);
  return Classify(r, r.status >= 200 && r.status < 300);
}

ExecResult Http(const ExecutorOptions& options, const Value& params) {
  HttpRequest request;
  request.url = Text(params, "url");
  request.method = params.Find("method") ? Text(params, "method") : "POST";
  request.timeout = options.timeout;
  if (const Value* t = params.Find("timeout"); t && t->is_number()) {
    request.timeout = std::chrono::milliseconds(static_cast<int64_t>(t->as_number() * 1000));
  }
  bool has_content_type = false;
  if (const Value* headers = params.Find("headers"); headers && headers->is_object()) {
    for (const auto& [name, value] : headers->as_object()) {
      std::string text = value.ToText();
      if (text.find_first_of("\r\n") != std::string::npos) {
        return ExecResult::Permanent("header '" + name + "' contains a line break");
      }
      if (strcasecmp(name.c_str(), "content-type") == 0) has_content_type = true;
      request.headers.emplace_back(name, text);
    }
  }
  if (const Value* body = params.Find("body")) {
    if (body->is_object() || body->is_array()) {
      request.body = body->ToJson();
      if (!has_content_type) request.headers.emplace_back("Content-Type", "application/json");
    } else {
      request.body = body->ToText();
    }
  }
  HttpResponse r = SendHttp(request);
  bool success = r.status >= 200 && r.status < 300;
  if (const Value* codes = params.Find("success"); codes && codes->is_array() && r.status != 0) {
    success = false;
    for (const Value& code : codes->as_array()) {
      if (code.is_number() && static_cast<int>(code.as_number()) == r.status) success = true;
    }
  }
  return Classify(r, success);
}

ExecResult SqliteFile(const ExecutorOptions& options, const Value& params) {
  SqlInsert row;
  row.table = Text(params, "table");
  if (const Value* values = params.Find("values"); values && values->is_object()) {
    for (const auto& [column, value] : values->as_object()) row.values.emplace_back(column, value.ToText());
  }
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  Status s = InsertIntoSqliteFile(Text(params, "database"), row, now, options.busy_timeout_ms);
  if (s.ok()) return ExecResult::Ok();
  if (s.code() == StatusCode::kUnavailable) return ExecResult::Retry(s.message());
  return ExecResult::Permanent(s.message());
}

}  // namespace

bool IsRetryableStatus(int status) { return status == 408 || status == 429 || status >= 500; }

std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value,
                                                         std::chrono::system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string::npos && value.size() < 10) {
    return std::chrono::seconds(std::stol(value));
  }
  try {
    int tz = 0;
    Poco::DateTime when = Poco::DateTimeParser::parse(value, tz);
    auto at = std::chrono::system_clock::from_time_t(when.timestamp().epochTime() - tz);
    auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
    return delta.count() > 0 ? delta : std::chrono::milliseconds(0);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

ExecResult ExecuteAction(const ExecutorOptions& options, const std::string& type,
                         const Value& params, const Value& redacted) {
  if (type == "openphone.send_message") return SendMessage(options, params);
  if (type == "http") return Http(options, params);
  if (type == "sqlite") return SqliteFile(options, params);
  if (type == "log") {
    // SPEC: one line in the server log, whatever the rendered message holds.
    Log(ParseLogLevel(Text(params, "level")), "rule log: " + OneLine(Text(redacted, "message")));
    return ExecResult::Ok();
  }
  return ExecResult::Permanent("no executor for action type '" + type + "'");
}

}  // namespace server
}  // namespace switchboard
