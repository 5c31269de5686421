// The server configuration (`switchboard serve --config FILE`): a plain struct whose
// fields mirror the YAML keys, every one with a default, and the loader that reads,
// expands `${VAR}` and validates a file.
//
//   Result<ServerConfig> config = LoadConfig("switchboard.yaml");
//   if (!config.ok()) { std::cerr << config.status().message(); return 1; }
#ifndef SWITCHBOARD_SERVER_CONFIG_H_
#define SWITCHBOARD_SERVER_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "signature.h"
#include "switchboard/status.h"

namespace switchboard {
namespace server {

using Duration = std::chrono::milliseconds;

// "N/s", "N/m", "N/h", "N/d": `count` events per `per`.
struct Rate {
  int64_t count = 0;
  Duration per{0};
  bool operator==(const Rate& o) const { return count == o.count && per == o.per; }
};

struct ServerConfig {
  // The file this was loaded from; "" for DefaultConfig().
  std::string file;

  // "host:port" (IPv6 as "[::1]:8080"). Default: 127.0.0.1:8080
  struct Listen {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string ToString() const;  // "127.0.0.1:8080", "[::1]:8080"
  } listen;

  // SQLite file. Relative paths in a file are resolved against the file's directory.
  // Default: ./switchboard.db
  std::string database = "./switchboard.db";

  // Rule files or directories; resolved like `database`. Default: [./rules]
  std::vector<std::string> rules = {"./rules"};
  // Whether `rules` was written in the file. The default ./rules may be missing
  // (the server then starts with no rules); configured paths must exist.
  bool rules_configured = false;

  // HTTP server tuning, sized for a 1 vCPU / 512 MB VM.
  struct Server {
    int threads = 64;              // request-handling threads. Default: 64
    int queue = 64;                // accepted connections waiting for a thread. Default: 64
    bool keep_alive = true;        // HTTP keep-alive. Default: true
    int max_inbox_pending = 1000;  // stored events not processed yet before 503. Default: 1000
    // What a webhook's 200 waits for. true ("full"): the commit is fsynced, so an
    // acknowledged event survives power loss. false ("normal"): the commit is in
    // the operating system's hands (the WAL file), so it survives any crash of
    // the process, and power loss can lose about the last second (the
    // checkpoint syncs it within a second, every 100 ms under load). Default: full
    bool sync_full = true;
  } server;

  struct Sources {
    struct OpenPhone {
      std::string path = "/webhooks/openphone";  // Default: /webhooks/openphone
      // Decoded keys; empty strings (e.g. an unset ${VAR}) are dropped. Default: none,
      // so that every webhook is refused until a key is configured.
      std::vector<SigningKey> signing_keys;
      Duration tolerance = std::chrono::minutes(5);  // signature clock skew. Default: 5m
      bool verify = true;                            // Default: true
    } openphone;
  } sources;

  struct OpenPhoneApi {
    std::string api_key;                                 // Default: "" (no API calls)
    std::string api_base = "https://api.openphone.com";  // no trailing slash
    Rate rate_limit{10, std::chrono::seconds(1)};        // per API key. Default: 10/s
    Rate per_contact_limit{5, std::chrono::hours(1)};    // per number. Default: 5/h
  } openphone;

  struct Actions {
    int max_attempts = 8;  // Default: 8
    struct Backoff {
      Duration initial = std::chrono::seconds(5);  // Default: 5s
      Duration max = std::chrono::hours(1);        // Default: 1h
    } backoff;
    Duration timeout = std::chrono::seconds(10);  // per attempt. Default: 10s
    // A failing action older than this is dead-lettered. Default: 24h
    Duration max_age = std::chrono::hours(24);
  } actions;

  struct Limits {
    int64_t max_body = 1024 * 1024;  // bytes. Default: 1MiB
  } limits;

  struct Admin {
    std::string token;  // bearer token; "" disables the admin API. Default: ""
    // Shorter tokens work, but the server warns about them at start.
    static constexpr size_t kMinStrongLength = 16;
  } admin;

  struct Retention {
    Duration events = std::chrono::hours(72);  // stored events are kept. Default: 3d
  } retention;
};

// The configuration used when no file is given: every default above, with the
// secrets' defaults read from the environment as in SPEC section 4: the signing
// key from OPENPHONE_SIGNING_KEY, the API key from OPENPHONE_API_KEY, the admin
// token from SWITCHBOARD_ADMIN_TOKEN (LoadConfig does the same for a file that
// does not set them). Fails when one of them is set but invalid.
Result<ServerConfig> DefaultConfig(
    const std::function<const char*(const char*)>& getenv = ::getenv);

// Reads and validates `path`. `${VAR}` in any scalar is replaced by getenv("VAR")
// (unset: empty; `$${` is a literal `${`). On failure the Status message lists every
// problem, one per line, as "file:line:col: key.path: message"; messages never contain
// a secret (signing keys, API key, admin token).
Result<ServerConfig> LoadConfig(const std::string& path,
                                const std::function<const char*(const char*)>& getenv = ::getenv);

// Parsers for the value syntaxes, exposed for tests and other configuration readers.
// "1h30m", "500ms", "5s", "2d": a sum of integer + unit (ms, s, m, h, d); > 0.
bool ParseDuration(const std::string& text, Duration* out);
// "10/s", "5/h": count > 0 per s, m, h or d.
bool ParseRate(const std::string& text, Rate* out);
// "1048576", "512KiB", "1MiB", "1MB", "1GiB"...: bytes, > 0.
bool ParseSize(const std::string& text, int64_t* out);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_CONFIG_H_
