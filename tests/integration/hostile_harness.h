// Shared by hostile_itest.cc and security_itest.cc: the server harness of
// server_process.h (the real `switchboard serve` as a child process, an HTTP client,
// signed OpenPhone-like events, ServerFixture), plus a raw-socket client for requests
// that HTTP clients refuse to send.
#ifndef SWITCHBOARD_TESTS_INTEGRATION_HOSTILE_HARNESS_H_
#define SWITCHBOARD_TESTS_INTEGRATION_HOSTILE_HARNESS_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "server_process.h"

namespace hostile {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using switchboard::Value;
using switchboard::server::SignLegacy;
using switchboard::server::SignStandard;
using switchboard_test::FakeOpenPhone;
using switchboard_test::Headers;
using switchboard_test::HttpAnswer;
using switchboard_test::kLegacyKeyText;
using switchboard_test::kWebhookPath;
using switchboard_test::kWhsecText;
using switchboard_test::MessageEvent;
using switchboard_test::NowMs;
using switchboard_test::ReadFile;
using switchboard_test::RecordedRequest;
using switchboard_test::Request;
using switchboard_test::RequestOptions;
using switchboard_test::ServerFixture;
using switchboard_test::Str;
using switchboard_test::WaitFor;
using switchboard_test::WriteFileAtomically;

// The bytes behind kLegacyKeyText and kWhsecText: no log or answer may show them.
inline const char kLegacyKeyBytes[] = "switchboard-test-key-00000000001";
inline const char kWhsecBytes[] = "switchboard-beta-secret-32-bytes";

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

// ---- JSON ----

// `s` as the inside of a JSON string (for MessageEvent's `text`).
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

}  // namespace hostile

#endif  // SWITCHBOARD_TESTS_INTEGRATION_HOSTILE_HARNESS_H_
