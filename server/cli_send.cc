// `switchboard send FILE --url URL [--key KEY]`: posts an event signed the way
// OpenPhone signs it, to try a running server (or any receiver) by hand.
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>

#include "cli.h"
#include "http_client.h"
#include "read_file.h"
#include "signature.h"

namespace switchboard {
namespace cli {

namespace {

const char kSendHelp[] =
    "usage: switchboard send FILE --url URL [--key KEY]\n"
    "\n"
    "Posts the event in FILE (- for standard input; its bytes unchanged,\n"
    "Content-Type: application/json), signed like OpenPhone with the current time,\n"
    "and prints the answer's status line and body.\n"
    "  --url URL   where to post, e.g. http://127.0.0.1:8080/webhooks/openphone\n"
    "  --key KEY   signing key: a legacy base64 key (openphone-signature header) or a\n"
    "              whsec_ secret (webhook-id/-timestamp/-signature headers).\n"
    "              Default: $OPENPHONE_SIGNING_KEY, which keeps the key out of the\n"
    "              process list; with neither, the event is sent unsigned.\n"
    "Exit: 0 on a 2xx answer, 1 otherwise (usage errors too).\n";

std::string RandomHex(size_t bytes) {
  std::random_device random;
  std::string out;
  char buf[3];
  for (size_t i = 0; i < bytes; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(random() & 0xFF));
    out += buf;
  }
  return out;
}

}  // namespace

// Exit codes (SPEC): 0 on a 2xx answer, 1 otherwise: a usage error included,
// unlike the commands whose row lists a code 2 for usage.
int Send(const std::vector<std::string>& args) {
  std::string file, url, key_text;
  bool key_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kSendHelp;
      return kExitOk;
    }
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    if (a == "--url") {
      if (!value(&url)) {
        std::cerr << "switchboard send: --url needs a value\n" << kSendHelp;
        return kExitFailure;
      }
    } else if (a.rfind("--url=", 0) == 0) {
      url = a.substr(6);
    } else if (a == "--key") {
      if (!value(&key_text)) {
        std::cerr << "switchboard send: --key needs a value\n" << kSendHelp;
        return kExitFailure;
      }
      key_given = true;
    } else if (a.rfind("--key=", 0) == 0) {
      key_text = a.substr(6);
      key_given = true;
    } else if (a.size() > 1 && a[0] == '-') {  // "-" alone is standard input
      std::cerr << "switchboard send: unknown option '" << a << "'\n" << kSendHelp;
      return kExitFailure;
    } else if (file.empty()) {
      file = a;
    } else {
      std::cerr << "switchboard send: only one FILE, got '" << a << "' too\n" << kSendHelp;
      return kExitFailure;
    }
  }
  if (file.empty() || url.empty()) {
    std::cerr << "switchboard send: FILE and --url are required\n" << kSendHelp;
    return kExitFailure;
  }
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    std::cerr << "switchboard send: --url must start with http:// or https://\n";
    return kExitFailure;
  }

  const char* source = "--key";
  if (!key_given) {
    const char* env = std::getenv("OPENPHONE_SIGNING_KEY");
    if (env != nullptr && *env != '\0') {
      key_text = env;
      source = "OPENPHONE_SIGNING_KEY";
    }
  }
  std::optional<server::SigningKey> key;
  if (!key_text.empty()) {
    Result<server::SigningKey> parsed = server::ParseSigningKey(key_text);
    if (!parsed.ok()) {
      std::cerr << "switchboard send: " << source << ": " << parsed.status().message() << "\n";
      return kExitFailure;
    }
    key = std::move(parsed).value();
  } else {
    std::cerr << "switchboard send: warning: no --key and no OPENPHONE_SIGNING_KEY; "
                 "sending the event unsigned\n";
  }

  std::string content;
  if (Status read = server::ReadWholeFile(file, &content); !read.ok()) {
    std::cerr << "switchboard send: " << read.message() << "\n";
    return kExitFailure;
  }

  server::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.body = std::move(content);
  request.timeout = std::chrono::seconds(30);
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("User-Agent",
                               std::string("switchboard-send/") + SWITCHBOARD_VERSION);
  if (key) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    if (key->whsec) {
      int64_t ts = std::chrono::duration_cast<std::chrono::seconds>(now).count();
      std::string id = "msg_" + RandomHex(12);
      request.headers.emplace_back("webhook-id", id);
      request.headers.emplace_back("webhook-timestamp", std::to_string(ts));
      request.headers.emplace_back("webhook-signature",
                                   server::SignStandard(*key, id, ts, request.body));
    } else {
      int64_t ts = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
      request.headers.emplace_back("openphone-signature",
                                   server::SignLegacy(*key, ts, request.body));
    }
  }

  server::HttpResponse response = server::SendHttp(request);
  if (response.status == 0) {
    std::cerr << "switchboard send: " << url << ": " << response.error << "\n";
    return kExitFailure;
  }
  auto status = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status);
  std::cout << "HTTP " << response.status << " "
            << Poco::Net::HTTPResponse::getReasonForStatus(status) << "\n";
  std::cout << response.body;
  if (!response.body.empty() && response.body.back() != '\n') std::cout << "\n";
  return response.status >= 200 && response.status < 300 ? kExitOk : kExitFailure;
}

}  // namespace cli
}  // namespace switchboard
