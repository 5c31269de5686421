// The server configuration: SPEC defaults, ${VAR} expansion, path resolution and
// validation errors that carry file:line:col and the key path, never a secret.
#include "config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace switchboard {
namespace server {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const char kLegacyKey[] = "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=";
const char kBetaSecret[] = "whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM=";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("switchboard-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `yaml` to a file in the test directory and loads it with env_ as the
  // environment.
  Result<ServerConfig> Load(const std::string& yaml, const std::string& name = "sb.yaml") {
    path_ = (dir_ / name).string();
    std::ofstream(path_, std::ios::binary) << yaml;
    return LoadConfig(path_, [this](const char* var) -> const char* {
      auto it = env_.find(var);
      return it == env_.end() ? nullptr : it->second.c_str();
    });
  }

  // Loads `yaml`, expecting failure; returns the message.
  std::string Error(const std::string& yaml) {
    Result<ServerConfig> c = Load(yaml);
    EXPECT_FALSE(c.ok()) << "expected an error for:\n" << yaml;
    return c.ok() ? "" : c.status().message();
  }

  std::filesystem::path dir_;
  std::string path_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, DefaultsMatchTheSpec) {
  Result<ServerConfig> defaults = DefaultConfig([](const char*) -> const char* { return nullptr; });
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  const ServerConfig& c = *defaults;
  EXPECT_EQ(c.file, "");
  EXPECT_EQ(c.listen.host, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 8080);
  EXPECT_EQ(c.listen.ToString(), "127.0.0.1:8080");
  EXPECT_EQ(c.database, "./switchboard.db");
  EXPECT_EQ(c.rules, std::vector<std::string>{"./rules"});
  EXPECT_EQ(c.sources.openphone.path, "/webhooks/openphone");
  EXPECT_TRUE(c.sources.openphone.signing_keys.empty());
  EXPECT_EQ(c.sources.openphone.tolerance, minutes(5));
  EXPECT_TRUE(c.sources.openphone.verify);
  EXPECT_EQ(c.openphone.api_key, "");
  EXPECT_EQ(c.openphone.api_base, "https://api.openphone.com");
  EXPECT_EQ(c.openphone.rate_limit, (Rate{10, seconds(1)}));
  EXPECT_EQ(c.openphone.per_contact_limit, (Rate{5, hours(1)}));
  EXPECT_EQ(c.actions.max_attempts, 8);
  EXPECT_EQ(c.actions.backoff.initial, seconds(5));
  EXPECT_EQ(c.actions.backoff.max, hours(1));
  EXPECT_EQ(c.actions.timeout, seconds(10));
  EXPECT_EQ(c.actions.max_age, hours(24));
  EXPECT_EQ(c.limits.max_body, 1024 * 1024);
  EXPECT_EQ(c.admin.token, "");
  EXPECT_EQ(c.retention.events, hours(72));
  EXPECT_EQ(c.server.threads, 64);
  EXPECT_EQ(c.server.queue, 64);
  EXPECT_TRUE(c.server.keep_alive);
  EXPECT_TRUE(c.server.sync_full);
  EXPECT_EQ(c.server.max_inbox_pending, 1000);
}

// SPEC section 4's sample shows the secrets' defaults: ${OPENPHONE_SIGNING_KEY},
// ${OPENPHONE_API_KEY}, ${SWITCHBOARD_ADMIN_TOKEN}. A file that does not set them,
// and no file at all, read them from the environment.
TEST_F(ConfigTest, SecretsNotSetInTheFileComeFromTheEnvironment) {
  env_["OPENPHONE_SIGNING_KEY"] = kLegacyKey;
  env_["OPENPHONE_API_KEY"] = "sk_env_key";
  env_["SWITCHBOARD_ADMIN_TOKEN"] = "env-admin-token-0123456789";
  for (const char* yaml : {"", "listen: 127.0.0.1:9000\n",
                           "sources:\n  openphone:\n    signing_keys:\nadmin:\n  token:\n"}) {
    Result<ServerConfig> c = Load(yaml);
    ASSERT_TRUE(c.ok()) << c.status().message();
    ASSERT_EQ(c->sources.openphone.signing_keys.size(), 1u) << yaml;
    EXPECT_FALSE(c->sources.openphone.signing_keys[0].whsec);
    EXPECT_EQ(c->openphone.api_key, "sk_env_key") << yaml;
    EXPECT_EQ(c->admin.token, "env-admin-token-0123456789") << yaml;
  }
  Result<ServerConfig> defaults = DefaultConfig([this](const char* var) -> const char* {
    auto it = env_.find(var);
    return it == env_.end() ? nullptr : it->second.c_str();
  });
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->sources.openphone.signing_keys.size(), 1u);
  EXPECT_EQ(defaults->openphone.api_key, "sk_env_key");
  EXPECT_EQ(defaults->admin.token, "env-admin-token-0123456789");

  // What the file sets wins, even when it is empty.
  Result<ServerConfig> c = Load(std::string("sources:\n  openphone:\n    signing_keys: [") +
                                kBetaSecret + "]\nopenphone:\n  api_key: \"\"\nadmin:\n  token: \"\"\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->sources.openphone.signing_keys.size(), 1u);
  EXPECT_TRUE(c->sources.openphone.signing_keys[0].whsec);
  EXPECT_EQ(c->openphone.api_key, "");
  EXPECT_EQ(c->admin.token, "");
}

TEST_F(ConfigTest, AnInvalidSecretInTheEnvironmentIsAnErrorThatDoesNotShowIt) {
  env_["OPENPHONE_SIGNING_KEY"] = "NotBase64Secret!!";
  env_["SWITCHBOARD_ADMIN_TOKEN"] = "with space";
  std::string e = Error("listen: 127.0.0.1:9000\n");
  EXPECT_NE(e.find(path_ + ": OPENPHONE_SIGNING_KEY (the default of "
                           "sources.openphone.signing_keys): signing key is not valid base64"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("SWITCHBOARD_ADMIN_TOKEN (the default of admin.token): contains whitespace"),
            std::string::npos)
      << e;
  EXPECT_EQ(e.find("NotBase64"), std::string::npos) << e;
  EXPECT_EQ(e.find("with space"), std::string::npos) << e;
  Result<ServerConfig> defaults = DefaultConfig([this](const char* var) -> const char* {
    auto it = env_.find(var);
    return it == env_.end() ? nullptr : it->second.c_str();
  });
  EXPECT_FALSE(defaults.ok());
}

TEST_F(ConfigTest, EmptyFileGivesDefaultsWithPathsBesideTheFile) {
  for (const char* yaml : {"", "# nothing\n", "---\n", "~\n"}) {
    Result<ServerConfig> c = Load(yaml);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->file, path_);
    EXPECT_EQ(c->database, (dir_ / "switchboard.db").string());
    EXPECT_EQ(c->rules, std::vector<std::string>{(dir_ / "rules").string()});
    EXPECT_EQ(c->listen.port, 8080);
    EXPECT_TRUE(c->sources.openphone.signing_keys.empty());
  }
}

TEST_F(ConfigTest, TheSpecExampleLoads) {
  env_["OPENPHONE_SIGNING_KEY"] = kLegacyKey;
  env_["OPENPHONE_API_KEY"] = "op-api-key";
  env_["SWITCHBOARD_ADMIN_TOKEN"] = "0123456789abcdef0123";
  Result<ServerConfig> c = Load(R"(
listen: 127.0.0.1:8080
database: ./switchboard.db            # SQLite file (WAL)
rules: [./rules]                      # files or directories of *.yaml
sources:
  openphone:
    path: /webhooks/openphone
    signing_keys: ["${OPENPHONE_SIGNING_KEY}"]  # one or more; legacy base64 keys and whsec_ keys
    tolerance: 5m                      # allowed clock skew of signature timestamps
    verify: true                       # false only for local experiments; warned at start
openphone:
  api_key: ${OPENPHONE_API_KEY}
  api_base: https://api.openphone.com
  rate_limit: 10/s                     # requests per second per API key
  per_contact_limit: 5/h               # messages to one number, all rules together
actions:
  max_attempts: 8
  backoff: { initial: 5s, max: 1h }    # exponential with jitter
  timeout: 10s
limits:
  max_body: 1MiB
admin:
  token: ${SWITCHBOARD_ADMIN_TOKEN}    # admin API disabled when empty
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->sources.openphone.signing_keys.size(), 1u);
  EXPECT_EQ(c->sources.openphone.signing_keys[0].bytes, "switchboard-test-key-00000000001");
  EXPECT_EQ(c->openphone.api_key, "op-api-key");
  EXPECT_EQ(c->admin.token, "0123456789abcdef0123");
  EXPECT_EQ(c->limits.max_body, 1048576);
  EXPECT_EQ(c->actions.backoff.max, hours(1));
}

TEST_F(ConfigTest, FullFileParses) {
  Result<ServerConfig> c = Load(R"(
listen: "[::1]:9090"
database: /var/lib/switchboard/events.db
rules: [/etc/switchboard/rules, extra.yaml]
server:
  threads: 4
  queue: 128
  keep_alive: false
  max_inbox_pending: 50
  sync: normal
sources:
  openphone:
    path: /hooks/op
    signing_keys:
      - c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=
      - whsec_c3dpdGNoYm9hcmQtYmV0YS1zZWNyZXQtMzItYnl0ZXM=
    tolerance: 90s
    verify: false
openphone:
  api_key: abc123
  api_base: http://localhost:9999/
  rate_limit: 100/m
  per_contact_limit: 20/d
actions:
  max_attempts: 3
  backoff: {initial: 500ms, max: 1h30m}
  timeout: 2s
  max_age: 2d
limits:
  max_body: 512KiB
admin:
  token: a-very-long-admin-token
retention:
  events: 7d
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen.host, "::1");
  EXPECT_EQ(c->listen.port, 9090);
  EXPECT_EQ(c->listen.ToString(), "[::1]:9090");
  EXPECT_EQ(c->database, "/var/lib/switchboard/events.db");
  EXPECT_EQ(c->rules,
            (std::vector<std::string>{"/etc/switchboard/rules", (dir_ / "extra.yaml").string()}));
  EXPECT_EQ(c->server.threads, 4);
  EXPECT_EQ(c->server.queue, 128);
  EXPECT_FALSE(c->server.keep_alive);
  EXPECT_EQ(c->server.max_inbox_pending, 50);
  EXPECT_FALSE(c->server.sync_full);
  EXPECT_EQ(c->sources.openphone.path, "/hooks/op");
  ASSERT_EQ(c->sources.openphone.signing_keys.size(), 2u);
  EXPECT_FALSE(c->sources.openphone.signing_keys[0].whsec);
  EXPECT_TRUE(c->sources.openphone.signing_keys[1].whsec);
  EXPECT_EQ(c->sources.openphone.signing_keys[1].bytes, "switchboard-beta-secret-32-bytes");
  EXPECT_EQ(c->sources.openphone.tolerance, seconds(90));
  EXPECT_FALSE(c->sources.openphone.verify);
  EXPECT_EQ(c->openphone.api_key, "abc123");
  EXPECT_EQ(c->openphone.api_base, "http://localhost:9999");  // trailing slash dropped
  EXPECT_EQ(c->openphone.rate_limit, (Rate{100, minutes(1)}));
  EXPECT_EQ(c->openphone.per_contact_limit, (Rate{20, hours(24)}));
  EXPECT_EQ(c->actions.max_attempts, 3);
  EXPECT_EQ(c->actions.backoff.initial, milliseconds(500));
  EXPECT_EQ(c->actions.backoff.max, minutes(90));
  EXPECT_EQ(c->actions.timeout, seconds(2));
  EXPECT_EQ(c->actions.max_age, hours(48));
  EXPECT_EQ(c->limits.max_body, 512 * 1024);
  EXPECT_EQ(c->admin.token, "a-very-long-admin-token");
  EXPECT_EQ(c->retention.events, hours(24 * 7));
}

TEST_F(ConfigTest, ExpandsEnvironmentVariablesInEveryScalar) {
  env_["PORT"] = "9999";
  env_["DATA"] = "/srv/data";
  env_["KEY"] = kBetaSecret;
  env_["TOL"] = "2m";
  Result<ServerConfig> c = Load(R"(
listen: 0.0.0.0:${PORT}
database: ${DATA}/sb.db
rules: ["${DATA}/rules"]
sources:
  openphone:
    signing_keys: ["${KEY}"]
    tolerance: ${TOL}
openphone:
  api_key: "pre-${UNSET}-post"
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen.host, "0.0.0.0");
  EXPECT_EQ(c->listen.port, 9999);
  EXPECT_EQ(c->database, "/srv/data/sb.db");
  EXPECT_EQ(c->rules, std::vector<std::string>{"/srv/data/rules"});
  ASSERT_EQ(c->sources.openphone.signing_keys.size(), 1u);
  EXPECT_TRUE(c->sources.openphone.signing_keys[0].whsec);
  EXPECT_EQ(c->sources.openphone.tolerance, minutes(2));
  EXPECT_EQ(c->openphone.api_key, "pre--post");  // a missing variable is empty
}

// A probe: ${VAR:-default} was "invalid environment variable name".
TEST_F(ConfigTest, ADefaultStandsForAnUnsetOrEmptyVariable) {
  env_["PORT"] = "9999";
  env_["EMPTY"] = "";
  Result<ServerConfig> c = Load(R"(
listen: 127.0.0.1:${PORT:-8080}
database: ${DATA:-/var/lib/switchboard}/sb.db
openphone:
  api_key: "${EMPTY:-fallback}"
  api_base: "${UNSET:-}https://api.openphone.com"
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen.port, 9999);
  EXPECT_EQ(c->database, "/var/lib/switchboard/sb.db");
  EXPECT_EQ(c->openphone.api_key, "fallback");
  EXPECT_EQ(c->openphone.api_base, "https://api.openphone.com");
  EXPECT_NE(Error("listen: ${:-x}\n").find("invalid environment variable name"), std::string::npos);
}

TEST_F(ConfigTest, DollarDollarBraceIsALiteral) {
  Result<ServerConfig> c = Load("openphone:\n  api_key: \"a$${NOT_A_VAR}b$c\"\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->openphone.api_key, "a${NOT_A_VAR}b$c");
}

TEST_F(ConfigTest, UnsetSigningKeyVariableMeansNoKey) {
  Result<ServerConfig> c = Load(
      "sources:\n  openphone:\n    signing_keys: [\"${OPENPHONE_SIGNING_KEY}\", "
      "c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->sources.openphone.signing_keys.size(), 1u);

  c = Load("sources:\n  openphone:\n    signing_keys: [\"${OPENPHONE_SIGNING_KEY}\"]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->sources.openphone.signing_keys.empty());

  c = Load("sources:\n  openphone:\n    signing_keys: ${OPENPHONE_SIGNING_KEY}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->sources.openphone.signing_keys.empty());
}

TEST_F(ConfigTest, ResolvesRelativePathsAgainstTheFileDirectory) {
  std::filesystem::create_directories(dir_ / "etc");
  Result<ServerConfig> c =
      Load("database: ../var/sb.db\nrules: [./rules, /abs/rules, more]\n", "etc/sb.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->database, (dir_ / "var/sb.db").string());
  EXPECT_EQ(c->rules, (std::vector<std::string>{(dir_ / "etc/rules").string(), "/abs/rules",
                                                (dir_ / "etc/more").string()}));
  c = Load("rules: ./single\n");  // a single path may be a scalar
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->rules, std::vector<std::string>{(dir_ / "single").string()});
}

TEST_F(ConfigTest, UnknownKeyIsReportedWithPositionAndSuggestion) {
  std::string e = Error("listen: 127.0.0.1:8080\nlisten_addr: x\n");
  EXPECT_EQ(e, path_ + ":2:1: listen_addr: unknown key (did you mean 'listen'?)");

  e = Error("sources:\n  openphone:\n    signing_key: [x]\n");
  EXPECT_EQ(e, path_ +
                   ":3:5: sources.openphone.signing_key: unknown key (did you mean "
                   "'signing_keys'?)");

  e = Error("actions:\n  backof: {initial: 1s}\n");
  EXPECT_EQ(e, path_ + ":2:3: actions.backof: unknown key (did you mean 'backoff'?)");

  // A key at the wrong level points to where it belongs.
  e = Error("signing_keys: [x]\n");
  EXPECT_EQ(e, path_ +
                   ":1:1: signing_keys: unknown key (did you mean "
                   "'sources.openphone.signing_keys'?)");

  e = Error("colour: blue\n");
  EXPECT_EQ(e, path_ + ":1:1: colour: unknown key");
}

TEST_F(ConfigTest, DuplicateKeyIsAnError) {
  std::string e = Error("listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n");
  EXPECT_EQ(e, path_ + ":2:1: listen: duplicate key");
}

TEST_F(ConfigTest, ReportsEveryErrorWithItsPosition) {
  std::string e = Error(R"(listen: localhost
server:
  threads: 0
  queue: many
  keep_alive: maybe
  sync: sometimes
sources:
  openphone:
    path: webhooks
    tolerance: 5
    verify: 1
openphone:
  api_base: ftp://example.com
  rate_limit: 10/week
  per_contact_limit: 0/h
actions:
  max_attempts: -1
  backoff: {initial: 2h, max: 1h}
  timeout: 10 s
  max_age: 1y
limits:
  max_body: 1TB
retention:
  events: 0d
)");
  const std::vector<std::string> expected = {
      ":1:9: listen: expected host:port such as 127.0.0.1:8080, got 'localhost'",
      ":3:12: server.threads: must be between 1 and 1024, got 0",
      ":4:10: server.queue: expected a whole number, got 'many'",
      ":5:15: server.keep_alive: expected true or false, got 'maybe'",
      ":6:9: server.sync: expected full or normal, got 'sometimes'",
      ":9:11: sources.openphone.path: expected a URL path starting with '/' (no query), got "
      "'webhooks'",
      ":10:16: sources.openphone.tolerance: expected a positive duration such as 500ms, 10s, "
      "5m, 1h30m or 3d, got '5'",
      ":11:13: sources.openphone.verify: expected true or false, got '1'",
      ":13:13: openphone.api_base: expected an http:// or https:// URL",
      ":14:15: openphone.rate_limit: expected a rate such as 10/s",
      ":15:22: openphone.per_contact_limit: expected a rate",
      ":17:17: actions.max_attempts: must be between 1 and 100, got -1",
      ":18:12: actions.backoff: initial must not be longer than max",
      ":19:12: actions.timeout: expected a positive duration",
      ":20:12: actions.max_age: expected a positive duration",
      ":22:13: limits.max_body: expected a size such as 1MiB",
      ":24:11: retention.events: expected a positive duration",
  };
  for (const std::string& line : expected) {
    EXPECT_NE(e.find(path_ + line), std::string::npos) << "missing: " << line << "\nin:\n" << e;
  }
  EXPECT_EQ(static_cast<size_t>(std::count(e.begin(), e.end(), '\n')) + 1, expected.size()) << e;
}

TEST_F(ConfigTest, RejectsBadListenAddresses) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x", ":8080",
                          "::1:8080", "[::1]8080", "[::1", "127.0.0.1:"}) {
    std::string e = Error(std::string("listen: \"") + bad + "\"\n");
    EXPECT_EQ(e.rfind(path_ + ":1:9: listen: ", 0), 0u) << bad << ": " << e;
  }
  for (const char* good : {"0.0.0.0:1", "localhost:65535", "[::]:8080"}) {
    Result<ServerConfig> c = Load(std::string("listen: \"") + good + "\"\n");
    EXPECT_TRUE(c.ok()) << good << ": " << c.status().message();
  }
  std::string e = Error("listen: http://127.0.0.1:8080\n");
  EXPECT_NE(e.find("listen: expected host:port such as 127.0.0.1:8080, without a scheme"),
            std::string::npos)
      << e;
}

// A probe: `path: /healthz` started, and the liveness probe was answered 405.
TEST_F(ConfigTest, TheWebhookPathCannotBeTheServersOwnEndpoint) {
  for (const char* taken : {"/healthz", "/readyz", "/metrics", "/api/events", "/api/rules/reload",
                            "/api/actions/7/retry", "/api/events/EV1"}) {
    std::string e = Error(std::string("sources:\n  openphone:\n    path: ") + taken + "\n");
    EXPECT_NE(e.find(":3:11: sources.openphone.path: '" + std::string(taken) +
                     "' is one of the server's own endpoints"),
              std::string::npos)
        << e;
  }
  for (const char* free : {"/hooks/openphone", "/apis", "/metrics/openphone", "/api/openphone"}) {
    Result<ServerConfig> c = Load(std::string("sources:\n  openphone:\n    path: ") + free + "\n");
    EXPECT_TRUE(c.ok()) << free << ": " << c.status().message();
  }
}

TEST_F(ConfigTest, RejectsWrongNodeKinds) {
  std::string e = Error("- a\n- b\n");
  EXPECT_EQ(e, path_ + ":1:1: expected a mapping of keys");
  e = Error("sources: [a]\n");
  EXPECT_EQ(e, path_ + ":1:10: sources: expected a mapping of keys");
  e = Error("listen: {host: x}\n");
  EXPECT_EQ(e, path_ + ":1:9: listen: expected a single value, not a list or mapping");
  e = Error("rules: [[a]]\n");
  EXPECT_EQ(e, path_ + ":1:9: rules[0]: expected a single value, not a list or mapping");
  e = Error("rules: [\"\"]\n");
  EXPECT_EQ(e, path_ + ":1:9: rules[0]: expected a file or directory path, got an empty string");
}

TEST_F(ConfigTest, RejectsBadVariableReferences) {
  std::string e = Error("database: ${UNCLOSED\n");
  EXPECT_EQ(e, path_ + ":1:11: database: unterminated '${' (write '$${' for a literal '${')");
  e = Error("database: ${1X}\n");
  EXPECT_EQ(e, path_ + ":1:11: database: invalid environment variable name in '${...}'");
}

TEST_F(ConfigTest, YamlSyntaxErrorHasPosition) {
  std::string e = Error("listen: [unclosed\n");
  EXPECT_EQ(e.rfind(path_ + ":", 0), 0u) << e;
  EXPECT_NE(e.find(":2:"), std::string::npos) << e;
}

TEST_F(ConfigTest, MissingFileIsAnIoError) {
  Result<ServerConfig> c = LoadConfig((dir_ / "nope.yaml").string());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIoError);
  EXPECT_NE(c.status().message().find("nope.yaml"), std::string::npos);
}

// Short keys and tokens are weak, not wrong: the configuration takes them and
// `serve` warns at start (the SPEC sets no minimum).
TEST_F(ConfigTest, ShortSigningKeysAndAdminTokensAreAccepted) {
  Result<ServerConfig> c = Load(R"(sources:
  openphone:
    signing_keys: [c2hvcnQ=, whsec_c2hvcnQ=]
admin:
  token: hunter2
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->sources.openphone.signing_keys.size(), 2u);
  EXPECT_EQ(c->sources.openphone.signing_keys[0].bytes, "short");
  EXPECT_TRUE(c->sources.openphone.signing_keys[1].whsec);
  EXPECT_EQ(c->admin.token, "hunter2");
}

TEST_F(ConfigTest, SigningKeyErrorsNeverShowTheKey) {
  env_["BAD_KEY"] = "SuperSecretKeyMaterial!!";
  std::string e = Error(R"(sources:
  openphone:
    signing_keys:
      - c3dpdGNoYm9hcmQtdGVzdC1rZXktMDAwMDAwMDAwMDE=
      - "SuperSecretNotBase64#"
      - ${BAD_KEY}
      - whsec_
)");
  EXPECT_NE(e.find(path_ + ":5:9: sources.openphone.signing_keys[1]: signing key is not valid "
                           "base64"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find(path_ + ":6:9: sources.openphone.signing_keys[2]: "), std::string::npos) << e;
  EXPECT_NE(e.find(path_ + ":7:9: sources.openphone.signing_keys[3]: whsec_ signing key "
                           "decodes to no bytes"),
            std::string::npos)
      << e;
  EXPECT_EQ(e.find("SuperSecret"), std::string::npos) << e;
  EXPECT_EQ(e.find("c3dp"), std::string::npos) << e;
}

TEST_F(ConfigTest, TooManySigningKeys) {
  std::string yaml = "sources:\n  openphone:\n    signing_keys:\n";
  for (int i = 0; i < 11; ++i) yaml += std::string("      - ") + kLegacyKey + "\n";
  std::string e = Error(yaml);
  EXPECT_NE(e.find("sources.openphone.signing_keys: at most 10 signing keys"), std::string::npos)
      << e;
}

TEST_F(ConfigTest, SecretErrorsNeverShowTheSecret) {
  std::string e =
      Error("admin:\n  token: \"hunter2 x\"\nopenphone:\n  api_key: \"my api key\"\n");
  EXPECT_NE(e.find(path_ + ":2:10: admin.token: contains whitespace (value not shown)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find(path_ + ":4:12: openphone.api_key: contains whitespace"), std::string::npos)
      << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
  EXPECT_EQ(e.find("my api key"), std::string::npos) << e;
}

TEST_F(ConfigTest, MisplacedKeysAreNeverShown) {
  // A key under the wrong field, a key used as a mapping key, and a block that bad
  // indentation folded into one scalar.
  std::string e = Error(std::string("sources:\n  openphone:\n    tolerance: ") + kLegacyKey +
                        "\nlisten: " + kBetaSecret + "\n" + kLegacyKey +
                        ": 1\nopenphone:\n  api_key: x\n  api_base: https://x.example\n    " +
                        kLegacyKey + "\n");
  EXPECT_EQ(e.find("c3dp"), std::string::npos) << e;
  EXPECT_NE(e.find(path_ + ":3:16: sources.openphone.tolerance: expected a positive duration"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("44-character value (not shown)"), std::string::npos) << e;
  EXPECT_NE(e.find(path_ + ":5:1: unexpected text where a key was expected"), std::string::npos)
      << e;
  EXPECT_NE(e.find(path_ + ":8:13: openphone.api_base: expected an http:// or https:// URL"),
            std::string::npos)
      << e;
}

TEST_F(ConfigTest, NullValuesKeepDefaults) {
  Result<ServerConfig> c = Load("listen:\nadmin:\n  token:\nsources:\n  openphone: ~\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen.port, 8080);
  EXPECT_EQ(c->admin.token, "");
}

TEST_F(ConfigTest, ShippedExampleLoads) {
  const std::string example = std::string(SWITCHBOARD_SOURCE_DIR) + "/examples/switchboard.yaml";
  Result<ServerConfig> c = LoadConfig(example, [](const char*) { return nullptr; });
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen.ToString(), "127.0.0.1:8080");
  EXPECT_EQ(c->sources.openphone.signing_keys.size(), 1u);  // the demo key only
  EXPECT_TRUE(c->sources.openphone.verify);
  EXPECT_EQ(c->openphone.api_key, "");
  EXPECT_EQ(c->admin.token, "");
  EXPECT_EQ(std::filesystem::path(c->database).filename(), "switchboard.db");
  ASSERT_EQ(c->rules.size(), 1u);
  EXPECT_TRUE(std::filesystem::is_directory(c->rules[0])) << c->rules[0];
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(c->rules[0]) / "opt-out.yaml"));

  c = LoadConfig(example, [](const char* name) -> const char* {
    if (std::string(name) == "OPENPHONE_SIGNING_KEY") return kBetaSecret;
    return nullptr;
  });
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->sources.openphone.signing_keys.size(), 2u);
}

TEST(ParseDuration, AcceptsUnitsAndSums) {
  Duration d;
  ASSERT_TRUE(ParseDuration("500ms", &d));
  EXPECT_EQ(d, milliseconds(500));
  ASSERT_TRUE(ParseDuration("1h30m", &d));
  EXPECT_EQ(d, minutes(90));
  ASSERT_TRUE(ParseDuration("3d", &d));
  EXPECT_EQ(d, hours(72));
  ASSERT_TRUE(ParseDuration("1m1s1ms", &d));
  EXPECT_EQ(d, milliseconds(61001));
  for (const char* bad : {"", "5", "0s", "0h0m", "s", "5x", "5 s", "-5s", "1.5h", "5S",
                          "99999999999999d", "1h 30m", "m5"}) {
    EXPECT_FALSE(ParseDuration(bad, &d)) << bad;
  }
}

TEST(ParseRate, AcceptsCountPerUnit) {
  Rate r;
  ASSERT_TRUE(ParseRate("10/s", &r));
  EXPECT_EQ(r, (Rate{10, seconds(1)}));
  ASSERT_TRUE(ParseRate("5/h", &r));
  EXPECT_EQ(r, (Rate{5, hours(1)}));
  ASSERT_TRUE(ParseRate("60/m", &r));
  EXPECT_EQ(r, (Rate{60, minutes(1)}));
  // The units' words too.
  ASSERT_TRUE(ParseRate("10/sec", &r));
  EXPECT_EQ(r, (Rate{10, seconds(1)}));
  ASSERT_TRUE(ParseRate("600/min", &r));
  EXPECT_EQ(r, (Rate{600, minutes(1)}));
  ASSERT_TRUE(ParseRate("5/hour", &r));
  EXPECT_EQ(r, (Rate{5, hours(1)}));
  ASSERT_TRUE(ParseRate("20/day", &r));
  EXPECT_EQ(r, (Rate{20, hours(24)}));
  for (const char* bad :
       {"", "10", "0/s", "-1/s", "10/", "/s", "10/x", "10/ms", "1.5/s", "10 / s"}) {
    EXPECT_FALSE(ParseRate(bad, &r)) << bad;
  }
}

TEST(ParseSize, AcceptsBytesAndUnits) {
  int64_t n = 0;
  ASSERT_TRUE(ParseSize("1048576", &n));
  EXPECT_EQ(n, 1048576);
  ASSERT_TRUE(ParseSize("1MiB", &n));
  EXPECT_EQ(n, 1048576);
  ASSERT_TRUE(ParseSize("512KiB", &n));
  EXPECT_EQ(n, 524288);
  ASSERT_TRUE(ParseSize("1MB", &n));
  EXPECT_EQ(n, 1000000);
  ASSERT_TRUE(ParseSize("2 kb", &n));
  EXPECT_EQ(n, 2000);
  ASSERT_TRUE(ParseSize("1GiB", &n));
  EXPECT_EQ(n, int64_t{1} << 30);
  for (const char* bad :
       {"", "0", "0MiB", "MiB", "1.5MiB", "-1", "1 XB", "1MiBs", "9999999999999999"}) {
    EXPECT_FALSE(ParseSize(bad, &n)) << bad;
  }
}

}  // namespace
}  // namespace server
}  // namespace switchboard
