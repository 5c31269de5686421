// Shared pieces of the fault-injection and crash tests (faults_itest.cc,
// crash_ledger_itest.cc), on top of the server harness of server_process.h (the real
// `switchboard serve` binary as a child process, a webhook client that signs like
// OpenPhone, read-only SQLite helpers for the ledger checks): a raw-socket fake HTTP
// endpoint that can answer, answer late, hang past the client's timeout or drop the
// connection without answering, and the fixture both tests start from.
//
// The raw-socket fake (not Poco's HTTPServer) is deliberate: "close without answering"
// and "hang, then close" must be exactly that on the wire.
#ifndef SWITCHBOARD_TESTS_INTEGRATION_FAULT_HARNESS_H_
#define SWITCHBOARD_TESTS_INTEGRATION_FAULT_HARNESS_H_

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server_process.h"

namespace switchboard_fault {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using switchboard_test::FreePort;
using switchboard_test::Get;
using switchboard_test::HttpAnswer;
using switchboard_test::IntegrityCheck;
using switchboard_test::Key;
using switchboard_test::kLegacyKeyText;
using switchboard_test::LogTail;
using switchboard_test::MessageEvent;
using switchboard_test::MetricValue;
using switchboard_test::PostSigned;
using switchboard_test::QueryInt;
using switchboard_test::QueryRows;
using switchboard_test::ServerConfig;
using switchboard_test::ServerProcess;
using switchboard_test::WaitFor;
using switchboard_test::WaitReady;
using switchboard_test::WriteFileAtomically;

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

// ---- the fixture ----

// The server of a ledger test in its own directory (removed after a pass; the server's
// log is printed after a failure). The test writes dir_/rules and the configuration.
class LedgerFixture : public ::testing::Test {
 protected:
  // `dir_prefix` + the process id names the directory under the temporary directory.
  explicit LedgerFixture(std::string dir_prefix) : dir_prefix_(std::move(dir_prefix)) {}

  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    dir_ = fs::temp_directory_path() / (dir_prefix_ + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    port_ = FreePort();
  }
  void TearDown() override {
    server_.Kill();
    if (HasFailure()) {
      std::printf("---- server log (%s) ----\n%s\n---- end of server log ----\n",
                  (dir_ / "server.log").c_str(), LogTail(dir_ / "server.log").c_str());
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  fs::path db_path() const { return dir_ / "switchboard.db"; }

  // What the ledger tests' configurations share: the legacy key only, short backoffs,
  // no body limit.
  static ServerConfig LedgerConfig() {
    ServerConfig c;
    c.signing_keys = {kLegacyKeyText};
    c.backoff = "{ initial: 50ms, max: 500ms }";
    c.max_body = "";
    return c;
  }

  fs::path dir_;
  int port_ = 0;
  ServerProcess server_;

 private:
  std::string dir_prefix_;
};

}  // namespace switchboard_fault

#endif  // SWITCHBOARD_TESTS_INTEGRATION_FAULT_HARNESS_H_
