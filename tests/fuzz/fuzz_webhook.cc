// fuzz_webhook: the server's HTTP request handler, driven in memory.
//
// The handler class lives in an anonymous namespace in server/http_server.cc, so
// this file includes that source file: the Handler is then part of this
// translation unit and is driven with an in-memory Poco request and response.
// (This target therefore defines HttpServer's members itself; the linker takes
// them from here and never pulls http_server.cc.o out of libswitchboard_server.)
// The store is a real SqliteStore in a temporary directory; the processor and the
// dispatcher exist but are not started (and no rules are loaded: the handler
// only reads them for /readyz and the admin API).
//
// Input: an HTTP request as text, "\n" or "\r\n" line ends:
//   METHOD URI
//   Name: value        (headers, until an empty line)
//
//   body               (the rest)
// The header "x-fuzz-config: unsigned" selects a configuration with signature
// verification off (so that mutations of the body reach Event::Parse and the
// store); any other request is verified with fixed keys against the real clock.
#include "http_server.cc"  // NOLINT: on purpose, see above

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SocketAddress.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>


namespace {

using switchboard::server::AppContext;

constexpr size_t kMaxInput = 64 * 1024;
constexpr int kStoreResetEvery = 256;  // runs; keeps the inbox under its limit

class FakeResponse : public Poco::Net::HTTPServerResponse {
 public:
  void sendContinue() override {}
  std::ostream& send() override {
    if (sent_) __builtin_trap();  // a handler sends once
    sent_ = true;
    return out_;
  }
  void sendFile(const std::string&, const std::string&) override { sent_ = true; }
  void sendBuffer(const void*, std::size_t) override { sent_ = true; }
  void redirect(const std::string&, HTTPStatus) override { sent_ = true; }
  void requireAuthentication(const std::string&) override { sent_ = true; }
  bool sent() const override { return sent_; }
  std::string body() const { return out_.str(); }

 private:
  std::ostringstream out_;
  bool sent_ = false;
};

class FakeRequest : public Poco::Net::HTTPServerRequest {
 public:
  FakeRequest(FakeResponse* response, std::string body)
      : response_(response), body_(std::move(body)), params_(new Poco::Net::HTTPServerParams) {}
  std::istream& stream() override { return body_; }
  const Poco::Net::SocketAddress& clientAddress() const override { return address_; }
  const Poco::Net::SocketAddress& serverAddress() const override { return address_; }
  const Poco::Net::HTTPServerParams& serverParams() const override { return *params_; }
  Poco::Net::HTTPServerResponse& response() const override { return *response_; }
  bool secure() const override { return false; }

 private:
  FakeResponse* response_;
  std::istringstream body_;
  Poco::Net::SocketAddress address_{"127.0.0.1", 8080};
  Poco::Net::HTTPServerParams::Ptr params_;
};

struct World {
  std::string dir;
  std::string db;
  switchboard::server::ServerConfig signed_config;
  switchboard::server::ServerConfig unsigned_config;
  std::unique_ptr<switchboard::server::Store> store;
  switchboard::server::Metrics metrics;
  std::unique_ptr<switchboard::server::Processor> processor;
  std::unique_ptr<switchboard::server::Dispatcher> dispatcher;
  AppContext signed_app;
  AppContext unsigned_app;
  int runs = 0;

  World() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/fuzz_webhook.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) __builtin_trap();
    dir = pattern;
    db = dir + "/switchboard.db";
    for (const char* text : {"c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=",
                             "whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM="}) {
      auto key = switchboard::server::ParseSigningKey(text);
      if (!key.ok()) __builtin_trap();
      signed_config.sources.openphone.signing_keys.push_back(*key);
    }
    signed_config.limits.max_body = 8192;
    signed_config.admin.token = "fuzz-admin-token";
    unsigned_config = signed_config;
    unsigned_config.sources.openphone.verify = false;
    OpenStore();
  }
  ~World() {
    CloseStore();
    rmdir(dir.c_str());
  }

  void OpenStore() {
    switchboard::server::SqliteOptions options;
    options.path = db;
    auto opened = switchboard::server::OpenSqliteStore(options);
    if (!opened.ok()) {
      std::fprintf(stderr, "fuzz_webhook: %s\n", opened.status().message().c_str());
      __builtin_trap();
    }
    store = std::move(*opened);
    processor = std::make_unique<switchboard::server::Processor>(store.get(), &metrics);
    dispatcher = std::make_unique<switchboard::server::Dispatcher>(
        store.get(), &metrics, switchboard::server::DispatchOptions{});
    for (auto [app, config] : {std::pair{&signed_app, &signed_config},
                               std::pair{&unsigned_app, &unsigned_config}}) {
      app->config = config;
      app->store = store.get();
      app->processor = processor.get();
      app->dispatcher = dispatcher.get();
      app->metrics = &metrics;
      app->reload = [] { return std::string(); };
    }
  }
  void CloseStore() {
    dispatcher.reset();
    processor.reset();
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::remove((db + suffix).c_str());
    }
  }
  void MaybeReset() {
    if (++runs % kStoreResetEvery != 0) return;
    CloseStore();
    OpenStore();
  }
};

std::string_view NextLine(std::string_view* in) {
  size_t nl = in->find('\n');
  std::string_view line = in->substr(0, nl);
  in->remove_prefix(nl == std::string_view::npos ? in->size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  static World* world = new World;  // lives until exit (the store's thread too)
  static const int cleanup = std::atexit([] { delete world; });
  (void)cleanup;
  world->MaybeReset();

  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view request_line = NextLine(&in);
  size_t space = request_line.find(' ');
  std::string method(request_line.substr(0, space));
  std::string uri = space == std::string_view::npos
                        ? std::string("/webhooks/openphone")
                        : std::string(request_line.substr(space + 1));
  if (method.empty()) method = "POST";

  FakeResponse response;
  std::vector<std::pair<std::string, std::string>> headers;
  bool unsigned_config = false;
  while (!in.empty()) {
    std::string_view line = NextLine(&in);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "x-fuzz-config") {
      unsigned_config = value == "unsigned";
      continue;
    }
    headers.emplace_back(std::move(name), std::string(value));
  }
  FakeRequest request(&response, std::string(in));
  try {
    request.setMethod(method);
    request.setURI(uri);
    for (const auto& [name, value] : headers) request.add(name, value);
  } catch (const std::exception&) {
    return 0;  // Poco refused the request line or a header: never reaches the handler
  }

  Poco::Net::HTTPServer* no_server = nullptr;
  switchboard::server::Handler handler(
      unsigned_config ? &world->unsigned_app : &world->signed_app, &no_server);
  try {
    handler.handleRequest(request, response);
  } catch (const std::exception& e) {
    // Poco would catch it above the handler and drop the connection; still a bug.
    std::fprintf(stderr, "fuzz_webhook: exception escaped Handler::handleRequest: %s\n", e.what());
    __builtin_trap();
  }
  // Every request gets an answer.
  if (!response.sent()) __builtin_trap();
  static const bool print = std::getenv("FUZZ_WEBHOOK_PRINT") != nullptr;
  if (print) {
    std::fprintf(stderr, "fuzz_webhook: %d %s\n", static_cast<int>(response.getStatus()),
                 response.body().c_str());
  }
  return 0;
}
