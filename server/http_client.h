// A small blocking HTTP(S) client over Poco, used by the action executors.
// TLS verifies certificates against the system CAs; an invalid certificate is
// rejected, never asked about on the console.
#ifndef SWITCHBOARD_SERVER_HTTP_CLIENT_H_
#define SWITCHBOARD_SERVER_HTTP_CLIENT_H_

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace switchboard {
namespace server {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
};

struct HttpResponse {
  int status = 0;       // 0 when no answer came (see error)
  std::string error;    // network error, timeout, TLS failure
  std::string body;     // at most 1 MiB is kept
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of a header (case-insensitive name), or "".
  std::string Header(const std::string& name) const;
};

// The request target of `url` as written: path and query, without the fragment;
// "/" when there is no path. Nothing is decoded or re-encoded.
std::string RawTarget(const std::string& url);

// Sends one request; never throws.
HttpResponse SendHttp(const HttpRequest& request);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_HTTP_CLIENT_H_
