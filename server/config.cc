#include "config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <sstream>

#include "read_file.h"

namespace switchboard {
namespace server {

namespace {

// Every key the file may hold, by full path; used for "did you mean".
const char* const kAllKeys[] = {
    "listen",
    "database",
    "rules",
    "server",
    "server.threads",
    "server.queue",
    "server.keep_alive",
    "server.max_inbox_pending",
    "server.sync",
    "sources",
    "sources.openphone",
    "sources.openphone.path",
    "sources.openphone.signing_keys",
    "sources.openphone.tolerance",
    "sources.openphone.verify",
    "openphone",
    "openphone.api_key",
    "openphone.api_base",
    "openphone.rate_limit",
    "openphone.per_contact_limit",
    "actions",
    "actions.max_attempts",
    "actions.backoff",
    "actions.backoff.initial",
    "actions.backoff.max",
    "actions.timeout",
    "actions.max_age",
    "limits",
    "limits.max_body",
    "admin",
    "admin.token",
    "retention",
    "retention.events",
};

constexpr size_t kMaxSigningKeys = 10;
constexpr int64_t kMaxBodyLimit = int64_t{256} * 1024 * 1024;

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// " (did you mean 'x'?)": a close spelling among the siblings, or the same name
// elsewhere in the file (a key put at the wrong level).
std::string Suggest(const std::string& key, const std::string& path,
                    std::initializer_list<const char*> siblings) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, key.size() / 3) + 1;
  for (const char* s : siblings) {
    std::string_view sib(s);
    // A near spelling, or one name extending the other (listen_addr, signing_key).
    size_t d = EditDistance(key, sib);
    if (sib.size() >= 4 && key.size() >= 4 &&
        (key.compare(0, sib.size(), sib) == 0 || sib.compare(0, key.size(), key) == 0)) {
      d = std::min<size_t>(d, 1);
    }
    if (d < best_distance) {
      best_distance = d;
      best = s;
    }
  }
  if (!best.empty()) return " (did you mean '" + best + "'?)";
  for (const char* full : kAllKeys) {
    std::string_view f(full);
    size_t dot = f.rfind('.');
    std::string_view last = dot == std::string_view::npos ? f : f.substr(dot + 1);
    if (last == key && f != Join(path, key)) {
      return " (did you mean '" + std::string(f) + "'?)";
    }
  }
  return {};
}

// Whether text may be shown in a message. A value in the wrong place (a key under
// `tolerance:`, or a block swallowed into one scalar by bad indentation) must not leak
// a secret: long, multi-line or key-like text is never shown.
bool Showable(const std::string& s) {
  if (s.size() > 40) return false;
  if (std::any_of(s.begin(), s.end(), [](char c) {
        return c == '\n' || c == '\r' || std::iscntrl(static_cast<unsigned char>(c));
      })) {
    return false;
  }
  Result<SigningKey> key = ParseSigningKey(s);
  return !key.ok() || key->bytes.size() < kMinStrongKeyBytes;
}

std::string Quote(const std::string& s) {
  if (Showable(s)) return "'" + s + "'";
  return "a " + std::to_string(s.size()) + "-character value (not shown)";
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Milliseconds in a duration unit, 0 for an unknown unit.
int64_t UnitMs(std::string_view unit) {
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 24 * 3600 * 1000},
  };
  for (const auto& [name, ms] : kUnits) {
    if (unit == name) return ms;
  }
  return 0;
}

bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

// Reads one file into a ServerConfig, collecting every problem.
class Loader {
 public:
  Loader(std::string file, const std::function<const char*(const char*)>& getenv)
      : file_(std::move(file)), getenv_(getenv) {}

  void Load(const YAML::Node& root, ServerConfig* c);
  // The secrets' defaults (SPEC section 4): a signing key, API key or admin token
  // that `root` does not set (absent or null) comes from OPENPHONE_SIGNING_KEY,
  // OPENPHONE_API_KEY or SWITCHBOARD_ADMIN_TOKEN when that is set.
  void EnvironmentDefaults(const YAML::Node& root, ServerConfig* c);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  // A problem with a value that comes from the environment, not from a line.
  void EnvError(const std::string& variable, const std::string& path, const std::string& message) {
    errors_.push_back((file_.empty() ? "" : file_ + ": ") + variable + " (the default of " + path +
                      "): " + message);
  }
  void Error(const YAML::Mark& mark, const std::string& path, const std::string& message) {
    std::ostringstream line;
    line << file_ << ":" << mark.line + 1 << ":" << mark.column + 1 << ": ";
    if (!path.empty()) line << path << ": ";
    line << message;
    errors_.push_back(line.str());
  }

  // A mapping with only the given keys; reports unknown and duplicate keys.
  bool Map(const YAML::Node& n, const std::string& path, std::initializer_list<const char*> keys);
  // A scalar with ${VAR} expanded; reports lists and mappings.
  bool Scalar(const YAML::Node& n, const std::string& path, std::string* out);
  bool Expand(const std::string& in, std::string* out, std::string* problem) const;

  // Field readers: an absent or null field keeps the default.
  void Int(const YAML::Node& parent, const char* key, const std::string& path, int min, int max,
           int* out);
  void Bool(const YAML::Node& parent, const char* key, const std::string& path, bool* out);
  void DurationField(const YAML::Node& parent, const char* key, const std::string& path,
                     Duration* out);
  void RateField(const YAML::Node& parent, const char* key, const std::string& path, Rate* out);
  void Paths(const YAML::Node& parent, const char* key, std::vector<std::string>* out);
  void SigningKeys(const YAML::Node& parent, const std::string& path, std::vector<SigningKey>* out);

  std::string ResolvePath(const std::string& p) const;

  std::string file_;
  const std::function<const char*(const char*)>& getenv_;
  std::vector<std::string> errors_;
};

bool Loader::Map(const YAML::Node& n, const std::string& path,
                 std::initializer_list<const char*> keys) {
  if (!n.IsMap()) {
    Error(n.Mark(), path, "expected a mapping of keys");
    return false;
  }
  std::vector<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    YAML::Node k = it->first;  // a copy: `it->` yields a temporary
    if (!k.IsScalar()) {
      Error(k.Mark(), path, "keys must be plain names");
      continue;
    }
    const std::string& name = k.Scalar();
    if (!Showable(name) || name.find_first_of(" \t") != std::string::npos) {
      Error(k.Mark(), path, "unexpected text where a key was expected (check the indentation)");
      continue;
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      Error(k.Mark(), Join(path, name), "duplicate key");
      continue;
    }
    seen.push_back(name);
    bool known =
        std::any_of(keys.begin(), keys.end(), [&](const char* key) { return name == key; });
    if (!known) Error(k.Mark(), Join(path, name), "unknown key" + Suggest(name, path, keys));
  }
  return true;
}

// A path the server answers itself: health, metrics and the admin API's.
bool IsOwnEndpoint(const std::string& path) {
  for (const char* fixed : {"/healthz", "/readyz", "/metrics", "/api/events", "/api/actions",
                            "/api/rules", "/api/rules/reload"}) {
    if (path == fixed) return true;
  }
  return path.rfind("/api/events/", 0) == 0 || path.rfind("/api/actions/", 0) == 0;
}

bool Loader::Expand(const std::string& in, std::string* out, std::string* problem) const {
  out->clear();
  for (size_t i = 0; i < in.size();) {
    if (in.compare(i, 3, "$${") == 0) {
      out->append("${");
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {
      out->push_back(in[i++]);
      continue;
    }
    size_t close = in.find('}', i + 2);
    if (close == std::string::npos) {
      *problem = "unterminated '${' (write '$${' for a literal '${')";
      return false;
    }
    std::string name = in.substr(i + 2, close - i - 2);
    // ${NAME:-default}, as in a shell or Docker Compose: the default when NAME
    // is unset or empty.
    std::optional<std::string> fallback;
    if (size_t dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name.resize(dash);
    }
    bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                 });
    if (!valid) {
      *problem = "invalid environment variable name in '${...}'";
      return false;
    }
    const char* value = getenv_(name.c_str());
    if (fallback && (value == nullptr || *value == '\0')) {
      out->append(*fallback);
    } else if (value != nullptr) {
      out->append(value);
    }
    i = close + 1;
  }
  return true;
}

bool Loader::Scalar(const YAML::Node& n, const std::string& path, std::string* out) {
  if (!n.IsScalar()) {
    Error(n.Mark(), path, "expected a single value, not a list or mapping");
    return false;
  }
  std::string problem;
  if (!Expand(n.Scalar(), out, &problem)) {
    Error(n.Mark(), path, problem);
    return false;
  }
  return true;
}

void Loader::Int(const YAML::Node& parent, const char* key, const std::string& path, int min,
                 int max, int* out) {
  YAML::Node n = parent[key];
  std::string text;
  if (!Present(n) || !Scalar(n, path, &text)) return;
  int64_t v = 0;
  if (!ParseInt64(text, &v)) {
    Error(n.Mark(), path, "expected a whole number, got " + Quote(text));
  } else if (v < min || v > max) {
    Error(n.Mark(), path,
          "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
              std::to_string(v));
  } else {
    *out = static_cast<int>(v);
  }
}

void Loader::Bool(const YAML::Node& parent, const char* key, const std::string& path, bool* out) {
  YAML::Node n = parent[key];
  std::string text;
  if (!Present(n) || !Scalar(n, path, &text)) return;
  for (const char* t : {"true", "yes", "on"}) {
    if (IEquals(text, t)) {
      *out = true;
      return;
    }
  }
  for (const char* f : {"false", "no", "off"}) {
    if (IEquals(text, f)) {
      *out = false;
      return;
    }
  }
  Error(n.Mark(), path, "expected true or false, got " + Quote(text));
}

void Loader::DurationField(const YAML::Node& parent, const char* key, const std::string& path,
                           Duration* out) {
  YAML::Node n = parent[key];
  std::string text;
  if (!Present(n) || !Scalar(n, path, &text)) return;
  if (!ParseDuration(text, out)) {
    Error(n.Mark(), path,
          "expected a positive duration such as 500ms, 10s, 5m, 1h30m or 3d, got " + Quote(text));
  }
}

void Loader::RateField(const YAML::Node& parent, const char* key, const std::string& path,
                       Rate* out) {
  YAML::Node n = parent[key];
  std::string text;
  if (!Present(n) || !Scalar(n, path, &text)) return;
  if (!ParseRate(text, out)) {
    Error(n.Mark(), path,
          "expected a rate such as 10/s, 100/m, 5/h or 20/d (count > 0), got " + Quote(text));
  }
}

std::string Loader::ResolvePath(const std::string& p) const {
  std::filesystem::path path(p);
  if (path.is_absolute()) return path.lexically_normal().string();
  std::filesystem::path base = std::filesystem::path(file_).parent_path();
  return (base / path).lexically_normal().string();
}

void Loader::Paths(const YAML::Node& parent, const char* key, std::vector<std::string>* out) {
  YAML::Node n = parent[key];
  if (!Present(n)) return;
  std::vector<std::string> paths;
  auto add = [&](const YAML::Node& item, const std::string& path) {
    std::string text;
    if (!Scalar(item, path, &text)) return;
    if (text.empty()) {
      Error(item.Mark(), path, "expected a file or directory path, got an empty string");
      return;
    }
    paths.push_back(ResolvePath(text));
  };
  if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      add(n[i], std::string(key) + "[" + std::to_string(i) + "]");
    }
  } else {
    add(n, key);
  }
  *out = std::move(paths);
}

void Loader::SigningKeys(const YAML::Node& parent, const std::string& path,
                         std::vector<SigningKey>* out) {
  YAML::Node n = parent["signing_keys"];
  if (!Present(n)) return;
  std::vector<YAML::Node> items;
  if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) items.push_back(n[i]);
  } else {
    items.push_back(n);
  }
  out->clear();
  for (size_t i = 0; i < items.size(); ++i) {
    std::string item_path = n.IsSequence() ? path + "[" + std::to_string(i) + "]" : path;
    std::string text;
    if (!Present(items[i])) continue;
    if (!Scalar(items[i], item_path, &text)) continue;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) continue;  // unset ${VAR}
    Result<SigningKey> key = ParseSigningKey(text);
    if (!key.ok()) {
      Error(items[i].Mark(), item_path, key.status().message());
      continue;
    }
    out->push_back(std::move(key).value());
  }
  if (out->size() > kMaxSigningKeys) {
    Error(n.Mark(), path,
          "at most " + std::to_string(kMaxSigningKeys) + " signing keys, got " +
              std::to_string(out->size()));
  }
}

bool ParseListen(const std::string& text, ServerConfig::Listen* out, std::string* problem) {
  std::string host;
  std::string port;
  if (text.find("://") != std::string::npos) {
    *problem = "expected host:port such as 127.0.0.1:8080, without a scheme";
    return false;
  }
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *problem = "expected [ipv6]:port";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      *problem = "expected host:port such as 127.0.0.1:8080";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      *problem = "write IPv6 addresses in brackets, e.g. [::1]:8080";
      return false;
    }
  }
  if (host.empty()) {
    *problem = "missing host (use 0.0.0.0:PORT to listen on every interface)";
    return false;
  }
  if (std::any_of(host.begin(), host.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
    *problem = "host contains whitespace";
    return false;
  }
  int64_t p = 0;
  if (!ParseInt64(port, &p) || p < 1 || p > 65535) {
    *problem = "port must be a number from 1 to 65535";
    return false;
  }
  out->host = host;
  out->port = static_cast<int>(p);
  return true;
}

bool HasSpaceOrControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) ||
           std::iscntrl(static_cast<unsigned char>(c));
  });
}

void Loader::Load(const YAML::Node& root, ServerConfig* c) {
  // Defaults are relative to the file too.
  c->database = ResolvePath(c->database);
  for (std::string& r : c->rules) r = ResolvePath(r);
  if (!Present(root)) return;  // an empty file: every default
  if (!Map(root, "",
           {"listen", "database", "rules", "server", "sources", "openphone", "actions", "limits",
            "admin", "retention"})) {
    return;
  }

  if (YAML::Node n = root["listen"]; Present(n)) {
    std::string text, problem;
    if (Scalar(n, "listen", &text) && !ParseListen(text, &c->listen, &problem)) {
      Error(n.Mark(), "listen", problem + ", got " + Quote(text));
    }
  }

  if (YAML::Node n = root["database"]; Present(n)) {
    std::string text;
    if (Scalar(n, "database", &text)) {
      if (text.empty()) {
        Error(n.Mark(), "database", "expected a file path, got an empty string");
      } else {
        c->database = ResolvePath(text);
      }
    }
  }

  Paths(root, "rules", &c->rules);
  c->rules_configured = Present(root["rules"]);

  if (YAML::Node s = root["server"];
      Present(s) &&
      Map(s, "server", {"threads", "queue", "keep_alive", "max_inbox_pending", "sync"})) {
    Int(s, "threads", "server.threads", 1, 1024, &c->server.threads);
    Int(s, "queue", "server.queue", 1, 65535, &c->server.queue);
    Bool(s, "keep_alive", "server.keep_alive", &c->server.keep_alive);
    Int(s, "max_inbox_pending", "server.max_inbox_pending", 1, 10000000,
        &c->server.max_inbox_pending);
    if (YAML::Node n = s["sync"]; Present(n)) {
      std::string text;
      if (Scalar(n, "server.sync", &text)) {
        if (text == "full" || text == "normal") {
          c->server.sync_full = text == "full";
        } else {
          Error(n.Mark(), "server.sync", "expected full or normal, got " + Quote(text));
        }
      }
    }
  }

  if (YAML::Node s = root["sources"]; Present(s) && Map(s, "sources", {"openphone"})) {
    YAML::Node o = s["openphone"];
    if (Present(o) &&
        Map(o, "sources.openphone", {"path", "signing_keys", "tolerance", "verify"})) {
      auto& op = c->sources.openphone;
      if (YAML::Node n = o["path"]; Present(n)) {
        std::string text;
        if (Scalar(n, "sources.openphone.path", &text)) {
          if (text.empty() || text[0] != '/' || HasSpaceOrControl(text) ||
              text.find_first_of("?#") != std::string::npos) {
            Error(n.Mark(), "sources.openphone.path",
                  "expected a URL path starting with '/' (no query), got " + Quote(text));
          } else if (IsOwnEndpoint(text)) {
            // The webhook would hide the endpoint (a liveness probe answered 405).
            Error(n.Mark(), "sources.openphone.path",
                  Quote(text) + " is one of the server's own endpoints (/healthz, /readyz, "
                                "/metrics, the admin API's): choose another path");
          } else {
            op.path = text;
          }
        }
      }
      SigningKeys(o, "sources.openphone.signing_keys", &op.signing_keys);
      DurationField(o, "tolerance", "sources.openphone.tolerance", &op.tolerance);
      Bool(o, "verify", "sources.openphone.verify", &op.verify);
    }
  }

  if (YAML::Node s = root["openphone"];
      Present(s) &&
      Map(s, "openphone", {"api_key", "api_base", "rate_limit", "per_contact_limit"})) {
    auto& op = c->openphone;
    if (YAML::Node n = s["api_key"]; Present(n)) {
      std::string text;
      if (Scalar(n, "openphone.api_key", &text)) {
        if (HasSpaceOrControl(text)) {
          Error(n.Mark(), "openphone.api_key", "contains whitespace (value not shown)");
        } else {
          op.api_key = text;
        }
      }
    }
    if (YAML::Node n = s["api_base"]; Present(n)) {
      std::string text;
      if (Scalar(n, "openphone.api_base", &text)) {
        while (!text.empty() && text.back() == '/') text.pop_back();
        size_t scheme_end = text.find("://");
        std::string scheme = scheme_end == std::string::npos ? "" : text.substr(0, scheme_end);
        std::string rest = scheme_end == std::string::npos ? "" : text.substr(scheme_end + 3);
        if ((scheme != "http" && scheme != "https") || rest.empty() || rest[0] == '/' ||
            HasSpaceOrControl(text) || text.find_first_of("?#") != std::string::npos) {
          Error(n.Mark(), "openphone.api_base",
                "expected an http:// or https:// URL such as https://api.openphone.com, got " +
                    Quote(text));
        } else {
          op.api_base = text;
        }
      }
    }
    RateField(s, "rate_limit", "openphone.rate_limit", &op.rate_limit);
    RateField(s, "per_contact_limit", "openphone.per_contact_limit", &op.per_contact_limit);
  }

  if (YAML::Node s = root["actions"];
      Present(s) && Map(s, "actions", {"max_attempts", "backoff", "timeout", "max_age"})) {
    Int(s, "max_attempts", "actions.max_attempts", 1, 100, &c->actions.max_attempts);
    if (YAML::Node b = s["backoff"]; Present(b) && Map(b, "actions.backoff", {"initial", "max"})) {
      DurationField(b, "initial", "actions.backoff.initial", &c->actions.backoff.initial);
      DurationField(b, "max", "actions.backoff.max", &c->actions.backoff.max);
      if (c->actions.backoff.initial > c->actions.backoff.max) {
        Error(b.Mark(), "actions.backoff", "initial must not be longer than max");
      }
    }
    DurationField(s, "timeout", "actions.timeout", &c->actions.timeout);
    DurationField(s, "max_age", "actions.max_age", &c->actions.max_age);
  }

  if (YAML::Node s = root["limits"]; Present(s) && Map(s, "limits", {"max_body"})) {
    if (YAML::Node n = s["max_body"]; Present(n)) {
      std::string text;
      int64_t size = 0;
      if (Scalar(n, "limits.max_body", &text)) {
        if (!ParseSize(text, &size)) {
          Error(n.Mark(), "limits.max_body",
                "expected a size such as 1MiB, 512KiB, 1MB or 1048576 (bytes), got " + Quote(text));
        } else if (size > kMaxBodyLimit) {
          Error(n.Mark(), "limits.max_body", "must be at most 256MiB, got " + Quote(text));
        } else {
          c->limits.max_body = size;
        }
      }
    }
  }

  if (YAML::Node s = root["admin"]; Present(s) && Map(s, "admin", {"token"})) {
    if (YAML::Node n = s["token"]; Present(n)) {
      std::string text;
      if (Scalar(n, "admin.token", &text)) {
        if (HasSpaceOrControl(text)) {
          Error(n.Mark(), "admin.token", "contains whitespace (value not shown)");
        } else {
          c->admin.token = text;
        }
      }
    }
  }

  if (YAML::Node s = root["retention"]; Present(s) && Map(s, "retention", {"events"})) {
    DurationField(s, "events", "retention.events", &c->retention.events);
  }
}

void Loader::EnvironmentDefaults(const YAML::Node& root, ServerConfig* c) {
  // Whether the file sets root.a.b.c (to anything but null).
  auto written = [&root](std::initializer_list<const char*> keys) {
    YAML::Node n = root;
    for (const char* key : keys) {
      if (!n.IsMap()) return false;
      n.reset(n[key]);  // rebinds; `n = n[key]` would overwrite the node in the tree
    }
    return Present(n);
  };
  auto env = [this](const char* name) -> std::string {
    const char* value = getenv_(name);
    return value == nullptr ? "" : value;
  };
  if (!written({"sources", "openphone", "signing_keys"})) {
    std::string text = env("OPENPHONE_SIGNING_KEY");
    if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
      Result<SigningKey> key = ParseSigningKey(text);
      if (key.ok()) {
        c->sources.openphone.signing_keys = {std::move(key).value()};
      } else {
        EnvError("OPENPHONE_SIGNING_KEY", "sources.openphone.signing_keys", key.status().message());
      }
    }
  }
  // A token: any text without whitespace.
  auto token = [&](const char* variable, const char* path, std::string* out) {
    std::string text = env(variable);
    if (HasSpaceOrControl(text)) {
      EnvError(variable, path, "contains whitespace (value not shown)");
    } else {
      *out = text;
    }
  };
  if (!written({"openphone", "api_key"})) {
    token("OPENPHONE_API_KEY", "openphone.api_key", &c->openphone.api_key);
  }
  if (!written({"admin", "token"})) {
    token("SWITCHBOARD_ADMIN_TOKEN", "admin.token", &c->admin.token);
  }
}

}  // namespace

std::string ServerConfig::Listen::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<ServerConfig> DefaultConfig(const std::function<const char*(const char*)>& getenv) {
  ServerConfig config;
  Loader loader("", getenv);
  loader.EnvironmentDefaults(YAML::Node(), &config);
  if (!loader.errors().empty()) {
    std::string message;
    for (const std::string& e : loader.errors()) message += (message.empty() ? "" : "\n") + e;
    return Status::InvalidArgument(message);
  }
  return config;
}

bool ParseDuration(const std::string& text, Duration* out) {
  static constexpr int64_t kMaxMs = int64_t{100} * 365 * 24 * 3600 * 1000;  // 100 years
  if (text.empty()) return false;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 12) return false;
    int64_t n = 0;
    if (!ParseInt64(std::string_view(text).substr(start, i - start), &n)) return false;
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = std::string_view(text).substr(unit_start, i - unit_start);
    int64_t ms = UnitMs(unit);
    if (ms == 0) return false;
    if (n > kMaxMs / ms) return false;
    total += n * ms;
    if (total > kMaxMs) return false;
  }
  if (total <= 0) return false;
  *out = Duration(total);
  return true;
}

bool ParseRate(const std::string& text, Rate* out) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  int64_t count = 0;
  if (!ParseInt64(std::string_view(text).substr(0, slash), &count) || count <= 0 ||
      count > 1000000000) {
    return false;
  }
  std::string_view unit = std::string_view(text).substr(slash + 1);
  // The units of durations, and their words: 10/sec, 600/min, 5/hour, 20/day.
  static const std::pair<std::string_view, std::string_view> kWords[] = {
      {"sec", "s"}, {"second", "s"}, {"min", "m"}, {"minute", "m"}, {"hour", "h"}, {"day", "d"},
  };
  for (const auto& [word, short_unit] : kWords) {
    if (unit == word) unit = short_unit;
  }
  int64_t per = UnitMs(unit);
  if (per < 1000) return false;  // no "per millisecond"
  *out = Rate{count, Duration(per)};
  return true;
}

bool ParseSize(const std::string& text, int64_t* out) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 15) return false;
  int64_t n = 0;
  if (!ParseInt64(std::string_view(text).substr(0, digits), &n)) return false;
  std::string_view unit = std::string_view(text).substr(digits);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  struct Unit {
    const char* name;
    int64_t bytes;
  };
  static const Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"KiB", 1024},
      {"MB", 1000000},
      {"MiB", 1024 * 1024},
      {"GB", 1000000000},
      {"GiB", int64_t{1024} * 1024 * 1024},
  };
  for (const Unit& u : kUnits) {
    if (IEquals(unit, u.name)) {
      if (n == 0 || n > std::numeric_limits<int64_t>::max() / u.bytes) return false;
      *out = n * u.bytes;
      return true;
    }
  }
  return false;
}

Result<ServerConfig> LoadConfig(const std::string& path,
                                const std::function<const char*(const char*)>& getenv) {
  std::string text;
  if (Status read = ReadWholeFile(path, &text); !read.ok()) {
    return Status::IoError("configuration: " + read.message());
  }

  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }

  ServerConfig config;
  config.file = path;
  Loader loader(path, getenv);
  try {
    loader.Load(root, &config);
    loader.EnvironmentDefaults(root, &config);
  } catch (const YAML::Exception& e) {  // not expected: the loader checks node types
    return Status::Internal(path + ": " + e.what());
  }
  if (!loader.errors().empty()) {
    std::string message;
    for (const std::string& e : loader.errors()) {
      if (!message.empty()) message += "\n";
      message += e;
    }
    return Status::InvalidArgument(message);
  }
  return config;
}

}  // namespace server
}  // namespace switchboard
