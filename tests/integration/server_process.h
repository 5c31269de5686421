// What every integration test that runs the real `switchboard serve` needs: small file,
// port and polling helpers, an HTTP client, signed OpenPhone-like events, the server as
// a child process (ServerProcess), its configuration (ServerConfig), read-only SQLite
// helpers, and ServerFixture, a test fixture with a temporary directory, a fake
// OpenPhone API and the server on a loopback port.
#ifndef SWITCHBOARD_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define SWITCHBOARD_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fake_openphone.h"
#include "signature.h"
#include "switchboard/value.h"

namespace switchboard_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFileAtomically(const fs::path& p, const std::string& text) {
  fs::path tmp = p;
  tmp += ".tmp";
  std::ofstream(tmp, std::ios::binary) << text;
  fs::rename(tmp, p);
}

// The end of a (server's) log, for failure messages.
inline std::string LogTail(const fs::path& log, size_t max = 8000) {
  std::string text = ReadFile(log);
  return text.size() > max ? "...\n" + text.substr(text.size() - max) : text;
}

// A port nobody listens on right now (bind to port 0, read it, close).
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// Polls `done` every `interval` until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                    std::chrono::milliseconds interval = 25ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// ---- HTTP client ----

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpAnswer {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  switchboard::Value Json() const {
    auto v = switchboard::Value::FromJson(body);
    return v.ok() ? *v : switchboard::Value();
  }
};

inline std::ostream& operator<<(std::ostream& os, const HttpAnswer& a) {
  return os << "HTTP " << a.status << " " << a.body
            << (a.error.empty() ? "" : " error: " + a.error);
}

struct RequestOptions {
  std::string method = "POST";
  std::string target = "/";
  std::string body;
  Headers headers;
  std::string content_type = "application/json";  // "": no Content-Type
  bool chunked = false;
  int timeout_s = 15;
};

// One request on a new connection to 127.0.0.1:port. Never throws.
inline HttpAnswer Request(int port, const RequestOptions& o) {
  HttpAnswer a;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(o.timeout_s, 0));
    Poco::Net::HTTPRequest request(o.method, o.target, Poco::Net::HTTPMessage::HTTP_1_1);
    // One field line each: a name given twice is sent on two lines.
    for (const auto& [name, value] : o.headers) request.add(name, value);
    bool has_body = o.method == "POST" || o.method == "PUT" || !o.body.empty();
    if (has_body) {
      if (!o.content_type.empty()) request.setContentType(o.content_type);
      if (o.chunked) {
        request.setChunkedTransferEncoding(true);
      } else {
        request.setContentLength64(static_cast<Poco::Int64>(o.body.size()));
      }
    }
    std::ostream& out = session.sendRequest(request);
    if (has_body) out << o.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    a.status = response.getStatus();
    for (const auto& [name, value] : response) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      a.headers[lower] = value;
    }
    std::ostringstream body;
    Poco::StreamCopier::copyStream(in, body);
    a.body = body.str();
  } catch (const Poco::Exception& e) {
    if (a.status == 0) a.error = e.displayText();
  } catch (const std::exception& e) {
    if (a.status == 0) a.error = e.what();
  }
  return a;
}

inline HttpAnswer Get(int port, const std::string& target, int timeout_s = 5,
                      Headers headers = {}) {
  RequestOptions o;
  o.method = "GET";
  o.target = target;
  o.headers = std::move(headers);
  o.timeout_s = timeout_s;
  return Request(port, o);
}

// A number from a Prometheus page: the first line that starts with `series` + " ".
inline bool MetricValue(const std::string& page, const std::string& series, double* out) {
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) {
      *out = std::stod(line.substr(series.size() + 1));
      return true;
    }
  }
  return false;
}

// ---- events and signing ----

// The secrets configured by default: a legacy base64 key and a Standard Webhooks secret,
// as in openphone/signatures.md.
inline const char kLegacyKeyText[] = "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=";
inline const char kWhsecText[] = "whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM=";
inline const char kAdminToken[] = "admin-token-0123456789abcdef";
inline const char kApiKey[] = "test-key";
inline const char kWebhookPath[] = "/webhooks/openphone";
inline const char kCreatedAt[] = "2026-01-05T15:04:05.000Z";

inline switchboard::server::SigningKey Key(const char* text) {
  auto key = switchboard::server::ParseSigningKey(text);
  if (!key.ok()) {
    ADD_FAILURE() << "bad test key: " << key.status().message();
    return {};
  }
  return *key;
}

// A v4 `message.received` from `contact` to the line PN123. `text` is inserted verbatim
// into a JSON string: escape it first if needed.
inline std::string MessageEvent(const std::string& id, const std::string& contact,
                                const std::string& text = "hello there") {
  return std::string(R"({"id":")") + id + R"(","object":"event","apiVersion":"v4","createdAt":")" +
         kCreatedAt + R"(","type":"message.received","data":{"object":{"id":"AC)" + id +
         R"(","object":"message","from":")" + contact +
         R"(","to":["+15555550199"],"direction":"incoming","text":")" + text +
         R"(","status":"received","createdAt":")" + kCreatedAt +
         R"(","userId":"US1","phoneNumberId":"PN123","conversationId":"CN1"}}})";
}

// One delivery attempt of a webhook, signed now (OpenPhone signs each attempt anew).
inline HttpAnswer PostSigned(int port, const switchboard::server::SigningKey& key,
                             const std::string& body, int timeout_s = 15) {
  RequestOptions o;
  o.target = kWebhookPath;
  o.body = body;
  o.headers = {{"openphone-signature", switchboard::server::SignLegacy(key, NowMs(), body)}};
  o.timeout_s = timeout_s;
  return Request(port, o);
}

// A string as is, anything else as JSON, "<absent>" for null: for assertions.
inline std::string Str(const switchboard::Value* v) {
  if (v == nullptr) return "<absent>";
  return v->is_string() ? v->as_string() : v->ToJson();
}

inline const char kLogRule[] = R"(version: 1
rules:
  - id: log-everything
    event: "*"
    actions:
      - log: { message: "event {{ facts.id }}" }
)";

// ---- the server process ----

class ServerProcess {
 public:
  ~ServerProcess() { Kill(); }

  // Starts SWITCHBOARD_BIN with `args`, stdout and stderr appended to `log`.
  bool Spawn(const std::vector<std::string>& args_in, const std::string& log) {
    std::vector<std::string> args = args_in;
    args.insert(args.begin(), SWITCHBOARD_BIN);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    long max_fd = std::min<long>(::sysconf(_SC_OPEN_MAX), 65536);
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      for (long i = 3; i < max_fd; ++i) ::close(static_cast<int>(i));
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    exit_status_ = -1;
    signaled_ = 0;
    return true;
  }
  // Starts `switchboard serve --config config`.
  bool Spawn(const std::string& config, const std::string& log) {
    return Spawn(std::vector<std::string>{"serve", "--config", config}, log);
  }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      Reap(status);
      return false;
    }
    return true;
  }
  pid_t pid() const { return pid_; }

  void Signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // Waits for the process to exit; true when it did within `timeout`.
  bool WaitExit(std::chrono::milliseconds timeout) {
    return WaitFor([&] { return !running(); }, timeout, 10ms);
  }

  // SIGTERM, then SIGKILL after `grace`. Returns the exit code (-1: killed by a signal).
  int Stop(std::chrono::milliseconds grace = 10s) {
    if (pid_ <= 0) return exit_status_;
    Signal(SIGTERM);
    if (!WaitExit(grace)) Kill();
    return exit_status_;
  }

  // SIGKILL (kill -9) and reap.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) Reap(status);
    pid_ = -1;
  }

  int exit_status() const { return exit_status_; }
  // The signal that ended the process (SIGSEGV, SIGABRT...), 0 if none.
  int signaled() const { return signaled_; }

 private:
  void Reap(int status) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    signaled_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    pid_ = -1;
  }
  pid_t pid_ = -1;
  int exit_status_ = -1;
  int signaled_ = 0;
};

// Polls GET /readyz (each try waiting up to `get_timeout_s`) until it answers 200 or
// `server` exits; true when the server is ready and still running.
inline bool WaitReady(ServerProcess& server, int port, std::chrono::milliseconds timeout,
                      std::chrono::milliseconds interval = 20ms, int get_timeout_s = 5) {
  return WaitFor(
             [&] { return !server.running() || Get(port, "/readyz", get_timeout_s).status == 200; },
             timeout, interval) &&
         server.running();
}

// ---- the configuration ----

// The tunable part of a test server's switchboard.yaml.
struct ServerConfig {
  int threads = 8;
  int queue = 64;
  std::string sync;  // Default: "" (not written: the server's default)
  // Default: the legacy key and the Standard Webhooks secret; none: no `signing_keys`.
  std::vector<std::string> signing_keys = {kLegacyKeyText, kWhsecText};
  bool verify = true;  // false writes `verify: false`
  std::string api_key = kApiKey;
  std::string rate_limit = "1000/s";
  std::string per_contact_limit = "1000/h";
  int max_attempts = 3;
  std::string backoff = "{ initial: 100ms, max: 1s }";
  std::string action_timeout = "5s";
  std::string max_age;  // actions.max_age. Default: "" (not written: the server's default)
  std::string max_body = "256KiB";  // "": no `limits` section
  std::string admin_token = kAdminToken;
  bool rules = true;  // false: no `rules` (the server's default: dir/rules too)

  // Writes dir/switchboard.yaml: listen on 127.0.0.1:port, database dir/switchboard.db,
  // rules from dir/rules, the OpenPhone API at `api_base`.
  void Write(const fs::path& dir, int port, const std::string& api_base) const {
    std::ostringstream c;
    c << "listen: 127.0.0.1:" << port << "\n"
      << "database: " << (dir / "switchboard.db").string() << "\n"
      << (rules ? "rules: [" + (dir / "rules").string() + "]\n" : std::string())
      << "server:\n  threads: " << threads << "\n  queue: " << queue << "\n";
    if (!sync.empty()) c << "  sync: " << sync << "\n";
    c << "sources:\n  openphone:\n    path: " << kWebhookPath << "\n";
    if (!signing_keys.empty()) {
      c << "    signing_keys:\n";
      for (const std::string& key : signing_keys) c << "      - " << key << "\n";
    }
    c << "    tolerance: 5m\n";
    if (!verify) c << "    verify: false\n";
    c << "openphone:\n"
      << "  api_key: " << api_key << "\n"
      << "  api_base: " << api_base << "\n"
      << "  rate_limit: " << rate_limit << "\n"
      << "  per_contact_limit: " << per_contact_limit << "\n"
      << "actions:\n"
      << "  max_attempts: " << max_attempts << "\n"
      << "  backoff: " << backoff << "\n"
      << "  timeout: " << action_timeout << "\n";
    if (!max_age.empty()) c << "  max_age: " << max_age << "\n";
    if (!max_body.empty()) c << "limits:\n  max_body: " << max_body << "\n";
    c << "admin:\n  token: " << admin_token << "\n";
    WriteFileAtomically(dir / "switchboard.yaml", c.str());
  }
};

// ---- SQLite, read-only ----

inline int64_t QueryInt(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    return -1;
  }
  int64_t v = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

inline std::vector<std::vector<std::string>> QueryRows(sqlite3* db, const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    return rows;
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* t = sqlite3_column_text(stmt, i);
      row.push_back(t ? reinterpret_cast<const char*>(t) : "<null>");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  return rows;
}

inline std::string IntegrityCheck(sqlite3* db) {
  auto rows = QueryRows(db, "PRAGMA integrity_check");
  std::string out;
  for (const auto& r : rows) out += (out.empty() ? "" : "; ") + (r.empty() ? "" : r[0]);
  return out;
}

// ---- the fixture ----

// One test, one server: a fresh directory (kept, and the server log printed, when the
// test fails or the server died of a signal), a fake OpenPhone API, rules that log every
// event, and `config_` to change before StartServer().
class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("switchboard-it-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    api_ = std::make_unique<FakeOpenPhone>();
    port_ = FreePort();
    legacy_ = Key(kLegacyKeyText);
    whsec_ = Key(kWhsecText);
    WriteRules(kLogRule);
  }

  void TearDown() override {
    bool crashed = !server_.running() && server_.signaled() != 0;
    server_.Kill();
    if (HasFailure() || crashed) {
      std::printf("---- server log (%s) ----\n%s\n---- end of server log ----\n",
                  log_path().c_str(), LogTail(log_path()).c_str());
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    api_.reset();
  }

  fs::path log_path() const { return dir_ / "server.log"; }
  fs::path db_path() const { return dir_ / "switchboard.db"; }
  fs::path rules_file() const { return dir_ / "rules" / "rules.yaml"; }
  fs::path config_path() const { return dir_ / "switchboard.yaml"; }

  void WriteRules(const std::string& text) { WriteFileAtomically(rules_file(), text); }
  void WriteConfig() { config_.Write(dir_, port_, api_->base_url()); }

  // Starts the server and waits for GET /readyz 200. A port taken in the meantime
  // by someone else gets one more try on a new port.
  void StartServer() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      WriteConfig();
      size_t log_before = fs::exists(log_path()) ? fs::file_size(log_path()) : 0;
      ASSERT_TRUE(server_.Spawn(config_path().string(), log_path().string()));
      if (WaitReady(server_, port_, 10s)) return;
      std::string log = ReadFile(log_path()).substr(log_before);
      server_.Kill();
      if (log.find("cannot listen") != std::string::npos) {
        port_ = FreePort();
        continue;
      }
      FAIL() << "the server did not become ready; its output:\n" << log;
    }
    FAIL() << "the server could not find a free port";
  }

  HttpAnswer Get(const std::string& target, Headers headers = {}) {
    return switchboard_test::Get(port_, target, 5, std::move(headers));
  }

  HttpAnswer Admin(const std::string& method, const std::string& target) {
    RequestOptions o;
    o.method = method;
    o.target = target;
    o.headers = {{"Authorization", "Bearer " + config_.admin_token}};
    return Request(port_, o);
  }

  switchboard::Value AdminJson(const std::string& target) {
    HttpAnswer a = Admin("GET", target);
    if (a.status != 200) {
      ADD_FAILURE() << "GET " << target << ": " << a;
      return switchboard::Value();
    }
    return a.Json();
  }

  // POSTs `body` to `target` (the webhook path) with the given headers.
  HttpAnswer PostWebhook(const std::string& body, Headers headers,
                         const std::string& content_type = "application/json", bool chunked = false,
                         const std::string& target = kWebhookPath) {
    RequestOptions o;
    o.target = target;
    o.body = body;
    o.headers = std::move(headers);
    o.content_type = content_type;
    o.chunked = chunked;
    return Request(port_, o);
  }

  Headers LegacyHeaders(const std::string& body, const switchboard::server::SigningKey& key,
                        int64_t ts_ms) {
    return {{"openphone-signature", switchboard::server::SignLegacy(key, ts_ms, body)}};
  }
  Headers LegacyHeaders(const std::string& body) { return LegacyHeaders(body, legacy_, NowMs()); }
  HttpAnswer SendLegacy(const std::string& body) { return PostWebhook(body, LegacyHeaders(body)); }

  // The server still takes a real, signed event: 200 accepted.
  void ExpectStillServing(const std::string& context) {
    ASSERT_TRUE(server_.running())
        << "the server died after: " << context << " (signal " << server_.signaled() << ")";
    std::string id = "EValive" + std::to_string(++alive_counter_) + "x" + std::to_string(NowMs());
    HttpAnswer a = SendLegacy(MessageEvent(id, "+15555550100"));
    ASSERT_EQ(a.status, 200) << "after: " << context << ": " << a;
    EXPECT_EQ(Str(a.Json().Find("status")), "accepted") << "after: " << context << ": " << a.body;
  }

  // GET /api/events/{id} once the event is processed and none of its actions is
  // pending any more; null when that does not happen within `timeout`.
  switchboard::Value WaitSettled(const std::string& id, std::chrono::milliseconds timeout = 10s) {
    switchboard::Value last;
    bool ok = WaitFor(
        [&] {
          HttpAnswer a = Admin("GET", "/api/events/" + id);
          if (a.status != 200) return false;
          last = a.Json();
          const switchboard::Value* status = last.Find("status");
          if (!status || !status->is_string() || status->as_string() != "processed") return false;
          const switchboard::Value* actions = last.Find("actions");
          if (!actions || !actions->is_array()) return false;
          for (const switchboard::Value& action : actions->as_array()) {
            const switchboard::Value* s = action.Find("status");
            if (!s || !s->is_string() || s->as_string() == "pending") return false;
          }
          return true;
        },
        timeout, 50ms);
    if (!ok) {
      ADD_FAILURE() << "event " << id << " did not settle; last seen: " << last.ToJson();
      return switchboard::Value();
    }
    return last;
  }

  // The requests the fake API got for POST /v1/messages.
  std::vector<RecordedRequest> Sends() {
    std::vector<RecordedRequest> out;
    for (RecordedRequest& r : api_->Requests()) {
      if (r.method == "POST" && r.path == "/v1/messages") out.push_back(std::move(r));
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<FakeOpenPhone> api_;
  ServerProcess server_;
  int port_ = 0;
  ServerConfig config_;
  switchboard::server::SigningKey legacy_, whsec_;

 private:
  int alive_counter_ = 0;
};

}  // namespace switchboard_test

#endif  // SWITCHBOARD_TESTS_INTEGRATION_SERVER_PROCESS_H_
