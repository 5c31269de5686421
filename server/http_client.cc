#include "http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>
#include <strings.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace switchboard {
namespace server {

namespace {

constexpr size_t kMaxResponseBody = 1 << 20;

Poco::Net::Context::Ptr ClientContext() {
  static std::once_flag once;
  static Poco::Net::Context::Ptr context;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                     Poco::Net::Context::VERIFY_RELAXED, 9,
                                     /*loadDefaultCAs=*/true);
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
  });
  return context;
}

// Ends an attempt that outlives its deadline. Poco's timeouts bound each
// socket operation, so a receiver that sends a byte now and then (its headers
// or its body) would hold the attempt, and the dispatcher thread, for as long
// as it likes. From Arm() on, a thread waits for the deadline and then shuts
// the socket down (the system call, which is safe beside a blocked read; not
// SSL_shutdown, which is not): the read fails and the attempt is a timeout.
// It works on a duplicate of the descriptor, which stays open until the
// watchdog is gone: Poco may close the session's own on an error meanwhile,
// and the number could then belong to another connection.
class Deadline {
 public:
  explicit Deadline(std::chrono::steady_clock::time_point at) : at_(at) {}
  ~Deadline() { Disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void Arm(int fd) {
    fd_ = ::dup(fd);
    if (fd_ < 0) return;  // no watchdog: the per-read timeouts still hold
    watchdog_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, at_, [this] { return done_; })) {
        expired_ = true;
        ::shutdown(fd_, SHUT_RDWR);
      }
    });
  }
  void Disarm() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool expired() {
    std::lock_guard<std::mutex> lock(mu_);
    return expired_;
  }

 private:
  const std::chrono::steady_clock::time_point at_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool expired_ = false;
  int fd_ = -1;
  std::thread watchdog_;
};

}  // namespace

std::string RawTarget(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t path = url.find_first_of("/?#", start);
  if (path == std::string::npos) return "/";
  std::string target = url.substr(path);
  size_t fragment = target.find('#');
  if (fragment != std::string::npos) target.resize(fragment);
  if (target.empty() || target[0] != '/') target.insert(0, "/");
  return target;
}

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

HttpResponse SendHttp(const HttpRequest& request) {
  HttpResponse response;
  // Declared before the deadline, so that the watchdog is gone before the
  // socket is closed (its descriptor could otherwise be another one's by then).
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  // The timeout is the whole attempt's, from the connection to the last byte.
  Deadline deadline(std::chrono::steady_clock::now() + request.timeout);
  try {
    Poco::URI uri(request.url);
    if (uri.getScheme() == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                ClientContext());
    } else if (uri.getScheme() == "http") {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    } else {
      response.error = "unsupported URL scheme '" + uri.getScheme() + "'";
      return response;
    }
    Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(request.timeout.count()) * 1000);
    session->setTimeout(timeout, timeout, timeout);
    // The request target is sent exactly as rendered: Poco::URI decodes the
    // path, which would turn a percent-encoded "/" from a template back into a
    // path separator.
    std::string target = RawTarget(request.url);
    Poco::Net::HTTPRequest http(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    http.setHost(uri.getHost(), uri.getPort());
    for (const auto& [name, value] : request.headers) http.set(name, value);
    bool has_body = !request.body.empty() || request.method == "POST" ||
                    request.method == "PUT" || request.method == "PATCH";
    if (has_body) http.setContentLength(static_cast<std::streamsize>(request.body.size()));
    std::ostream& out = session->sendRequest(http);  // connects
    deadline.Arm(session->socket().impl()->sockfd());
    if (has_body) out << request.body;
    // A receiver that refuses a request before reading all of its body (a 413
    // for a body far over its limit) closes the connection: the write above then
    // fails quietly, the reset usually discards the refusal, and reading the
    // answer fails with the write's error ("Broken pipe"), which says nothing.
    const bool body_sent = out.good();
    Poco::Net::HTTPResponse answer;
    std::istream* answer_body = nullptr;
    try {
      answer_body = &session->receiveResponse(answer);
    } catch (const Poco::TimeoutException&) {
      throw;  // a slow receiver, reported as a timeout below
    } catch (const Poco::Exception& e) {
      if (body_sent) throw;
      response.status = 0;
      response.error = "the connection was closed before the whole body (" +
                       std::to_string(request.body.size()) + " bytes) was sent (" +
                       e.displayText() + "): the receiver may refuse a body that large";
      return response;
    }
    std::istream& in = *answer_body;
    response.status = static_cast<int>(answer.getStatus());
    for (const auto& [name, value] : answer) response.headers.emplace_back(name, value);
    char buffer[8192];
    while (in && response.body.size() < kMaxResponseBody) {
      in.read(buffer, sizeof buffer);
      response.body.append(buffer, static_cast<size_t>(in.gcount()));
    }
    if (response.body.size() > kMaxResponseBody) response.body.resize(kMaxResponseBody);
  } catch (const Poco::TimeoutException& e) {
    response.status = 0;
    response.error = "timeout: " + e.displayText();
  } catch (const Poco::Exception& e) {
    response.status = 0;
    response.error = e.displayText();
  } catch (const std::exception& e) {
    response.status = 0;
    response.error = e.what();
  }
  deadline.Disarm();
  if (deadline.expired()) {  // whatever the read that was cut short made of it
    response.status = 0;
    response.error = "timeout: no complete answer within " +
                     std::to_string(request.timeout.count()) + " ms";
  }
  return response;
}

}  // namespace server
}  // namespace switchboard
