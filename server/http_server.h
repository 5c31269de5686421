// The HTTP face of the server: the webhook endpoint, health, metrics and the
// admin API, on Poco's HTTPServer.
#ifndef SWITCHBOARD_SERVER_HTTP_SERVER_H_
#define SWITCHBOARD_SERVER_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "config.h"
#include "metrics.h"
#include "pipeline.h"
#include "store.h"

namespace switchboard {
namespace server {

// What the handlers share. Owned by the caller; must outlive the HttpServer.
struct AppContext {
  const ServerConfig* config = nullptr;
  Store* store = nullptr;
  Processor* processor = nullptr;
  Dispatcher* dispatcher = nullptr;
  Metrics* metrics = nullptr;
  // Reloads the rules; returns the load errors as text ("" on success).
  std::function<std::string()> reload;
};

class HttpServer {
 public:
  explicit HttpServer(AppContext* app);
  ~HttpServer();

  // Binds config.listen and starts serving. Fails when the address is taken.
  Status Start();
  // Stops accepting, lets requests in flight finish (up to a few seconds).
  void Stop();
  // The bound port (useful with port 0).
  int port() const;

  struct Rep;

 private:
  std::unique_ptr<Rep> rep_;
};

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_HTTP_SERVER_H_
