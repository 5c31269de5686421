// The safety rules of SPEC.md section 3 (and the secure defaults of section 4), each
// with a test that fails when the rule is broken, against the real `switchboard`
// binary: literal URL hosts and encoded path values, CR/LF in headers, SQL
// identifiers and bound values, secrets kept out of logs/traces/admin API/eval, the
// send_message rate limits, the admin token only in the Authorization header,
// verify:false and missing signing keys warned at start.
//
// Not tested here: "comparison is constant-time" (SPEC 4) is not observable through
// the network in a reliable test; the code uses CRYPTO_memcmp (server/signature.cc
// AnyMatches, server/http_server.cc ConstantTimeEquals for the admin token).
#include <sqlite3.h>
#include <stdlib.h>

#include <set>

#include "hostile_harness.h"

namespace {

using namespace hostile;

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliResult RunCli(const std::string& args, const std::string& env = "") {
  std::string cmd = env + (env.empty() ? "" : " ") + SWITCHBOARD_BIN + std::string(" ") + args + " 2>&1";
  CliResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        std::isxdigit(static_cast<unsigned char>(s[i + 1])) && std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// Query parameters of a request target, decoded.
std::map<std::string, std::vector<std::string>> QueryOf(const std::string& target) {
  std::map<std::string, std::vector<std::string>> q;
  size_t qm = target.find('?');
  if (qm == std::string::npos) return q;
  for (const std::string& kv : SplitOn(target.substr(qm + 1), '&')) {
    size_t eq = kv.find('=');
    q[PercentDecode(kv.substr(0, eq))].push_back(eq == std::string::npos ? "" : PercentDecode(kv.substr(eq + 1)));
  }
  return q;
}

class Security : public ServerFixture {
 protected:
  // Writes `yaml` to dir_/check/<name>.yaml and runs `switchboard check` on it.
  CliResult Check(const std::string& name, const std::string& yaml) {
    fs::create_directories(dir_ / "check");
    fs::path p = dir_ / "check" / (name + ".yaml");
    WriteFileAtomically(p, yaml);
    return RunCli("check " + p.string());
  }

  static std::string HttpRule(const std::string& url, const std::string& extra = "") {
    return "version: 1\n"
           "rules:\n"
           "  - id: hook\n"
           "    event: message.received\n"
           "    actions:\n"
           "      - http:\n"
           "          url: \"" + url + "\"\n" + extra;
  }

  std::vector<RecordedRequest> RequestsTo(const std::string& prefix) {
    std::vector<RecordedRequest> out;
    for (RecordedRequest& r : api_->Requests()) {
      if (r.path.rfind(prefix, 0) == 0) out.push_back(std::move(r));
    }
    return out;
  }
};

// ---- (1) the scheme and host of an http url are literal ----

TEST_F(Security, HttpUrlWithTemplateInSchemeOrHostIsRejectedAtLoad) {
  const std::vector<std::string> bad = {
      "https://{{ facts.text }}.example.com/x",
      "http://{{ facts.text }}/x",
      "{{ facts.text }}/hook",
      "http{{ facts.text }}://example.com/x",
      "http://example.com@{{ facts.text }}/x",
      "http://user:{{ facts.text }}@example.com/x",
      "http://127.0.0.1:{{ facts.text }}/x",
      "http://example.com{{ facts.text }}",
      "http://example.{{ facts.text }}/x",
      "ftp://example.com/{{ facts.text }}",
      "file:///etc/{{ facts.text }}",
  };
  int i = 0;
  for (const std::string& url : bad) {
    SCOPED_TRACE(url);
    CliResult r = Check("bad" + std::to_string(i++), HttpRule(url));
    EXPECT_EQ(r.exit_code, 1) << url << "\n" << r.output;
  }
  CliResult ok = Check("good", HttpRule("https://example.com/x/{{ facts.text }}?q={{ facts.text }}"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST_F(Security, RenderedValuesInUrlPathAndQueryCannotChangeTheDestination) {
  std::string base = "http://127.0.0.1:" + std::to_string(api_->port());
  WriteRules(HttpRule(base + "/hooks/{{ facts.text }}/end?id={{ facts.id }}&q={{ facts.text }}",
                      "          method: GET\n"));
  StartServer();
  const std::vector<std::string> values = {
      "a/b",          "../../admin", "..",         ".",           "x?y=1",           "#frag",
      "user@evil.example", "a b",   "%2F",        "%2e%2e",      "http://evil.example/", "a&id=EVfake",
      "..\\..\\x",    "\xc3\xa9t\xc3\xa9",
  };
  for (size_t i = 0; i < values.size(); ++i) {
    std::string id = "EVurl" + std::to_string(i);
    ASSERT_EQ(SendLegacy(MessageEvent(id, "+15555550100", JsonEscape(values[i]))).status, 200);
  }
  ASSERT_TRUE(api_->WaitForCount(values.size(), 15s)) << "got " << api_->Count();
  std::map<std::string, RecordedRequest> by_id;
  for (RecordedRequest& r : api_->Requests()) {
    auto q = QueryOf(r.path);
    std::string id = q.count("id") ? q["id"][0] : "<none> " + r.path;
    by_id[id] = r;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& v = values[i];
    SCOPED_TRACE("value '" + v + "'");
    std::string id = "EVurl" + std::to_string(i);
    auto it = by_id.find(id);
    ASSERT_NE(it, by_id.end()) << "no request with id=" << id << " reached the literal host";
    EXPECT_EQ(it->second.method, "GET");
    const std::string& target = it->second.path;
    std::string path = target.substr(0, target.find('?'));
    std::vector<std::string> segments = SplitOn(path, '/');
    // "/hooks/<one segment>/end": the value fills exactly one segment.
    EXPECT_EQ(segments.size(), 4u) << "value '" << v << "' changed the path structure: " << target;
    if (segments.size() != 4u) continue;
    EXPECT_EQ(segments[1], "hooks") << target;
    EXPECT_EQ(segments[3], "end") << target;
    EXPECT_EQ(PercentDecode(segments[2]), v) << target;
    EXPECT_NE(segments[2], "..") << "a '..' segment resolves to the parent path: " << target;
    EXPECT_NE(segments[2], ".") << target;
    auto q = QueryOf(target);
    EXPECT_EQ(q["id"].size(), 1u) << "value '" << v << "' injected a query parameter: " << target;
    if (q["id"].size() != 1u) continue;
    EXPECT_EQ(q["id"][0], id) << target;
    EXPECT_EQ(q["q"].size(), 1u) << target;
    if (q["q"].size() != 1u) continue;
    EXPECT_EQ(q["q"][0], v) << target;
    EXPECT_EQ(q.size(), 2u) << target;
  }
}

// ---- (2) a header value with CR or LF fails the action ----

TEST_F(Security, HeaderValueWithLineBreakFailsTheActionAndSendsNothing) {
  std::string base = "http://127.0.0.1:" + std::to_string(api_->port());
  WriteRules(HttpRule(base + "/crlf?id={{ facts.id }}",
                      "          headers:\n"
                      "            X-Note: \"{{ facts.text }}\"\n"
                      "          body: \"x\"\n"));
  config_.max_attempts = 3;
  StartServer();
  struct Case {
    std::string id, text;
  };
  std::vector<Case> cases = {{"EVcrlf1", "a\r\nX-Injected: 1"},
                             {"EVcrlf2", "a\nX-Injected: 2"},
                             {"EVcrlf3", "a\rX-Injected: 3"},
                             {"EVcrlf4", "a\r\n\r\nGET /smuggled HTTP/1.1"}};
  for (const Case& c : cases) {
    ASSERT_EQ(SendLegacy(MessageEvent(c.id, "+15555550100", JsonEscape(c.text))).status, 200);
  }
  ASSERT_EQ(SendLegacy(MessageEvent("EVcrlfok", "+15555550100", "fine")).status, 200);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    Value event = WaitSettled(c.id);
    ASSERT_FALSE(event.is_null());
    const Value* actions = event.Find("actions");
    ASSERT_TRUE(actions && actions->is_array() && actions->as_array().size() == 1) << event.ToJson();
    const Value& a = actions->as_array()[0];
    EXPECT_EQ(Str(a.Find("status")), "dead") << a.ToJson();
    EXPECT_NE(Str(a.Find("last_error")).find("line break"), std::string::npos) << a.ToJson();
  }
  ASSERT_FALSE(WaitSettled("EVcrlfok").is_null());
  std::this_thread::sleep_for(300ms);
  auto got = RequestsTo("/crlf");
  ASSERT_EQ(got.size(), 1u) << "a request with a line break in a header was sent";
  EXPECT_EQ(QueryOf(got[0].path)["id"].at(0), "EVcrlfok");
  EXPECT_EQ(got[0].Header("x-note"), "fine");
  for (const RecordedRequest& r : api_->Requests()) {
    EXPECT_EQ(r.Header("x-injected"), "") << r.path;
    EXPECT_EQ(r.path.find("smuggled"), std::string::npos) << r.path;
  }
}

// ---- (3) SQL identifiers validated, values bound ----

TEST_F(Security, SqlIdentifiersAreValidatedAtLoad) {
  auto rule = [](const std::string& table, const std::string& column) {
    return "version: 1\n"
           "rules:\n"
           "  - id: rec\n"
           "    event: message.received\n"
           "    actions:\n"
           "      - sqlite:\n"
           "          table: '" + table + "'\n"
           "          values:\n"
           "            '" + column + "': \"{{ facts.text }}\"\n";
  };
  struct Case {
    const char* name;
    std::string table, column;
  };
  std::vector<Case> bad = {
      {"table with a statement", "x; DROP TABLE y", "c"},
      {"table with a quote", "x\"y", "c"},
      {"table with a space", "my table", "c"},
      {"column with a statement", "t", "a; DROP TABLE z"},
      {"column with a quote", "t", "a\"b"},
      {"column with a parenthesis", "t", "a)"},
      {"the server's own table", "switchboard_events", "c"},
  };
  int i = 0;
  for (const Case& c : bad) {
    SCOPED_TRACE(c.name);
    CliResult r = Check("sql" + std::to_string(i++), rule(c.table, c.column));
    EXPECT_EQ(r.exit_code, 1) << c.name << "\n" << r.output;
  }
  CliResult ok = Check("sqlok", rule("received", "text"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  // A template in the table name is refused too.
  CliResult tpl = Check("sqltpl", rule("t_{{ facts.text }}", "c"));
  EXPECT_EQ(tpl.exit_code, 1) << tpl.output;
}

std::vector<std::string> Column(const fs::path& db_file, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_file;
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt, 0);
      out.push_back(t ? reinterpret_cast<const char*>(t) : "<null>");
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST_F(Security, SqlValuesAreBoundAndStayLiteral) {
  fs::path ext = dir_ / "external.db";
  WriteRules("version: 1\n"
             "rules:\n"
             "  - id: rec\n"
             "    event: message.received\n"
             "    actions:\n"
             "      - sqlite:\n"
             "          table: received\n"
             "          values:\n"
             "            event_id: \"{{ facts.id }}\"\n"
             "            text: \"{{ facts.text }}\"\n"
             "      - sqlite:\n"
             "          database: " + ext.string() + "\n"
             "          table: received_ext\n"
             "          values:\n"
             "            event_id: \"{{ facts.id }}\"\n"
             "            text: \"{{ facts.text }}\"\n");
  StartServer();
  const std::vector<std::string> texts = {
      "'); DROP TABLE received; --",
      "\" OR 1=1 --",
      "x'); INSERT INTO received (event_id, text) VALUES ('forged', 'forged'); --",
      "Robert'); DROP TABLE switchboard_events;--",
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(SendLegacy(MessageEvent("EVsql" + std::to_string(i), "+15555550100", JsonEscape(texts[i]))).status,
              200);
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    Value e = WaitSettled("EVsql" + std::to_string(i));
    ASSERT_FALSE(e.is_null());
    for (const Value& a : e.Find("actions")->as_array()) EXPECT_EQ(Str(a.Find("status")), "done") << a.ToJson();
  }
  ASSERT_EQ(server_.Stop(), 0);
  std::vector<std::string> expected = texts;
  std::sort(expected.begin(), expected.end());
  for (const auto& [file, table] : {std::make_pair(db_path(), std::string("received")),
                                    std::make_pair(ext, std::string("received_ext"))}) {
    std::vector<std::string> got = Column(file, "SELECT text FROM " + table + " ORDER BY text");
    EXPECT_EQ(got, expected) << table;
    EXPECT_TRUE(Column(file, "SELECT event_id FROM " + table + " WHERE event_id = 'forged'").empty());
  }
  EXPECT_EQ(Column(db_path(), "SELECT count(*) FROM switchboard_events").at(0), "4");
}

// ---- (4) secrets never appear in logs, traces, the admin API or eval ----

const char kApiKeySecret[] = "opk_SECRET_API_KEY_9f8e7d6c";
const char kAdminSecret[] = "adm_SECRET_TOKEN_1a2b3c4d5e";
const char kEnvSecret[] = "envSECRETvalue_55aa77bb";
const char kAuthSecret[] = "literalAUTHsecret_77cc";

std::vector<std::string> AllSecrets() {
  return {kApiKeySecret, kAdminSecret, kEnvSecret, kAuthSecret, kLegacyKeyText, kWhsecText,
          std::string(kWhsecText).substr(6), kLegacyKeyBytes, kWhsecBytes};
}

std::string SecretRules(const std::string& base) {
  return "version: 1\n"
         "rules:\n"
         "  - id: secretive\n"
         "    event: message.received\n"
         "    actions:\n"
         "      - http:\n"
         "          url: \"" + base + "/secret?id={{ facts.id }}&k={{ env.SECRET_TOKEN }}\"\n"
         "          headers:\n"
         "            X-Token: \"{{ env.SECRET_TOKEN }}\"\n"
         "            Authorization: \"Bearer " + kAuthSecret + "\"\n"
         "          body:\n"
         "            text: \"{{ facts.text }}\"\n"
         "            token: \"{{ env.SECRET_TOKEN }}\"\n"
         "      - log: { message: \"token is {{ env.SECRET_TOKEN }}\" }\n"
         "      - openphone.send_message:\n"
         "          to: \"{{ facts.contact }}\"\n"
         "          content: \"Thanks ({{ env.SECRET_TOKEN | length }})\"\n"
         "      - http:\n"
         "          url: \"http://127.0.0.1:1/unreachable?k={{ env.SECRET_TOKEN }}\"\n"
         "          headers:\n"
         "            Authorization: \"{{ env.SECRET_TOKEN }}\"\n";
}

void ExpectNoSecret(const std::string& where, const std::string& text) {
  for (const std::string& s : AllSecrets()) {
    EXPECT_EQ(text.find(s), std::string::npos) << "secret '" << s << "' appears in " << where << ":\n"
                                               << text.substr(0, 4000);
  }
}

TEST_F(Security, SecretsNeverAppearInLogsTracesOrTheAdminApi) {
  ::setenv("SECRET_TOKEN", kEnvSecret, 1);
  config_.api_key = kApiKeySecret;
  config_.admin_token = kAdminSecret;
  config_.max_attempts = 2;
  WriteRules(SecretRules(api_->base_url()));
  StartServer();
  // A bad admin attempt and a bad signature: their log lines must not echo secrets.
  Get("/api/events", {{"Authorization", std::string("Bearer ") + kAdminSecret + "x"}});
  Get(std::string("/api/events?token=") + kAdminSecret);
  std::string body = MessageEvent("EVsecret1", "+15555550100", "hello");
  ASSERT_EQ(SendLegacy(body).status, 200);
  ASSERT_EQ(PostWebhook(body, {{"openphone-signature", std::string("hmac;1;1;") + kLegacyKeyText}}).status, 401);
  Value event = WaitSettled("EVsecret1", 20s);
  ASSERT_FALSE(event.is_null());
  // The secrets were really used.
  auto secret_calls = RequestsTo("/secret");
  ASSERT_EQ(secret_calls.size(), 1u);
  EXPECT_EQ(secret_calls[0].Header("x-token"), kEnvSecret);
  EXPECT_EQ(secret_calls[0].Header("authorization"), std::string("Bearer ") + kAuthSecret);
  auto sends = Sends();
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].Header("authorization"), kApiKeySecret);

  ExpectNoSecret("GET /api/events/EVsecret1", event.ToJson());
  EXPECT_NE(event.ToJson().find("[redacted]"), std::string::npos) << event.ToJson();
  for (const std::string& target : {"/api/events", "/api/actions", "/api/actions?status=dead",
                                    "/api/actions?status=done", "/api/rules"}) {
    HttpAnswer a = Admin("GET", target);
    EXPECT_EQ(a.status, 200) << target << ": " << a;
    ExpectNoSecret("GET " + target, a.body);
  }
  HttpAnswer metrics = Get("/metrics");
  ExpectNoSecret("GET /metrics", metrics.body);
  HttpAnswer reload = Admin("POST", "/api/rules/reload");
  ExpectNoSecret("POST /api/rules/reload", reload.body);
  // The unreachable action is dead-lettered (its error is logged).
  ASSERT_TRUE(WaitFor([&] { return ReadFile(log_path()).find("dead-lettered") != std::string::npos; }, 10s));
  server_.Stop();
  std::string log = ReadFile(log_path());
  // The log action's message uses env.*: it is logged redacted (whole or in part).
  EXPECT_NE(log.find("rule log: "), std::string::npos) << log;
  EXPECT_NE(log.find("[redacted]"), std::string::npos) << log;
  ExpectNoSecret("the server log", log);
  // Nor in the database file the operator may share for debugging (redacted params
  // are stored separately; the real ones are needed to run the action).
  for (const std::string& sql : {"SELECT redacted_params FROM switchboard_actions",
                                 "SELECT last_error FROM switchboard_actions", "SELECT trace FROM switchboard_events"}) {
    std::string all;
    for (const std::string& v : Column(db_path(), sql)) all += v + "\n";
    ExpectNoSecret(sql, all);
  }
  ::unsetenv("SECRET_TOKEN");
}

// An endpoint that echoes the credentials it received in its error answer: the
// error is kept (last_error) and logged, but the secret must not be.
TEST_F(Security, SecretEchoedBackByAFailingEndpointIsNotExposed) {
  ::setenv("SECRET_TOKEN", kEnvSecret, 1);
  config_.api_key = kApiKeySecret;
  config_.max_attempts = 1;
  api_->Script({FakeOpenPhone::Error(401, std::string("invalid token ") + kEnvSecret, "0100401"),
                FakeOpenPhone::Error(401, std::string("invalid api key ") + kApiKeySecret, "0100401")});
  WriteRules("version: 1\n"
             "rules:\n"
             "  - id: echo\n"
             "    event: message.received\n"
             "    actions:\n"
             "      - http:\n"
             "          url: \"" + api_->base_url() + "/echo\"\n"
             "          headers: { X-Token: \"{{ env.SECRET_TOKEN }}\" }\n"
             "      - openphone.send_message:\n"
             "          to: \"{{ facts.contact }}\"\n"
             "          content: \"hi\"\n");
  StartServer();
  ASSERT_EQ(SendLegacy(MessageEvent("EVecho", "+15555550100")).status, 200);
  Value event = WaitSettled("EVecho");
  ASSERT_FALSE(event.is_null());
  ExpectNoSecret("GET /api/events/EVecho", event.ToJson());
  ExpectNoSecret("GET /api/actions?status=dead", Admin("GET", "/api/actions?status=dead").body);
  server_.Stop();
  ExpectNoSecret("the server log", ReadFile(log_path()));
  ::unsetenv("SECRET_TOKEN");
}

// An env value inside a longer parameter ("tok-{{ env.X }}"): an endpoint that
// echoes the value alone must not expose it (only whole parameter values were
// scrubbed).
TEST_F(Security, AnEnvValueInsideALongerParameterEchoedBackIsNotExposed) {
  ::setenv("SECRET_TOKEN", kEnvSecret, 1);
  config_.max_attempts = 1;
  api_->Script({FakeOpenPhone::Status(403, std::string("unknown key ") + kEnvSecret + ", sorry")});
  WriteRules("version: 1\n"
             "rules:\n"
             "  - id: echo\n"
             "    event: message.received\n"
             "    actions:\n"
             "      - http:\n"
             "          url: \"" + api_->base_url() + "/echo\"\n"
             "          headers: { X-Token: \"tok-{{ env.SECRET_TOKEN }}-v2\" }\n");
  StartServer();
  ASSERT_EQ(SendLegacy(MessageEvent("EVechoenv", "+15555550100")).status, 200);
  Value event = WaitSettled("EVechoenv");
  ASSERT_FALSE(event.is_null());
  const std::string dead = Admin("GET", "/api/actions?status=dead").body;
  EXPECT_NE(dead.find("unknown key [redacted], sorry"), std::string::npos) << dead;
  ExpectNoSecret("GET /api/actions?status=dead", dead);
  ExpectNoSecret("GET /api/events/EVechoenv", event.ToJson());
  server_.Stop();
  ExpectNoSecret("the server log", ReadFile(log_path()));
  ::unsetenv("SECRET_TOKEN");
}

// A literal Authorization header with a scheme ("Token ..."): an endpoint
// that echoes the credential without its scheme must not expose it either.
TEST_F(Security, ACredentialEchoedWithoutItsSchemeIsNotExposed) {
  const std::string credential = "tok-SECRET-777-literal";
  config_.max_attempts = 1;
  api_->Script({FakeOpenPhone::Status(403, "bad token " + credential + " for this hook")});
  WriteRules("version: 1\n"
             "rules:\n"
             "  - id: echo\n"
             "    event: message.received\n"
             "    actions:\n"
             "      - http:\n"
             "          url: \"" + api_->base_url() + "/echo\"\n"
             "          headers: { Authorization: \"Token " + credential + "\" }\n");
  StartServer();
  ASSERT_EQ(SendLegacy(MessageEvent("EVechotok", "+15555550100")).status, 200);
  Value event = WaitSettled("EVechotok");
  ASSERT_FALSE(event.is_null());
  const std::string dead = Admin("GET", "/api/actions?status=dead").body;
  EXPECT_NE(dead.find("bad token [redacted] for this hook"), std::string::npos) << dead;
  EXPECT_EQ(dead.find(credential), std::string::npos) << dead;
  EXPECT_EQ(event.ToJson().find(credential), std::string::npos) << event.ToJson();
  server_.Stop();
  EXPECT_EQ(ReadFile(log_path()).find(credential), std::string::npos) << ReadFile(log_path());
}

TEST_F(Security, EvalJsonRedactsSecrets) {
  fs::path rules = dir_ / "eval-rules.yaml";
  WriteFileAtomically(rules, SecretRules("https://hooks.example.com"));
  fs::path event = dir_ / "event.json";
  WriteFileAtomically(event, MessageEvent("EVeval", "+15555550100"));
  CliResult r = RunCli("eval --rules " + rules.string() + " --event " + event.string() + " --json",
                       std::string("SECRET_TOKEN=") + kEnvSecret);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[redacted]"), std::string::npos) << r.output;
  ExpectNoSecret("switchboard eval --json", r.output);
  CliResult text = RunCli("eval --rules " + rules.string() + " --event " + event.string() + " --explain",
                          std::string("SECRET_TOKEN=") + kEnvSecret);
  ASSERT_EQ(text.exit_code, 0) << text.output;
  ExpectNoSecret("switchboard eval --explain", text.output);
}

// ---- (5) send_message rate limits ----

std::string ReplyRule() {
  return "version: 1\n"
         "rules:\n"
         "  - id: reply\n"
         "    event: message.received\n"
         "    actions:\n"
         "      - openphone.send_message:\n"
         "          to: \"{{ facts.contact }}\"\n"
         "          content: \"Thanks\"\n";
}

TEST_F(Security, SendMessageIsRateLimitedPerApiKey) {
  config_.rate_limit = "10/s";
  config_.per_contact_limit = "1000/h";
  WriteRules(ReplyRule());
  StartServer();
  constexpr int kN = 30;
  for (int i = 0; i < kN; ++i) {
    char contact[20];
    std::snprintf(contact, sizeof contact, "+1555555%04d", 1000 + i);
    ASSERT_EQ(SendLegacy(MessageEvent("EVrate" + std::to_string(i), contact)).status, 200);
  }
  ASSERT_TRUE(api_->WaitForCount(kN, 20s)) << api_->Count();
  auto sends = Sends();
  ASSERT_EQ(sends.size(), static_cast<size_t>(kN));
  std::vector<std::chrono::steady_clock::time_point> at;
  for (const auto& s : sends) at.push_back(s.at);
  std::sort(at.begin(), at.end());
  size_t worst = 0;
  for (size_t i = 0; i < at.size(); ++i) {
    size_t j = i;
    while (j < at.size() && at[j] - at[i] < 1s) ++j;
    worst = std::max(worst, j - i);
  }
  auto span = std::chrono::duration_cast<std::chrono::milliseconds>(at.back() - at.front());
  RecordProperty("max_sends_in_1s", static_cast<int>(worst));
  EXPECT_LE(worst, 11u) << "sends in the busiest 1 s window (limit 10/s); span " << span.count() << " ms";
  EXPECT_GE(span.count(), 2500) << "30 sends at 10/s need about 3 s";
}

TEST_F(Security, SendMessageIsRateLimitedPerContact) {
  config_.rate_limit = "1000/s";
  config_.per_contact_limit = "5/h";
  WriteRules(ReplyRule());
  StartServer();
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(SendLegacy(MessageEvent("EVpc" + std::to_string(i), "+15555550123")).status, 200);
  }
  int done = 0, dead = 0;
  for (int i = 0; i < 7; ++i) {
    Value e = WaitSettled("EVpc" + std::to_string(i));
    ASSERT_FALSE(e.is_null());
    const Value& a = e.Find("actions")->as_array().at(0);
    std::string status = Str(a.Find("status"));
    if (status == "done") ++done;
    if (status == "dead") {
      ++dead;
      EXPECT_NE(Str(a.Find("last_error")).find("per-contact"), std::string::npos) << a.ToJson();
    }
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(Sends().size(), 5u);
  EXPECT_EQ(done, 5);
  EXPECT_EQ(dead, 2);
  // Another contact is not affected.
  ASSERT_EQ(SendLegacy(MessageEvent("EVpcother", "+15555550124")).status, 200);
  EXPECT_TRUE(api_->WaitForCount(6, 10s));
}

// ---- (7) the admin token only in the Authorization header ----

TEST_F(Security, AdminTokenIsAcceptedOnlyInTheAuthorizationHeader) {
  StartServer();
  for (const std::string& q : {"token", "access_token", "api_key"}) {
    EXPECT_EQ(Get("/api/rules?" + q + "=" + config_.admin_token).status, 401) << q;
  }
  EXPECT_EQ(Get("/api/rules", {{"X-Admin-Token", config_.admin_token}}).status, 401);
  EXPECT_EQ(Get("/api/rules", {{"Cookie", "token=" + config_.admin_token}}).status, 401);
  EXPECT_EQ(Get("/api/rules", {{"Authorization", config_.admin_token}}).status, 401);
  EXPECT_EQ(Get("/api/rules", {{"Authorization", "Bearer " + config_.admin_token}}).status, 200);
  // Empty token: the admin API is disabled, not open.
  server_.Kill();
  config_.admin_token = "";
  StartServer();
  EXPECT_EQ(Get("/api/rules").status, 404);
  EXPECT_EQ(Get("/api/rules", {{"Authorization", "Bearer "}}).status, 404);
  EXPECT_EQ(Get("/api/rules", {{"Authorization", "Bearer"}}).status, 404);
}

// ---- (8) verification off / no keys: warned at start ----

TEST_F(Security, VerifyFalseIsWarnedAtStart) {
  config_.verify = false;
  StartServer();
  std::string log = ReadFile(log_path());
  EXPECT_NE(log.find("warning"), std::string::npos) << log;
  EXPECT_NE(log.find("verify"), std::string::npos) << log;
  // As configured, unsigned events are taken.
  EXPECT_EQ(PostWebhook(MessageEvent("EVnoverify", "+15555550100"), {}).status, 200);
}

TEST_F(Security, NoSigningKeysRefusesEveryWebhookAndWarns) {
  config_.signing_keys.clear();
  StartServer();
  std::string log = ReadFile(log_path());
  EXPECT_NE(log.find("warning"), std::string::npos) << log;
  EXPECT_NE(log.find("401"), std::string::npos) << log;
  std::string body = MessageEvent("EVnokey", "+15555550100");
  EXPECT_EQ(PostWebhook(body, {}).status, 401);
  EXPECT_EQ(SendLegacy(body).status, 401);
  int64_t ts = NowMs() / 1000;
  EXPECT_EQ(PostWebhook(body, {{"webhook-id", "m1"},
                               {"webhook-timestamp", std::to_string(ts)},
                               {"webhook-signature", SignStandard(whsec_, "m1", ts, body)}})
                .status,
            401);
  // An all-empty signing key list from unset variables is the same as none.
  EXPECT_EQ(Admin("GET", "/api/events/EVnokey").status, 404);
}

// Defaults: `switchboard serve` with no signing key set through ${VAR} still starts
// and refuses webhooks.
TEST_F(Security, UnsetSigningKeyVariableMeansNoKey) {
  config_.signing_keys.clear();
  WriteConfig();
  std::string config = ReadFile(config_path());
  config.replace(config.find("    tolerance"), 0,
                 "    signing_keys: [\"${SWITCHBOARD_TEST_UNSET_KEY_VAR}\"]\n");
  ::unsetenv("SWITCHBOARD_TEST_UNSET_KEY_VAR");
  WriteFileAtomically(config_path(), config);
  ASSERT_TRUE(server_.Spawn({"serve", "--config", config_path().string()}, log_path().string()));
  ASSERT_TRUE(WaitFor([&] { return !server_.running() || Get("/readyz").status == 200; }, 10s));
  ASSERT_TRUE(server_.running()) << ReadFile(log_path());
  EXPECT_EQ(SendLegacy(MessageEvent("EVunset", "+15555550100")).status, 401);
  EXPECT_NE(ReadFile(log_path()).find("warning"), std::string::npos);
}

}  // namespace
