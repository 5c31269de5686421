#include "http_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>

#include <chrono>

#include "log.h"
#include "signature.h"
#include "switchboard/event.h"
#include "time_format.h"

namespace switchboard {
namespace server {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// Seconds a client is asked to wait when we are overloaded or the database is busy.
constexpr int kRetryAfterSeconds = 2;
// Stands for an event's stored body while its answer is serialized (GetEvent).
constexpr char kPayloadMarker[] = "\x01switchboard stored payload\x01";
// How much of a refused request's body is read and dropped after the answer,
// and for how long at most.
constexpr int64_t kDrainLimit = 16 << 20;
constexpr std::chrono::milliseconds kDrainTime{3000};
// How long one read or write on a connection may wait.
constexpr int kRequestTimeoutSeconds = 5;

void SendJson(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
              const std::string& text) {
  response.setStatusAndReason(status);
  response.setContentType("application/json");
  response.setContentLength(static_cast<std::streamsize>(text.size()));
  // Flushed now: a refused request's body is drained after its answer is out.
  response.send() << text << std::flush;
}

void Send(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const Value& body) {
  SendJson(response, status, body.ToJson());
}

void SendError(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
               const std::string& message) {
  Value body{Value::Object()};
  body.Set("error", Value(message));
  Send(response, status, body);
}

void SendUnavailable(HTTPServerResponse& response, const std::string& message) {
  response.set("Retry-After", std::to_string(kRetryAfterSeconds));
  SendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, message);
}

// Reads and drops the rest of a refused request's body, after its answer was
// sent: most clients send the whole body before they read an answer (all that
// do not use Expect: 100-continue), and closing a connection with unread data
// resets it, losing the answer. Bounded in bytes (kDrainLimit) and time: each
// step takes what the stream holds, or else one receive (which waits at most
// the connection's read timeout), and none starts after kDrainTime, so a client
// that trickles bytes is cut off. (The socket's own timeout is not shortened:
// touching the socket from here races, for ThreadSanitizer, with Poco's release
// of it on the accepting thread.)
void DrainBody(HTTPServerRequest& request) {
  using std::chrono::steady_clock;
  const auto deadline = steady_clock::now() + kDrainTime;
  std::streambuf* body = request.stream().rdbuf();
  char buffer[16384];
  int64_t drained = 0;
  try {
    while (drained < kDrainLimit && steady_clock::now() < deadline) {
      const std::streamsize held = body->in_avail();
      const std::streamsize want =
          held > 0 ? std::min<std::streamsize>(held, sizeof buffer) : 1;  // 1: one receive
      const std::streamsize got = body->sgetn(buffer, want);
      if (got <= 0) break;  // the end of the body
      drained += got;
    }
  } catch (const std::exception&) {
    // A timeout or a reset: the connection is closed after the answer anyway.
  }
}

// The body's declared length: -1 for a chunked body; 0 with neither
// Content-Length nor chunked framing (RFC 9112 6.3: a request then has no body,
// although Poco would read one until the connection closes). False when the
// Content-Length header is not a length.
bool DeclaredLength(const HTTPServerRequest& request, int64_t* length) {
  *length = -1;
  if (request.getChunkedTransferEncoding()) return true;
  if (!request.hasContentLength()) {
    *length = 0;
    return true;
  }
  try {
    *length = request.getContentLength64();
  } catch (const Poco::SyntaxException&) {
    return false;
  }
  return *length >= 0;
}

// A Transfer-Encoding other than chunked (gzip, "gzip, chunked", identity):
// its body's framing is unknown, so it is neither read nor left on the
// connection to be read as the next request (RFC 9112 6.3: 400 and close).
bool UnknownTransferEncoding(const HTTPServerRequest& request) {
  return request.has("Transfer-Encoding") && !request.getChunkedTransferEncoding();
}

// Every field line of a header, joined with `separator` (RFC 9110 5.3: a
// header sent on several lines means their values as one list; a proxy may
// split a list into lines). "" when there is none.
std::string JoinedHeader(const HTTPServerRequest& request, const std::string& name,
                         const char* separator) {
  std::string joined;
  for (const auto& [field, value] : request) {
    if (Poco::icompare(field, name) != 0) continue;
    if (!joined.empty()) joined += separator;
    joined += value;
  }
  return joined;
}

enum class BodyRead { kComplete, kTooLarge, kTimedOut, kIncomplete };

// Reads the body, at most `limit` bytes. kTimedOut: a read waited the
// connection's read timeout; kIncomplete: the connection broke or ended before
// the `declared` length (-1: none) arrived. Only a kComplete body is whole.
BodyRead ReadBody(HTTPServerRequest& request, int64_t limit, int64_t declared, std::string* body) {
  std::istream& in = request.stream();
  // A failing read throws instead of looking like the end of the body.
  in.exceptions(std::ios::badbit);
  char buffer[16384];
  try {
    while (in) {
      in.read(buffer, sizeof buffer);
      body->append(buffer, static_cast<size_t>(in.gcount()));
      if (static_cast<int64_t>(body->size()) > limit) return BodyRead::kTooLarge;
    }
  } catch (const Poco::TimeoutException&) {
    return BodyRead::kTimedOut;
  } catch (const std::exception&) {
    return BodyRead::kIncomplete;
  }
  if (declared >= 0 && static_cast<int64_t>(body->size()) != declared) return BodyRead::kIncomplete;
  return BodyRead::kComplete;
}

bool IsJsonContentType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json" ||
         (type.rfind("application/", 0) == 0 && type.size() > 5 &&
          type.compare(type.size() - 5, 5, "+json") == 0);
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Value ActionToValue(const StoredAction& a) {
  Value v{Value::Object()};
  v.Set("id", Value(static_cast<double>(a.id)));
  v.Set("event_id", Value(a.event_id));
  v.Set("rule", Value(a.rule_id));
  v.Set("index", Value(a.index));
  v.Set("type", Value(a.type));
  auto params = Value::FromJson(a.redacted_params);
  v.Set("params", params.ok() ? *params : Value());
  v.Set("status", Value(a.status));
  v.Set("attempts", Value(a.attempts));
  if (a.status == "pending") v.Set("next_attempt_at", Value(FormatMs(a.next_attempt_ms)));
  v.Set("last_error", Value(a.last_error));
  v.Set("created_at", Value(FormatMs(a.created_ms)));
  v.Set("updated_at", Value(FormatMs(a.updated_ms)));
  return v;
}

Value EventSummary(const StoredEvent& e) {
  Value v{Value::Object()};
  v.Set("id", Value(e.id));
  v.Set("type", Value(e.type));
  v.Set("status", Value(e.status));
  v.Set("received_at", Value(FormatMs(e.received_ms)));
  return v;
}

// The path of a request target as sent (still percent-encoded), for origin
// form ("/a/b?q") and absolute form ("http://host/a/b?q") alike.
std::string RawPath(const std::string& target) {
  size_t begin = 0;
  if (target.empty() || target[0] != '/') {
    const size_t scheme = target.find("://");
    begin = target.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (begin == std::string::npos) return "/";
  }
  const size_t end = target.find_first_of("?#", begin);
  return target.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(AppContext* app, Poco::Net::HTTPServer** server) : app_(app), server_(server) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    auto start = std::chrono::steady_clock::now();
    bool webhook = false;
    try {
      Poco::URI uri(request.getURI());
      webhook = uri.getPath() == app_->config->sources.openphone.path;
      // No endpoint but the webhook reads a body, and Poco does not skip an
      // unread one: on a kept connection its bytes would be read as the next
      // request (a request smuggled inside another's body). Such a request is
      // answered, its body drained, and its connection closed.
      int64_t declared = -1;
      const bool unread_body =
          !webhook && (request.getChunkedTransferEncoding() || UnknownTransferEncoding(request) ||
                       !DeclaredLength(request, &declared) || declared > 0);
      if (unread_body) {
        request.setKeepAlive(false);
        response.setKeepAlive(false);
      }
      Route(request, response, uri);
      if (unread_body) DrainBody(request);
    } catch (const Poco::SyntaxException&) {
      if (!response.sent()) SendError(response, HTTPResponse::HTTP_BAD_REQUEST, "malformed request target");
    } catch (const std::exception& e) {
      LogError(std::string("request failed: ") + e.what());
      if (!response.sent()) SendError(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error");
    }
    if (webhook) {
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      app_->metrics->ObserveRequest(took.count());
    }
  }

 private:
  void Route(HTTPServerRequest& request, HTTPServerResponse& response, const Poco::URI& uri) {
    const std::string& path = uri.getPath();
    const ServerConfig& config = *app_->config;
    if (path == config.sources.openphone.path) return Webhook(request, response);
    if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
      // SPEC: GET (HEAD too, as for any GET resource); another method is
      // answered 405, as the webhook and the admin API answer one.
      using Poco::Net::HTTPRequest;
      const std::string& method = request.getMethod();
      if (method != HTTPRequest::HTTP_GET && method != HTTPRequest::HTTP_HEAD) {
        response.set("Allow", "GET, HEAD");
        return SendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                         "use GET for this endpoint");
      }
    }
    if (path == "/healthz") {
      Value ok{Value::Object()};
      ok.Set("status", Value("ok"));
      return Send(response, HTTPResponse::HTTP_OK, ok);
    }
    if (path == "/readyz") return Ready(response);
    if (path == "/metrics") return MetricsPage(response);
    if (path.rfind("/api/", 0) == 0) return Admin(request, response, uri);
    SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such endpoint");
  }

  void Webhook(HTTPServerRequest& request, HTTPServerResponse& response) {
    const ServerConfig& config = *app_->config;
    // A request refused before its body was read: answer and close.
    auto refuse = [&](HTTPResponse::HTTPStatus status, const std::string& outcome,
                      const std::string& message) {
      app_->metrics->CountEvent("", outcome);
      request.setKeepAlive(false);
      response.setKeepAlive(false);
      SendError(response, status, message);
    };
    // The same, draining the body after the answer.
    auto reject = [&](HTTPResponse::HTTPStatus status, const std::string& outcome,
                      const std::string& message) {
      refuse(status, outcome, message);
      DrainBody(request);
    };
    if (request.getMethod() != "POST") {
      response.set("Allow", "POST");
      return reject(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                    "use POST for webhooks");
    }
    // Overload: too many connections wait for a thread. Answer at once rather
    // than let the accept queue drop connections silently.
    if (*server_ != nullptr && (*server_)->queuedConnections() >= config.server.queue) {
      app_->metrics->CountEvent("", "unavailable");
      request.setKeepAlive(false);
      response.setKeepAlive(false);
      // No drain: no thread to spare while overloaded.
      return SendUnavailable(response, "overloaded, retry later");
    }
    if (!IsJsonContentType(request.getContentType())) {
      return reject(HTTPResponse::HTTP_UNSUPPORTEDMEDIATYPE, "unsupported_media_type",
                    "content type must be application/json");
    }
    if (UnknownTransferEncoding(request)) {
      return refuse(HTTPResponse::HTTP_BAD_REQUEST, "bad_request",
                    "unsupported Transfer-Encoding (only chunked)");
    }
    int64_t declared = -1;
    if (!DeclaredLength(request, &declared)) {
      return refuse(HTTPResponse::HTTP_BAD_REQUEST, "bad_request", "invalid Content-Length");
    }
    const std::string too_large =
        "body larger than " + std::to_string(config.limits.max_body) + " bytes";
    if (declared > config.limits.max_body) {
      return reject(HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", too_large);
    }
    // Poco 1.11 reads malformed or cut-off chunk framing as the end of the body,
    // without an error: such a body fails the signature check or the parse, but
    // what follows it on the connection must not be read as the next request.
    // A chunked request's connection is closed after its answer.
    if (request.getChunkedTransferEncoding()) {
      request.setKeepAlive(false);
      response.setKeepAlive(false);
    }
    std::string body;
    const BodyRead read = declared == 0 ? BodyRead::kComplete
                                        : ReadBody(request, config.limits.max_body, declared, &body);
    switch (read) {
      case BodyRead::kComplete:
        break;
      case BodyRead::kTooLarge:
        return reject(HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", too_large);
      // A body that did not arrive whole is never verified or parsed; the
      // connection is closed rather than kept for another request.
      case BodyRead::kTimedOut:
        return refuse(HTTPResponse::HTTP_REQUEST_TIMEOUT, "bad_request",
                      "the body stalled for " + std::to_string(kRequestTimeoutSeconds) + " s");
      case BodyRead::kIncomplete:
        return refuse(HTTPResponse::HTTP_BAD_REQUEST, "bad_request",
                      "the body is incomplete or malformed");
    }
    if (config.sources.openphone.verify) {
      SignatureHeaders headers;
      // Both signature headers are lists: of entries (legacy, comma-separated)
      // and of signatures (Standard Webhooks, space-separated).
      headers.openphone_signature = JoinedHeader(request, "openphone-signature", ",");
      headers.webhook_id = request.get("webhook-id", "");
      headers.webhook_timestamp = request.get("webhook-timestamp", "");
      headers.webhook_signature = JoinedHeader(request, "webhook-signature", " ");
      std::string reason;
      Verdict verdict = config.sources.openphone.signing_keys.empty()
                            ? Verdict::kBadSignature
                            : Verify(headers, body, config.sources.openphone.signing_keys, NowMs(),
                                     config.sources.openphone.tolerance.count(), &reason);
      if (config.sources.openphone.signing_keys.empty()) reason = "no signing key is configured";
      if (verdict != Verdict::kOk) {
        // The caller learns only the verdict; the details (which header, how
        // many keys) go to the log for the operator.
        app_->metrics->CountEvent("", "unauthorized");
        LogWarning(std::string("webhook refused with 401: signature ") + VerdictName(verdict) +
                   (reason.empty() ? "" : " (" + reason + ")"));
        return SendError(response, HTTPResponse::HTTP_UNAUTHORIZED,
                         std::string("signature ") + VerdictName(verdict));
      }
    }
    auto event = Event::Parse(body);
    if (!event.ok() && event.status().code() == StatusCode::kUnavailable) {
      // Memory ran out: no fault of the event, which the sender retries.
      LogWarning("webhook answered 503: " + event.status().message());
      app_->metrics->CountEvent("", "unavailable");
      return SendUnavailable(response, event.status().message());
    }
    if (!event.ok()) {
      app_->metrics->CountEvent("", "bad_request");
      return SendError(response, HTTPResponse::HTTP_BAD_REQUEST, event.status().message());
    }
    auto id = event->Get("id");
    auto type = event->Get("type");
    if (!id || !id->is_string() || id->as_string().empty() || !type || !type->is_string() ||
        type->as_string().empty()) {
      app_->metrics->CountEvent("", "bad_request");
      return SendError(response, HTTPResponse::HTTP_BAD_REQUEST,
                       "the event needs a string 'id' and a string 'type'");
    }
    if (id->as_string().size() > 256) {
      app_->metrics->CountEvent("", "bad_request");
      return SendError(response, HTTPResponse::HTTP_BAD_REQUEST, "'id' is longer than 256 bytes");
    }
    // Stored, listed and counted under facts.type, the type rules match on:
    // a legacy `callSummary` is a call.summary.completed.
    const std::string canonical_type(event->type());
    auto accepted = app_->processor->Accept(id->as_string(), canonical_type, body, *event, NowMs());
    if (!accepted.ok()) {
      app_->metrics->CountEvent(canonical_type, "unavailable");
      LogWarning("webhook refused with 503: " + accepted.status().message());
      return SendUnavailable(response, accepted.status().code() == StatusCode::kUnavailable
                                           ? accepted.status().message()
                                           : "database unavailable");
    }
    bool duplicate = *accepted == AcceptOutcome::kDuplicate;
    app_->metrics->CountEvent(canonical_type, duplicate ? "duplicate" : "accepted");
    Value answer{Value::Object()};
    answer.Set("status", Value(duplicate ? "duplicate" : "accepted"));
    answer.Set("id", *id);
    Send(response, HTTPResponse::HTTP_OK, answer);
  }

  void Ready(HTTPServerResponse& response) {
    Status db = app_->store->Ping();
    bool rules = app_->processor->rules() != nullptr;
    Value body{Value::Object()};
    body.Set("database", Value(db.ok() ? "ok" : db.message()));
    body.Set("rules", Value(rules ? "loaded" : "not loaded"));
    if (db.ok() && rules) {
      body.Set("status", Value("ready"));
      return Send(response, HTTPResponse::HTTP_OK, body);
    }
    body.Set("status", Value("not ready"));
    response.set("Retry-After", std::to_string(kRetryAfterSeconds));
    Send(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, body);
  }

  void MetricsPage(HTTPServerResponse& response) {
    Metrics::Gauges gauges;
    auto depths = app_->store->Depths();
    if (depths.ok()) {
      gauges.inbox_depth = depths->pending_events;
      gauges.outbox_depth = depths->pending_actions;
      gauges.dead_letters = depths->dead_actions;
    }
    std::string text = app_->metrics->Render(gauges);
    response.setStatusAndReason(HTTPResponse::HTTP_OK);
    response.setContentType("text/plain; version=0.0.4; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.send() << text;
  }

  // ---- admin API ----

  void Admin(HTTPServerRequest& request, HTTPServerResponse& response, const Poco::URI& uri) {
    const std::string& token = app_->config->admin.token;
    if (token.empty()) {
      return SendError(response, HTTPResponse::HTTP_NOT_FOUND,
                       "the admin API is disabled (set admin.token)");
    }
    for (const auto& [name, value] : uri.getQueryParameters()) {
      if (name == "token" || name == "access_token" || name == "api_key") {
        return SendError(response, HTTPResponse::HTTP_UNAUTHORIZED,
                         "tokens are accepted only in the Authorization header");
      }
    }
    // RFC 7235: the scheme name is case-insensitive ("bearer" works too).
    const std::string auth = request.get("Authorization", "");
    const std::string prefix = "bearer ";
    if (auth.size() < prefix.size() ||
        Poco::icompare(auth.substr(0, prefix.size()), prefix) != 0 ||
        !ConstantTimeEquals(auth.substr(prefix.size()), token)) {
      response.set("WWW-Authenticate", "Bearer");
      return SendError(response, HTTPResponse::HTTP_UNAUTHORIZED, "missing or wrong bearer token");
    }
    // Split the path as sent, then decode each segment once: an event id may
    // hold "%" or "/" (sent as %25 and %2F).
    std::vector<std::string> parts;
    // Routed here on the decoded path; an API path is spelt out ("/%61pi/" is not).
    const std::string raw_path = RawPath(request.getURI());
    if (raw_path.rfind("/api/", 0) != 0) {
      return SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such admin endpoint");
    }
    const std::string path = raw_path.substr(5);
    for (size_t start = 0; start <= path.size();) {
      size_t slash = path.find('/', start);
      if (slash == std::string::npos) slash = path.size();
      std::string raw = path.substr(start, slash - start);
      std::string decoded;
      Poco::URI::decode(raw, decoded);
      if (!decoded.empty()) parts.push_back(decoded);
      start = slash + 1;
    }
    const std::string& method = request.getMethod();
    auto query = uri.getQueryParameters();
    auto param = [&](const std::string& name) -> std::string {
      for (const auto& [k, v] : query) {
        if (k == name) return v;
      }
      return "";
    };
    // Each endpoint answers one method; another gets 405 with Allow.
    auto allowed = [&](const char* expected) {
      if (method == expected) return true;
      response.set("Allow", expected);
      SendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                std::string("use ") + expected + " for this endpoint");
      return false;
    };
    if (parts.size() == 1 && parts[0] == "events") {
      if (!allowed("GET")) return;
      return ListEvents(response, param("type"), param("since"), param("until"), param("limit"));
    }
    if (parts.size() == 2 && parts[0] == "events") {
      if (!allowed("GET")) return;
      return GetEvent(response, parts[1]);
    }
    if (parts.size() == 3 && parts[0] == "events" && parts[2] == "replay") {
      if (!allowed("POST")) return;
      return Replay(response, parts[1]);
    }
    if (parts.size() == 1 && parts[0] == "actions") {
      if (!allowed("GET")) return;
      return ListActions(response, param("status"), param("limit"));
    }
    if (parts.size() == 3 && parts[0] == "actions" && parts[2] == "retry") {
      if (!allowed("POST")) return;
      return RetryAction(response, parts[1]);
    }
    if (parts.size() == 1 && parts[0] == "rules") {
      if (!allowed("GET")) return;
      return ListRules(response);
    }
    if (parts.size() == 2 && parts[0] == "rules" && parts[1] == "reload") {
      if (!allowed("POST")) return;
      return ReloadRules(response);
    }
    SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such admin endpoint");
  }

  bool ParseTimeParam(const std::string& text, int64_t* out, HTTPServerResponse& response) {
    if (text.empty()) return true;
    int64_t ms = 0;
    if (!ParseIsoMs(text, &ms)) {
      SendError(response, HTTPResponse::HTTP_BAD_REQUEST, "invalid time '" + text + "' (ISO 8601)");
      return false;
    }
    *out = ms;
    return true;
  }

  // `limit`: absent means 100; 1 to 1000 are taken, more is 1000; anything else
  // (not a whole number, 0) is answered 400, as a bad time or status is.
  static bool ParseLimit(const std::string& text, int* limit, HTTPServerResponse& response) {
    if (text.empty()) {
      *limit = 100;
      return true;
    }
    if (text.find_first_not_of("0123456789") != std::string::npos ||
        text.find_first_not_of('0') == std::string::npos) {
      SendError(response, HTTPResponse::HTTP_BAD_REQUEST,
                "invalid limit '" + text + "' (a whole number from 1 to 1000)");
      return false;
    }
    *limit = text.size() > 4 ? 1000 : std::min(1000, std::stoi(text));
    return true;
  }

  void ListEvents(HTTPServerResponse& response, const std::string& type, const std::string& since,
                  const std::string& until, const std::string& limit) {
    EventQuery q;
    q.type = type;
    if (!ParseLimit(limit, &q.limit, response) || !ParseTimeParam(since, &q.since_ms, response) ||
        !ParseTimeParam(until, &q.until_ms, response)) {
      return;
    }
    auto events = app_->store->ListEvents(q);
    if (!events.ok()) return SendUnavailable(response, events.status().message());
    Value::Array list;
    for (const StoredEvent& e : *events) list.push_back(EventSummary(e));
    Value body{Value::Object()};
    body.Set("events", Value(std::move(list)));
    Send(response, HTTPResponse::HTTP_OK, body);
  }

  void GetEvent(HTTPServerResponse& response, const std::string& id) {
    auto found = app_->store->GetEvent(id);
    if (!found.ok()) return SendUnavailable(response, found.status().message());
    if (!found->has_value()) return SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such event");
    const StoredEvent& e = **found;
    Value body = EventSummary(e);
    auto event = Event::Parse(e.body);
    // The payload is the stored body itself (a JSON object, as its parse
    // says), spliced in below: SPEC, the raw document is kept untouched, and a
    // copy through Value would not be (a number beyond a double's range becomes
    // a string, 1.10 becomes 1.1).
    const bool raw_payload = event.ok();
    body.Set("payload", raw_payload ? Value(kPayloadMarker) : Value(e.body));
    if (event.ok()) body.Set("facts", event->FactsAsValue());
    auto trace = Value::FromJson(e.trace);
    body.Set("trace", trace.ok() ? *trace : Value());
    auto actions = app_->store->ActionsForEvent(id);
    Value::Array list;
    if (actions.ok()) {
      for (const StoredAction& a : *actions) list.push_back(ActionToValue(a));
    }
    body.Set("actions", Value(std::move(list)));
    std::string json = body.ToJson();
    if (raw_payload) {
      // A string's quotes are escaped inside other values: this is the key's.
      const std::string marker = "\"payload\":" + Value(kPayloadMarker).ToJson();
      const size_t at = json.find(marker);
      if (at != std::string::npos) {
        json.replace(at, marker.size(), "\"payload\":" + e.body);
      }
    }
    SendJson(response, HTTPResponse::HTTP_OK, json);
  }

  void Replay(HTTPServerResponse& response, const std::string& id) {
    auto found = app_->store->GetEvent(id);
    if (!found.ok()) return SendUnavailable(response, found.status().message());
    if (!found->has_value()) return SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such event");
    Status s = app_->store->MarkPending(id);
    if (!s.ok()) return SendUnavailable(response, s.message());
    app_->processor->Replayed(id);
    Value body{Value::Object()};
    body.Set("status", Value("queued"));
    body.Set("id", Value(id));
    Send(response, HTTPResponse::HTTP_ACCEPTED, body);
  }

  void ListActions(HTTPServerResponse& response, const std::string& status, const std::string& limit) {
    if (!status.empty() && status != "pending" && status != "done" && status != "dead") {
      return SendError(response, HTTPResponse::HTTP_BAD_REQUEST,
                       "status must be pending, done or dead");
    }
    int max = 0;
    if (!ParseLimit(limit, &max, response)) return;
    auto actions = app_->store->ListActions(status, max);
    if (!actions.ok()) return SendUnavailable(response, actions.status().message());
    Value::Array list;
    for (const StoredAction& a : *actions) list.push_back(ActionToValue(a));
    Value body{Value::Object()};
    body.Set("actions", Value(std::move(list)));
    Send(response, HTTPResponse::HTTP_OK, body);
  }

  void RetryAction(HTTPServerResponse& response, const std::string& id_text) {
    if (id_text.empty() || id_text.size() > 18 ||
        id_text.find_first_not_of("0123456789") != std::string::npos) {
      return SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such action");
    }
    int64_t id = std::stoll(id_text);
    auto found = app_->store->GetAction(id);
    if (!found.ok()) return SendUnavailable(response, found.status().message());
    if (!found->has_value()) return SendError(response, HTTPResponse::HTTP_NOT_FOUND, "no such action");
    if ((*found)->status != "dead") {
      return SendError(response, HTTPResponse::HTTP_CONFLICT,
                       "only dead-lettered actions can be retried (this one is " + (*found)->status + ")");
    }
    Status s = app_->store->RequeueAction(id, NowMs());
    if (!s.ok()) return SendUnavailable(response, s.message());
    app_->dispatcher->Notify();
    Value body{Value::Object()};
    body.Set("status", Value("queued"));
    body.Set("id", Value(static_cast<double>(id)));
    Send(response, HTTPResponse::HTTP_ACCEPTED, body);
  }

  void ListRules(HTTPServerResponse& response) {
    auto rules = app_->processor->rules();
    Value::Array list;
    if (rules) {
      for (const RuleInfo& r : rules->rules()) {
        Value v{Value::Object()};
        v.Set("id", Value(r.id));
        v.Set("description", Value(r.description));
        v.Set("file", Value(r.file));
        v.Set("line", Value(r.line));
        Value::Array events;
        for (const auto& e : r.events) events.push_back(Value(e));
        v.Set("events", Value(std::move(events)));
        v.Set("priority", Value(r.priority));
        v.Set("enabled", Value(r.enabled));
        v.Set("stop", Value(r.stop));
        list.push_back(std::move(v));
      }
    }
    Value body{Value::Object()};
    body.Set("rules", Value(std::move(list)));
    Send(response, HTTPResponse::HTTP_OK, body);
  }

  void ReloadRules(HTTPServerResponse& response) {
    std::string errors = app_->reload();
    if (!errors.empty()) {
      Value body{Value::Object()};
      body.Set("status", Value("failed"));
      body.Set("error", Value(errors));
      return Send(response, HTTPResponse::HTTP_UNPROCESSABLE_ENTITY, body);
    }
    Value body{Value::Object()};
    body.Set("status", Value("reloaded"));
    auto rules = app_->processor->rules();
    body.Set("rules", Value(static_cast<int>(rules ? rules->rules().size() : 0)));
    Send(response, HTTPResponse::HTTP_OK, body);
  }

  AppContext* app_;
  Poco::Net::HTTPServer** server_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(AppContext* app, Poco::Net::HTTPServer** server) : app_(app), server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(app_, server_);
  }

 private:
  AppContext* app_;
  Poco::Net::HTTPServer** server_;
};

}  // namespace

struct HttpServer::Rep {
  AppContext* app;
  std::unique_ptr<Poco::ThreadPool> pool;
  Poco::Net::HTTPServer* server = nullptr;
  Poco::Net::ServerSocket socket;  // the server's, shared: closed by Stop
  int port = 0;
};

HttpServer::HttpServer(AppContext* app) : rep_(std::make_unique<Rep>()) { rep_->app = app; }

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  const ServerConfig& config = *rep_->app->config;
  try {
    Poco::Net::SocketAddress address(config.listen.host, static_cast<Poco::UInt16>(config.listen.port));
    // Not ServerSocket(address, backlog): that sets SO_REUSEPORT, and a second
    // server started on the same port would then share its connections with
    // this one (another database, another key) instead of failing to start.
    Poco::Net::ServerSocket socket;
    socket.bind(address, /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(/*backlog=*/std::max(64, config.server.queue * 2));
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(config.server.threads);
    // Poco drops connections beyond this queue silently; the webhook handler
    // answers 503 itself well before it fills (at server.queue).
    params->setMaxQueued(config.server.queue * 4);
    params->setKeepAlive(config.server.keep_alive);
    params->setMaxKeepAliveRequests(1000);
    params->setKeepAliveTimeout(Poco::Timespan(10, 0));
    // A client that stalls mid-request holds its thread until a read times
    // out: keep that short. (Many stalled clients are a reverse proxy's job:
    // nginx and Caddy buffer a request before they pass it on.)
    params->setTimeout(Poco::Timespan(kRequestTimeoutSeconds, 0));
    rep_->pool = std::make_unique<Poco::ThreadPool>(1, config.server.threads + 1);
    rep_->server = new Poco::Net::HTTPServer(new Factory(rep_->app, &rep_->server), *rep_->pool,
                                             socket, params);
    rep_->server->start();
    rep_->socket = socket;
    rep_->port = socket.address().port();
  } catch (const Poco::Exception& e) {
    return Status::Unavailable("cannot listen on " + config.listen.ToString() + ": " + e.displayText());
  }
  return Status::OK();
}

void HttpServer::Stop() {
  if (rep_->server == nullptr) return;
  // First the acceptor alone (stopAll waits for every request in flight, a
  // stalled one up to its timeout), then the socket: Poco keeps it listening
  // until the server is deleted, and new clients would connect, wait out the
  // drain and be reset. Closed now, they are refused at once (and go to
  // another instance, or retry).
  rep_->server->stop();
  rep_->socket.close();
  rep_->server->stopAll(false);
  // Requests in flight finish (each bounded by the socket timeouts).
  for (int i = 0; i < 100 && rep_->server->currentConnections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // What is left after that is a client that stalls in the middle of a request
  // (each read may wait the socket timeout): closed now, so that a stop takes a
  // few seconds at most.
  rep_->server->stopAll(true);
  Poco::Net::HTTPServer* server = rep_->server;
  rep_->server = nullptr;
  delete server;
  rep_->pool->joinAll();
}

int HttpServer::port() const { return rep_->port; }

}  // namespace server
}  // namespace switchboard
