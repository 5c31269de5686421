// A fake OpenPhone API for the server integration tests: a real Poco HTTP server on
// 127.0.0.1 (an ephemeral port) that records every request and answers from a scripted
// queue, then with a default `202` once the queue is empty.
//
//   FakeOpenPhone api;
//   api.Script({FakeOpenPhone::Status(500), FakeOpenPhone::Accepted()});
//   ... point openphone.api_base at api.base_url() ...
//   ASSERT_TRUE(api.WaitForCount(2, std::chrono::seconds(10)));
#ifndef SWITCHBOARD_TESTS_INTEGRATION_FAKE_OPENPHONE_H_
#define SWITCHBOARD_TESTS_INTEGRATION_FAKE_OPENPHONE_H_

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace switchboard_test {

struct RecordedRequest {
  std::string method;
  std::string path;                            // the request target, with any query
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::chrono::steady_clock::time_point at;    // when the request arrived

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ScriptedResponse {
  int status = 202;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // before the answer
  std::chrono::milliseconds drip{0};   // after each byte of the body: a slow receiver
};

class FakeOpenPhone {
 public:
  FakeOpenPhone() : pool_(2, 32) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 128);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), pool_, socket, params);
    server_->start();
  }
  ~FakeOpenPhone() {
    server_->stopAll(true);
    server_.reset();
    pool_.joinAll();
  }
  FakeOpenPhone(const FakeOpenPhone&) = delete;
  FakeOpenPhone& operator=(const FakeOpenPhone&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The usual success answer of POST /v1/messages.
  static ScriptedResponse Accepted() {
    ScriptedResponse r;
    r.status = 202;
    r.body =
        R"({"data":{"id":"AC0000000000000000000000000","to":["+15555550100"],"from":"+15555550199",)"
        R"("text":"ok","phoneNumberId":"PN123","direction":"outgoing","userId":"US1",)"
        R"("status":"queued","createdAt":"2026-01-05T15:04:05.000Z","updatedAt":"2026-01-05T15:04:05.000Z"}})";
    r.headers = {{"Content-Type", "application/json"}};
    return r;
  }
  // A bare status, e.g. Status(500).
  static ScriptedResponse Status(int status, std::string body = "") {
    ScriptedResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  // An OpenPhone error document {message, code, status, ...}.
  static ScriptedResponse Error(int status, const std::string& message, const std::string& code) {
    ScriptedResponse r;
    r.status = status;
    r.body = R"({"message":")" + message + R"(","code":")" + code + R"(","status":)" +
             std::to_string(status) + R"(,"docs":"https://openphone.com/docs","title":")" +
             message + R"(","description":")" + message + R"(","errors":[]})";
    r.headers = {{"Content-Type", "application/json"}};
    return r;
  }

  // Appends answers to the queue; each request takes the first one.
  void Script(std::vector<ScriptedResponse> responses) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : responses) script_.push_back(std::move(r));
  }

  std::vector<RecordedRequest> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t Count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  // Waits until at least `n` requests have been recorded.
  bool WaitForCount(size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(FakeOpenPhone* owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      RecordedRequest r;
      r.at = std::chrono::steady_clock::now();
      r.method = request.getMethod();
      r.path = request.getURI();
      for (const auto& [name, value] : request) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        r.headers[lower] = value;
      }
      std::ostringstream body;
      Poco::StreamCopier::copyStream(request.stream(), body);
      r.body = body.str();
      ScriptedResponse answer = owner_->Record(std::move(r));
      if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
      for (const auto& [name, value] : answer.headers) response.set(name, value);
      response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
      std::ostream& out = response.send();
      if (answer.drip.count() == 0) {
        out << answer.body;
        return;
      }
      for (char c : answer.body) {  // stops when the client has hung up
        out << c << std::flush;
        if (!out) return;
        std::this_thread::sleep_for(answer.drip);
      }
    }

   private:
    FakeOpenPhone* owner_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(FakeOpenPhone* owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    FakeOpenPhone* owner_;
  };

  ScriptedResponse Record(RecordedRequest r) {
    ScriptedResponse answer = Accepted();
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(std::move(r));
      if (!script_.empty()) {
        answer = std::move(script_.front());
        script_.pop_front();
      }
    }
    cv_.notify_all();
    return answer;
  }

  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<RecordedRequest> requests_;
  std::deque<ScriptedResponse> script_;
};

}  // namespace switchboard_test

#endif  // SWITCHBOARD_TESTS_INTEGRATION_FAKE_OPENPHONE_H_
