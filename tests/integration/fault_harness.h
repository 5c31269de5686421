// Shared pieces of the fault-injection and crash tests (faults_itest.cc,
// crash_ledger_itest.cc): the real `switchboard serve` binary as a child process, a
// webhook client that signs like OpenPhone, a raw-socket fake HTTP endpoint that can
// answer, answer late, hang past the client's timeout or drop the connection without
// answering, and read-only SQLite helpers for the ledger checks.
//
// The raw-socket fake (not Poco's HTTPServer) is deliberate: "close without answering"
// and "hang, then close" must be exactly that on the wire.
#ifndef SWITCHBOARD_TESTS_INTEGRATION_FAULT_HARNESS_H_
#define SWITCHBOARD_TESTS_INTEGRATION_FAULT_HARNESS_H_

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "signature.h"

namespace switchboard_fault {

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

// FNV-1a: a hash that is the same in every build, so that a seed reproduces a run.
inline uint64_t StableHash(const std::string& s, uint64_t seed = 1469598103934665603ull) {
  uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return h;
}

// ---- HTTP client ----

struct HttpAnswer {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
};

inline HttpAnswer Request(int port, const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          int timeout_s = 15) {
  HttpAnswer a;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(timeout_s, 0));
    Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.set(name, value);
    bool has_body = method == "POST" || !body.empty();
    if (has_body) {
      request.setContentType("application/json");
      request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    std::ostream& out = session.sendRequest(request);
    if (has_body) out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    a.status = response.getStatus();
    for (const auto& [name, value] : response) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      a.headers[lower] = value;
    }
    std::ostringstream text;
    Poco::StreamCopier::copyStream(in, text);
    a.body = text.str();
  } catch (const Poco::Exception& e) {
    if (a.status == 0) a.error = e.displayText();
  } catch (const std::exception& e) {
    if (a.status == 0) a.error = e.what();
  }
  return a;
}

inline HttpAnswer Get(int port, const std::string& target, int timeout_s = 5) {
  return Request(port, "GET", target, "", {}, timeout_s);
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

const char kLegacyKeyText[] = "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=";
const char kAdminToken[] = "admin-token-0123456789abcdef";
const char kApiKey[] = "test-key";
const char kWebhookPath[] = "/webhooks/openphone";
const char kCreatedAt[] = "2026-01-05T15:04:05.000Z";

inline switchboard::server::SigningKey LegacyKey() {
  auto key = switchboard::server::ParseSigningKey(kLegacyKeyText);
  if (!key.ok()) {
    ADD_FAILURE() << "bad test key";
    return {};
  }
  return *key;
}

// A v4 `message.received` from `contact` to the line PN123.
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

// One delivery attempt of a webhook, signed now (OpenPhone signs each attempt anew).
inline HttpAnswer PostSigned(int port, const switchboard::server::SigningKey& key,
                             const std::string& body, int timeout_s = 15) {
  return Request(port, "POST", kWebhookPath, body,
                 {{"openphone-signature", switchboard::server::SignLegacy(key, NowMs(), body)}},
                 timeout_s);
}

// ---- the server process ----

class ServerProcess {
 public:
  ~ServerProcess() { Kill(); }

  bool Spawn(const std::string& config, const std::string& log) {
    std::string bin = SWITCHBOARD_BIN;
    std::vector<std::string> args = {bin, "serve", "--config", config};
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
  pid_t pid() const { return pid_; }

  int Stop(std::chrono::milliseconds grace = 15s) {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    if (!WaitFor([&] { return !running(); }, grace, 10ms)) Kill();
    return exit_status_;
  }

  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) Reap(status);
    pid_ = -1;
  }

 private:
  void Reap(int status) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid_ = -1;
  }
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

// ---- a fake HTTP endpoint with injectable faults ----

struct FakeRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct FakeReply {
  enum class Kind { kAnswer, kDrop, kHang };
  Kind kind = Kind::kAnswer;
  int status = 202;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int delay_ms = 0;  // kAnswer: wait before answering; kHang: how long to hold, then close

  static FakeReply Answer(int status, std::string body = "", int delay_ms = 0) {
    FakeReply r;
    r.status = status;
    r.body = std::move(body);
    r.delay_ms = delay_ms;
    return r;
  }
  static FakeReply Drop() {
    FakeReply r;
    r.kind = Kind::kDrop;
    return r;
  }
  static FakeReply Hang(int ms) {
    FakeReply r;
    r.kind = Kind::kHang;
    r.delay_ms = ms;
    return r;
  }
};

struct FakeHit {
  FakeRequest request;
  std::string key;      // policy key: path + "\n" + body (one per action, same on every retry)
  int nth = 0;          // 0 for the first request with this key
  FakeReply::Kind kind = FakeReply::Kind::kAnswer;
  int status = 0;       // answered status (kAnswer)
  bool success = false; // a 2xx was written completely
  std::chrono::steady_clock::time_point at;  // when the request was read
};

class FaultyHttp {
 public:
  // Decides the reply for the `nth` request (0-based) carrying `key`.
  using Policy = std::function<FakeReply(const FakeRequest&, int nth)>;

  explicit FaultyHttp(Policy policy) : policy_(std::move(policy)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 256);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~FaultyHttp() {
    stopping_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    ::close(listen_fd_);
    while (active_.load() > 0) std::this_thread::sleep_for(5ms);
  }
  FaultyHttp(const FaultyHttp&) = delete;
  FaultyHttp& operator=(const FaultyHttp&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<FakeHit> Hits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  size_t Count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_.size();
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++active_;
      std::thread([this, fd] {
        Serve(fd);
        --active_;
      }).detach();
    }
  }

  // Reads with a deadline; false on EOF, error or timeout.
  bool ReadSome(int fd, std::string* buf, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[8192];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf->append(chunk, static_cast<size_t>(n));
    return true;
  }

  static bool WriteAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  void SleepUnlessStopping(int ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  }

  void Serve(int fd) {
    std::string buf;
    size_t header_end = std::string::npos;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (stopping_ || buf.size() > (1 << 20) || !ReadSome(fd, &buf, 5000)) {
        ::close(fd);
        return;
      }
    }
    FakeRequest req;
    std::istringstream head(buf.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    {
      std::istringstream first(line);
      first >> req.method >> req.path;
    }
    size_t content_length = 0;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      req.headers[name] = value;
      if (name == "content-length") content_length = std::stoul(value);
    }
    req.body = buf.substr(header_end + 4);
    while (req.body.size() < content_length) {
      if (stopping_ || !ReadSome(fd, &req.body, 5000)) {
        ::close(fd);
        return;
      }
    }
    FakeHit hit;
    hit.request = req;
    hit.key = req.path + "\n" + req.body;
    hit.at = std::chrono::steady_clock::now();
    size_t index;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hit.nth = seen_[hit.key]++;
      index = hits_.size();
      hits_.push_back(hit);
    }
    FakeReply reply = policy_(req, hit.nth);
    bool success = false;
    int status = 0;
    switch (reply.kind) {
      case FakeReply::Kind::kDrop:
        break;  // close without a single byte of answer
      case FakeReply::Kind::kHang:
        SleepUnlessStopping(reply.delay_ms);
        break;  // then close, still without answering
      case FakeReply::Kind::kAnswer: {
        if (reply.delay_ms > 0) SleepUnlessStopping(reply.delay_ms);
        std::ostringstream out;
        out << "HTTP/1.1 " << reply.status << " Fake\r\n"
            << "Content-Length: " << reply.body.size() << "\r\n"
            << "Connection: close\r\n";
        for (const auto& [name, value] : reply.headers) out << name << ": " << value << "\r\n";
        out << "\r\n" << reply.body;
        status = reply.status;
        success = WriteAll(fd, out.str()) && status >= 200 && status < 300;
        break;
      }
    }
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    std::lock_guard<std::mutex> lock(mu_);
    hits_[index].kind = reply.kind;
    hits_[index].status = status;
    hits_[index].success = success;
  }

  Policy policy_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::atomic<int> active_{0};
  std::vector<FakeHit> hits_;
  std::map<std::string, int> seen_;
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

// The server's log, tail only, for failure messages.
inline std::string LogTail(const fs::path& log, size_t max = 8000) {
  std::string text = ReadFile(log);
  return text.size() > max ? "...\n" + text.substr(text.size() - max) : text;
}

}  // namespace switchboard_fault

#endif  // SWITCHBOARD_TESTS_INTEGRATION_FAULT_HARNESS_H_
