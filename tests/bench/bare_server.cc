// The reference point of scripts/loadtest.sh: a bare Poco HTTP server with the same
// thread, queue and keep-alive settings as `switchboard serve` (server/http_server.cc
// with the ServerConfig defaults: 8 threads, queue 64, keep-alive, 1000 requests per
// connection), whose handler only reads the request body and answers 200 with a tiny
// JSON. No signature check, no JSON parse, no database, no rules: the throughput of
// this program is the ceiling of what Poco itself allows on this machine.
//
//   switchboard_bare_server [--port 8091] [--threads 8] [--queue 64]
//
// Listens on 127.0.0.1 only; stops on SIGINT/SIGTERM.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

class BareHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    // Read the body the same way the real server does (16 KiB chunks into a string).
    std::string body;
    std::istream& in = request.stream();
    char buffer[16384];
    while (in) {
      in.read(buffer, sizeof buffer);
      body.append(buffer, static_cast<size_t>(in.gcount()));
    }
    static const std::string kAnswer = "{\"status\":\"ok\"}";
    response.setStatus(HTTPResponse::HTTP_OK);
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(kAnswer.size()));
    response.send() << kAnswer;
  }
};

class BareFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new BareHandler;
  }
};

int IntArg(const char* text, const char* name) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0 || v > 65535) {
    std::cerr << "switchboard_bare_server: bad " << name << " '" << text << "'\n";
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 8091;
  int threads = 64;
  int queue = 64;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = IntArg(argv[++i], "port");
    } else if (a == "--threads" && i + 1 < argc) {
      threads = IntArg(argv[++i], "threads");
    } else if (a == "--queue" && i + 1 < argc) {
      queue = IntArg(argv[++i], "queue");
    } else {
      std::cerr << "usage: switchboard_bare_server [--port N] [--threads N] [--queue N]\n";
      return 2;
    }
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    // The same settings as HttpServer::Start() in server/http_server.cc.
    Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::ServerSocket socket(address, std::max(64, queue * 2));
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(threads);
    params->setMaxQueued(queue * 4);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(1000);
    params->setKeepAliveTimeout(Poco::Timespan(10, 0));
    params->setTimeout(Poco::Timespan(10, 0));
    Poco::ThreadPool pool(1, threads + 1);
    Poco::Net::HTTPServer server(new BareFactory, pool, socket, params);
    server.start();
    std::cerr << "switchboard_bare_server: listening on 127.0.0.1:" << socket.address().port()
              << " (" << threads << " threads)\n";
    int sig = 0;
    sigwait(&signals, &sig);
    server.stopAll(true);
    pool.joinAll();
  } catch (const Poco::Exception& e) {
    std::cerr << "switchboard_bare_server: " << e.displayText() << "\n";
    return 1;
  }
  return 0;
}
