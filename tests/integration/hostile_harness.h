// Shared by hostile_itest.cc and security_itest.cc: the real `switchboard serve` as a
// child process on loopback (like server_test.cc), an HTTP client, a raw-socket client
// for requests that HTTP clients refuse to send, and signed OpenPhone-like events.
#ifndef SWITCHBOARD_TESTS_INTEGRATION_HOSTILE_HARNESS_H_
#define SWITCHBOARD_TESTS_INTEGRATION_HOSTILE_HARNESS_H_

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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

namespace hostile {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using switchboard::Value;
using switchboard::server::ParseSigningKey;
using switchboard::server::SigningKey;
using switchboard::server::SignLegacy;
using switchboard::server::SignStandard;
using switchboard_test::FakeOpenPhone;
using switchboard_test::RecordedRequest;

inline const char kLegacyKeyText[] = "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=";
inline const char kLegacyKeyBytes[] = "switchboard-test-key-00000000001";
inline const char kWhsecText[] = "whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM=";
inline const char kWhsecBytes[] = "switchboard-beta-secret-32-bytes";
inline const char kWebhookPath[] = "/webhooks/openphone";

inline SigningKey Key(const char* text) {
  auto key = ParseSigningKey(text);
  if (!key.ok()) {
    ADD_FAILURE() << "bad test key: " << key.status().message();
    return {};
  }
  return *key;
}

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
  Value Json() const {
    auto v = Value::FromJson(body);
    return v.ok() ? *v : Value();
  }
};

inline std::ostream& operator<<(std::ostream& os, const HttpAnswer& a) {
  return os << "HTTP " << a.status << " " << a.body << (a.error.empty() ? "" : " error: " + a.error);
}

struct RequestOptions {
  std::string method = "POST";
  std::string target = "/";
  std::string body;
  Headers headers;
  std::string content_type = "application/json";
  bool chunked = false;
  int timeout_s = 15;
};

inline HttpAnswer Request(int port, const RequestOptions& o) {
  HttpAnswer a;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(o.timeout_s, 0));
    Poco::Net::HTTPRequest request(o.method, o.target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : o.headers) request.set(name, value);
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

// ---- raw sockets ----

// A plain TCP connection to 127.0.0.1:port that sends exactly the bytes given.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() { Close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }

  // False when the peer closed or reset the connection before everything was sent.
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until `want` complete HTTP responses have arrived, the peer closes, or
  // `timeout` passes. Returns everything read.
  std::string Read(size_t want, std::chrono::milliseconds timeout, bool* closed = nullptr);

  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct RawResponse {
  int status = 0;
  std::string head;
  std::string body;
};

// Splits `bytes` into complete HTTP responses (Content-Length bodies; a response
// without one takes the rest).
inline std::vector<RawResponse> ParseResponses(const std::string& bytes) {
  std::vector<RawResponse> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find("\r\n\r\n", pos);
    if (end == std::string::npos) break;
    RawResponse r;
    r.head = bytes.substr(pos, end - pos);
    if (r.head.rfind("HTTP/", 0) != 0) break;
    size_t sp = r.head.find(' ');
    r.status = sp == std::string::npos ? 0 : std::atoi(r.head.c_str() + sp + 1);
    std::string lower = r.head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t cl = lower.find("\ncontent-length:");
    size_t body_start = end + 4;
    if (cl != std::string::npos) {
      size_t n = static_cast<size_t>(std::atoll(lower.c_str() + cl + 16));
      if (body_start + n > bytes.size()) break;
      r.body = bytes.substr(body_start, n);
      pos = body_start + n;
    } else {
      r.body = bytes.substr(body_start);
      pos = bytes.size();
    }
    out.push_back(std::move(r));
  }
  return out;
}

inline std::string RawConnection::Read(size_t want, std::chrono::milliseconds timeout, bool* closed) {
  std::string data;
  if (closed) *closed = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (want > 0 && ParseResponses(data).size() >= want) return data;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return data;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0) return data;
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      return data;
    }
    data.append(buf, static_cast<size_t>(n));
  }
}

// ---- events ----

inline const char kCreatedAt[] = "2026-01-05T15:04:05.000Z";

// `text` is inserted verbatim into a JSON string: escape it first if needed.
inline std::string MessageEvent(const std::string& id, const std::string& contact,
                                const std::string& text = "hello there") {
  return std::string(R"({"id":")") + id +
         R"(","object":"event","apiVersion":"v4","createdAt":")" + kCreatedAt +
         R"(","type":"message.received","data":{"object":{"id":"AC)" + id +
         R"(","object":"message","from":")" + contact +
         R"(","to":["+15555550199"],"direction":"incoming","text":")" + text +
         R"(","status":"received","createdAt":")" + kCreatedAt +
         R"(","userId":"US1","phoneNumberId":"PN123","conversationId":"CN1"}}})";
}

inline std::string JsonEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

inline std::string Str(const Value* v) {
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

  void Signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  bool WaitExit(std::chrono::milliseconds timeout) {
    return WaitFor([&] { return !running(); }, timeout, 10ms);
  }
  int Stop(std::chrono::milliseconds grace = 10s) {
    if (pid_ <= 0) return exit_status_;
    Signal(SIGTERM);
    if (!WaitExit(grace)) Kill();
    return exit_status_;
  }
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

// ---- the fixture ----

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("switchboard-hs-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    api_ = std::make_unique<FakeOpenPhone>();
    port_ = FreePort();
    legacy_ = Key(kLegacyKeyText);
    whsec_ = Key(kWhsecText);
    WriteRules(kLogRule);
  }

  void TearDown() override {
    bool crashed = false;
    if (server_.running() == false && server_.signaled() != 0) crashed = true;
    server_.Kill();
    if (HasFailure() || crashed) {
      std::string log = ReadFile(log_path());
      if (log.size() > 6000) log = "...\n" + log.substr(log.size() - 6000);
      std::printf("---- server log (%s) ----\n%s\n---- end of server log ----\n",
                  log_path().c_str(), log.c_str());
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

  virtual void WriteConfig() {
    std::ostringstream c;
    c << "listen: 127.0.0.1:" << port_ << "\n"
      << "database: " << db_path().string() << "\n"
      << "rules: [" << (dir_ / "rules").string() << "]\n"
      << "server:\n  threads: " << threads_ << "\n  queue: " << queue_ << "\n"
      << "sources:\n  openphone:\n    path: " << kWebhookPath << "\n";
    if (signing_keys_) {
      c << "    signing_keys:\n"
        << "      - " << kLegacyKeyText << "\n"
        << "      - " << kWhsecText << "\n";
    }
    c << "    tolerance: 5m\n";
    if (!verify_) c << "    verify: false\n";
    c << "openphone:\n"
      << "  api_key: " << api_key_ << "\n"
      << "  api_base: " << api_->base_url() << "\n"
      << "  rate_limit: " << rate_limit_ << "\n"
      << "  per_contact_limit: " << per_contact_limit_ << "\n"
      << "actions:\n"
      << "  max_attempts: " << max_attempts_ << "\n"
      << "  backoff: { initial: 100ms, max: 1s }\n"
      << "  timeout: 5s\n"
      << "limits:\n  max_body: " << max_body_ << "\n"
      << "admin:\n  token: " << admin_token_ << "\n";
    WriteFileAtomically(config_path(), c.str());
  }

  void StartServer() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      WriteConfig();
      size_t log_before = fs::exists(log_path()) ? fs::file_size(log_path()) : 0;
      ASSERT_TRUE(server_.Spawn({"serve", "--config", config_path().string()}, log_path().string()));
      bool ready = WaitFor(
          [&] {
            if (!server_.running()) return true;
            return Get("/readyz").status == 200;
          },
          10s, 20ms);
      if (ready && server_.running()) return;
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
    RequestOptions o;
    o.method = "GET";
    o.target = target;
    o.headers = std::move(headers);
    o.timeout_s = 5;
    return Request(port_, o);
  }

  HttpAnswer Admin(const std::string& method, const std::string& target) {
    RequestOptions o;
    o.method = method;
    o.target = target;
    o.headers = {{"Authorization", "Bearer " + admin_token_}};
    return Request(port_, o);
  }

  Value AdminJson(const std::string& target) {
    HttpAnswer a = Admin("GET", target);
    if (a.status != 200) {
      ADD_FAILURE() << "GET " << target << ": " << a;
      return Value();
    }
    return a.Json();
  }

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

  Headers LegacyHeaders(const std::string& body) {
    return {{"openphone-signature", SignLegacy(legacy_, NowMs(), body)}};
  }
  HttpAnswer SendLegacy(const std::string& body) { return PostWebhook(body, LegacyHeaders(body)); }

  // The server still takes a real, signed event: 200 accepted.
  void ExpectStillServing(const std::string& context) {
    ASSERT_TRUE(server_.running()) << "the server died after: " << context
                                   << " (signal " << server_.signaled() << ")";
    std::string id = "EValive" + std::to_string(++alive_counter_) + "x" + std::to_string(NowMs());
    HttpAnswer a = SendLegacy(MessageEvent(id, "+15555550100"));
    ASSERT_EQ(a.status, 200) << "after: " << context << ": " << a;
    EXPECT_EQ(Str(a.Json().Find("status")), "accepted") << "after: " << context << ": " << a.body;
  }

  Value WaitSettled(const std::string& id, std::chrono::milliseconds timeout = 10s) {
    Value last;
    bool ok = WaitFor(
        [&] {
          HttpAnswer a = Admin("GET", "/api/events/" + id);
          if (a.status != 200) return false;
          last = a.Json();
          const Value* status = last.Find("status");
          if (!status || !status->is_string() || status->as_string() != "processed") return false;
          const Value* actions = last.Find("actions");
          if (!actions || !actions->is_array()) return false;
          for (const Value& action : actions->as_array()) {
            const Value* s = action.Find("status");
            if (!s || !s->is_string() || s->as_string() == "pending") return false;
          }
          return true;
        },
        timeout, 50ms);
    if (!ok) {
      ADD_FAILURE() << "event " << id << " did not settle; last seen: " << last.ToJson();
      return Value();
    }
    return last;
  }

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
  SigningKey legacy_, whsec_;
  int alive_counter_ = 0;
  int threads_ = 8;
  int queue_ = 64;
  bool signing_keys_ = true;
  bool verify_ = true;
  int max_attempts_ = 3;
  std::string max_body_ = "256KiB";
  std::string rate_limit_ = "1000/s";
  std::string per_contact_limit_ = "1000/h";
  std::string api_key_ = "test-key";
  std::string admin_token_ = "admin-token-0123456789abcdef";
};

}  // namespace hostile

#endif  // SWITCHBOARD_TESTS_INTEGRATION_HOSTILE_HARNESS_H_
