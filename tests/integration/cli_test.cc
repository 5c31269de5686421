// The `switchboard` command line as a user runs it: the real binary on real
// files, asserting exit codes and what goes to stdout and stderr.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("switchboard-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  RunResult Switchboard(const std::string& args, const std::string& input = "/dev/null") {
    fs::path out = dir_ / "stdout.txt";
    fs::path err = dir_ / "stderr.txt";
    std::string command = std::string(SWITCHBOARD_BIN) + " " + args + " >" + out.string() +
                          " 2>" + err.string() + " <" + input;
    int status = std::system(command.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  fs::path dir_;
};

const char kGoodRules[] = R"(version: 1
vars:
  company: Acme
rules:
  - id: hours
    event: message.received
    when:
      facts.text: { matches: '(?i)\bhours\b' }
    actions:
      - openphone.send_message:
          to: "{{ facts.contact }}"
          content: "{{ vars.company }} is open 9-5"
  - id: never
    event: message.received
    when:
      facts.text: { equals: "nothing like this" }
    actions:
      - log: { message: "never" }
tests:
  - name: hours question
    event: event.json
    expect: { fired: [hours] }
  - name: other text
    event: event.json
    set: { data.object.text: "hello" }
    expect: { fired: [] }
)";

const char kEvent[] = R"({"id":"EV1","object":"event","apiVersion":"v4","createdAt":"2026-01-05T15:04:05.000Z","type":"message.received","data":{"object":{"id":"AC1","object":"message","from":"+15555550100","to":["+15555550199"],"direction":"incoming","text":"What are your hours?","phoneNumberId":"PN1"}}})";

TEST_F(Cli, CheckValidRulesExitsZero) {
  Write("event.json", kEvent);
  RunResult r = Switchboard("check " + Write("rules.yaml", kGoodRules));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OK"), std::string::npos);
  EXPECT_EQ(r.err, "");
}

TEST_F(Cli, CheckInvalidRulesPrintsPositionAndSnippetAndExitsOne) {
  std::string file = Write("bad.yaml",
                           "version: 1\n"
                           "rules:\n"
                           "  - id: hours\n"
                           "    event: message.received\n"
                           "    when:\n"
                           "      facts.text: { match: 'x' }\n"
                           "    actions:\n"
                           "      - log: { message: hi }\n");
  RunResult r = Switchboard("check " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ":6:21: rule 'hours': unknown operator 'match' (did you mean "
                              "'matches'?)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("facts.text: { match: 'x' }"), std::string::npos);
  EXPECT_NE(r.err.find("^"), std::string::npos);
  EXPECT_EQ(r.out, "");
}

TEST_F(Cli, CheckReportsInvalidYamlWithPosition) {
  std::string file = Write("broken.yaml", "version: 1\nrules:\n  - id: [x\n");
  RunResult r = Switchboard("check " + file);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ":"), std::string::npos);
  EXPECT_NE(r.err.find("invalid YAML"), std::string::npos) << r.err;
}

TEST_F(Cli, CheckWithoutPathsIsUsageError) {
  RunResult r = Switchboard("check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("usage"), std::string::npos);
}

TEST_F(Cli, CheckMissingPathExitsOne) {
  RunResult r = Switchboard("check " + (dir_ / "nope.yaml").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no such file"), std::string::npos);
}

TEST_F(Cli, HelpOnEveryCommandExitsZero) {
  for (const char* command : {"check", "test", "eval"}) {
    RunResult r = Switchboard(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find("usage: switchboard " + std::string(command)), std::string::npos);
  }
  EXPECT_EQ(Switchboard("--help").exit_code, 0);
  EXPECT_EQ(Switchboard("frobnicate").exit_code, 2);
}

TEST_F(Cli, TestPrintsOneLinePerTestAndSummary) {
  Write("event.json", kEvent);
  RunResult r = Switchboard("test " + Write("rules.yaml", kGoodRules));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS"), std::string::npos);
  EXPECT_NE(r.out.find("hours question"), std::string::npos);
  EXPECT_NE(r.out.find("\n2 passed, 0 failed\n"), std::string::npos) << r.out;
}

TEST_F(Cli, TestFailureExitsOneAndSaysWhy) {
  Write("event.json", kEvent);
  std::string rules = kGoodRules;
  rules += "  - name: wrong expectation\n    event: event.json\n    expect: { fired: [never] }\n";
  RunResult r = Switchboard("test " + Write("rules.yaml", rules));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAIL"), std::string::npos);
  EXPECT_NE(r.out.find("wrong expectation"), std::string::npos);
  EXPECT_NE(r.out.find("expected [never] to fire, got [hours]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 passed, 1 failed"), std::string::npos);
}

TEST_F(Cli, EvalJsonHasEventFiredAndNotFired) {
  std::string event = Write("event.json", kEvent);
  std::string rules = Write("rules.yaml", kGoodRules);
  RunResult r = Switchboard("eval --rules " + rules + " --event " + event + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("event":{"id":"EV1","type":"message.received","facts":{)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("contact":"+15555550100")"), std::string::npos);
  EXPECT_NE(r.out.find(R"("fired":[{"rule":"hours","actions":[{"type":"openphone.send_message","params":{"to":"+15555550100","content":"Acme is open 9-5","from":"PN1"}}]}])"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("not_fired":[{"rule":"never","reason":"facts.text equals \"nothing like this\": \"What are your hours?\""}])"),
            std::string::npos)
      << r.out;
}

// `--event -` reads the event from standard input (jq .payload ... | eval).
TEST_F(Cli, EvalReadsTheEventFromStandardInput) {
  std::string event = Write("event.json", kEvent);
  std::string rules = Write("rules.yaml", kGoodRules);
  RunResult r = Switchboard("eval --rules " + rules + " --event - --json", event);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("fired":[{"rule":"hours")"), std::string::npos) << r.out;
  RunResult empty = Switchboard("eval --rules " + rules + " --event -");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("not valid JSON"), std::string::npos) << empty.err;
  // `send -` too: read, then posted (nothing listens on port 9).
  RunResult send = Switchboard("send - --url http://127.0.0.1:9/webhooks/openphone", event);
  EXPECT_EQ(send.exit_code, 1);
  EXPECT_EQ(send.err.find("unknown option"), std::string::npos) << send.err;
  EXPECT_NE(send.err.find("127.0.0.1:9"), std::string::npos) << send.err;
}

TEST_F(Cli, EvalExplainAddsConditionAndActualValue) {
  std::string event = Write("event.json", kEvent);
  std::string rules = Write("rules.yaml", kGoodRules);
  RunResult r = Switchboard("eval --rules " + rules + " --event " + event + " --explain");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fired hours"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not fired never: facts.text equals \"nothing like this\": \"What are your hours?\""),
            std::string::npos)
      << r.out;
  RunResult j = Switchboard("eval --rules " + rules + " --event " + event + " --json --explain");
  EXPECT_NE(j.out.find(R"("condition":"facts.text equals \"nothing like this\"","actual":"What are your hours?")"),
            std::string::npos)
      << j.out;
  // A rule stopped by another failed no condition: no empty "condition" (a probe).
  std::string stopping = Write("stop.yaml", R"(version: 1
rules:
  - id: first
    event: message.received
    priority: 5
    stop: true
    actions: [{log: {message: a}}]
  - id: later
    event: message.received
    actions: [{log: {message: b}}]
)");
  RunResult stopped = Switchboard("eval --rules " + stopping + " --event " + event + " --json --explain");
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find(R"({"rule":"later","reason":"stopped by rule 'first'"})"),
            std::string::npos)
      << stopped.out;
}

TEST_F(Cli, EvalInvalidEventJsonExitsOne) {
  std::string rules = Write("rules.yaml", kGoodRules);
  Write("event.json", kEvent);
  RunResult r = Switchboard("eval --rules " + rules + " --event " + Write("bad.json", "{\"id\": "));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(Cli, EvalRulesThatDoNotLoadExitOne) {
  std::string event = Write("event.json", kEvent);
  RunResult r = Switchboard("eval --rules " + Write("r.yaml", "version: 2\n") + " --event " + event);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unsupported rule format version"), std::string::npos) << r.err;
}

TEST_F(Cli, EvalUsageErrorsExitTwo) {
  EXPECT_EQ(Switchboard("eval").exit_code, 2);
  EXPECT_EQ(Switchboard("eval --rules x.yaml").exit_code, 2);
  EXPECT_EQ(Switchboard("eval --rules x.yaml --event e.json --bogus").exit_code, 2);
  RunResult twice = Switchboard("eval --rules x.yaml --event a.json --event b.json");
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("--event is given twice"), std::string::npos) << twice.err;
  RunResult no_value = Switchboard("eval --rules --event e.json");
  EXPECT_EQ(no_value.exit_code, 2);
  EXPECT_NE(no_value.err.find("--rules needs a value"), std::string::npos) << no_value.err;
}

TEST_F(Cli, RepeatedOrMissingOptionValuesAreUsageErrors) {
  RunResult since = Switchboard("replay --database d.db --rules r --since 2026-01-01 "
                                "--since 2026-02-01");
  EXPECT_EQ(since.exit_code, 2);
  EXPECT_NE(since.err.find("--since is given twice"), std::string::npos) << since.err;
  RunResult database = Switchboard("replay --database d.db --rules r --database e.db");
  EXPECT_EQ(database.exit_code, 2);
  EXPECT_NE(database.err.find("--database is given twice"), std::string::npos) << database.err;
  RunResult no_value = Switchboard("replay --database --rules r");
  EXPECT_EQ(no_value.exit_code, 2);
  EXPECT_NE(no_value.err.find("--database needs a value"), std::string::npos) << no_value.err;
  RunResult flag = Switchboard("eval --rules r.yaml --event e.json --json=yes");
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("switchboard eval: --json takes no value"), std::string::npos)
      << flag.err;
  RunResult config = Switchboard("serve --config");
  EXPECT_EQ(config.exit_code, 2);
  EXPECT_NE(config.err.find("--config needs a value"), std::string::npos) << config.err;
  RunResult config_twice = Switchboard("serve --config a.yaml --config b.yaml");
  EXPECT_EQ(config_twice.exit_code, 2);
  EXPECT_NE(config_twice.err.find("--config is given twice"), std::string::npos)
      << config_twice.err;
  // An empty value is no value: `serve --config=` started on the defaults,
  // with a database in the working directory.
  for (const char* empty : {"serve --config=", "serve --config ''"}) {
    RunResult r = Switchboard(empty);
    EXPECT_EQ(r.exit_code, 2) << empty;
    EXPECT_NE(r.err.find("--config needs a value"), std::string::npos) << empty << ": " << r.err;
  }
  RunResult rules = Switchboard("eval --rules= --event e.json");
  EXPECT_EQ(rules.exit_code, 2);
  EXPECT_NE(rules.err.find("--rules needs a value"), std::string::npos) << rules.err;
  RunResult database_empty = Switchboard("replay --database= --rules r");
  EXPECT_EQ(database_empty.exit_code, 2);
  EXPECT_NE(database_empty.err.find("--database needs a value"), std::string::npos)
      << database_empty.err;
  // SPEC: send exits 1 on everything but a 2xx answer, usage errors included.
  RunResult send_flag = Switchboard("send e.json --url http://127.0.0.1:1/ --help=x");
  EXPECT_EQ(send_flag.exit_code, 1);
  EXPECT_NE(send_flag.err.find("--help takes no value"), std::string::npos) << send_flag.err;
}

// A directory where a file is expected is an error, not an empty file: serve
// must not start on defaults, send must not post an empty body.
TEST_F(Cli, ADirectoryGivenAsAFileIsRefused) {
  const std::string dir = dir_.string();
  RunResult serve = Switchboard("serve --config " + dir);
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_NE(serve.err.find("Is a directory"), std::string::npos) << serve.err;
  RunResult send = Switchboard("send " + dir + " --url http://127.0.0.1:9/webhooks/openphone");
  EXPECT_EQ(send.exit_code, 1);
  EXPECT_NE(send.err.find("cannot read '" + dir + "': Is a directory"), std::string::npos)
      << send.err;
  std::string rules = Write("rules.yaml", kGoodRules);
  RunResult eval = Switchboard("eval --rules " + rules + " --event " + dir);
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_NE(eval.err.find("cannot read '" + dir + "': Is a directory"), std::string::npos)
      << eval.err;
}

TEST_F(Cli, OptionsTakeTheirValueAfterAnEqualsSign) {
  std::string event = Write("event.json", kEvent);
  std::string rules = Write("rules.yaml", kGoodRules);
  RunResult r = Switchboard("eval --rules=" + rules + " --event=" + event + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("fired":[{"rule":"hours")"), std::string::npos) << r.out;
}

// Text output keeps one parameter per line; --explain leaves out the actual value
// of a missing path and cuts a long one.
TEST_F(Cli, EvalOutputStaysOneLinePerParameterAndBoundsActualValues) {
  std::string event = Write(
      "event.json",
      R"({"id":"EV1","type":"message.received","data":{"object":{"object":"message",)"
      R"("direction":"incoming","from":"+15555550100","text":"two\nlines )" +
          std::string(3000, 'x') + R"("}}})");
  std::string rules = Write("rules.yaml", R"(version: 1
rules:
  - id: echo
    event: message.received
    actions: [{log: {message: "{{ facts.text | truncate(12) }}"}}]
  - id: missing
    event: message.received
    when: { data.object.nothing: { equals: x } }
    actions: [{log: {message: x}}]
  - id: long
    event: message.received
    when: { facts.text: { equals: x } }
    actions: [{log: {message: x}}]
)");
  RunResult text = Switchboard("eval --rules " + rules + " --event " + event);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("message: two\\nlines"), std::string::npos) << text.out;
  RunResult j = Switchboard("eval --rules " + rules + " --event " + event + " --json --explain");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find(
                R"j({"rule":"missing","reason":"data.object.nothing equals \"x\": (missing)","condition":"data.object.nothing equals \"x\""})j"),
            std::string::npos)
      << j.out;
  const size_t long_at = j.out.find(R"("rule":"long")");
  ASSERT_NE(long_at, std::string::npos) << j.out;
  const std::string actual = j.out.substr(j.out.find(R"("actual":")", long_at));
  EXPECT_LT(actual.find('}'), 1024u + 40u) << actual.substr(0, 80);
  EXPECT_NE(actual.find(R"(xxx...")"), std::string::npos) << actual.substr(0, 80);
}

// SPEC: `test` prints one line per test. Names, ids and reasons come from rule
// files and events and may hold line breaks: they are written as \n.
TEST_F(Cli, TestAndEvalLinesStayOneLineWhateverTheNamesHold) {
  std::string event = Write("event.json",
                            R"({"id":"EV\n1","type":"message.received","data":{"object":{)"
                            R"("object":"message","direction":"incoming","text":"a\nb"}}})");
  std::string rules = Write("rules.yaml", R"(version: 1
rules:
  - id: r
    event: message.received
    when: { facts.text: { matches: 'x\b' } }
    actions: [{log: {message: x}}]
tests:
  - name: "two\nlines"
    event: event.json
    expect: { fired: [r] }
)");
  RunResult t = Switchboard("test " + rules);
  EXPECT_EQ(t.exit_code, 1) << t.out << t.err;
  ASSERT_NE(t.out.find("FAIL "), std::string::npos) << t.out;
  const std::string fail_line = t.out.substr(t.out.find("FAIL "));
  EXPECT_EQ(fail_line.substr(0, fail_line.find('\n')).find("two\\nlines: expected [r] to fire"),
            fail_line.find("two\\nlines")) << t.out;
  EXPECT_NE(t.out.find("\n0 passed, 1 failed\n"), std::string::npos) << t.out;

  RunResult e = Switchboard("eval --explain --rules " + rules + " --event " + event);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out.rfind("event EV\\n1 (message.received)\n", 0), 0u) << e.out;
  // A reason keeps the pattern's backslash single, and its value on the line.
  EXPECT_NE(e.out.find("not fired r: facts.text matches 'x\\b': \"a\\nb\"\n"),
            std::string::npos)
      << e.out;
}

// Rule-file mistakes that once loaded silently.
TEST_F(Cli, CheckRefusesASecondYamlDocumentAndANonObjectTestEvent) {
  RunResult multi = Switchboard(
      "check " + Write("multi.yaml", "version: 1\nrules: []\n---\nrules:\n  - id: x\n"));
  EXPECT_EQ(multi.exit_code, 1);
  EXPECT_NE(multi.err.find("multi.yaml:4:1: a rule file holds one YAML document"),
            std::string::npos)
      << multi.err;
  Write("array.json", "[1, 2]");
  RunResult array = Switchboard("check " + Write("t.yaml", R"(version: 1
rules:
  - id: r
    event: "*"
    actions: [{log: {message: x}}]
tests:
  - name: not an event
    event: array.json
    expect: { fired: [] }
)"));
  EXPECT_EQ(array.exit_code, 1);
  EXPECT_NE(array.err.find("an event is a JSON object"), std::string::npos) << array.err;
}

TEST_F(Cli, EvalAppliesThrottlesOnlyWithADatabase) {
  std::string event = Write("event.json", kEvent);
  std::string rules = Write("rules.yaml", R"(version: 1
rules:
  - id: once-a-day
    event: message.received
    throttle: { key: "{{ facts.contact }}", per: 1d }
    actions:
      - log: { message: hi }
)");
  // A firing recorded a minute ago, as the server would have stored it.
  std::string db = (dir_ / "server.db").string();
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::string sql = "CREATE TABLE switchboard_throttle (rule_id TEXT, key TEXT, at_ms INTEGER); "
                    "INSERT INTO switchboard_throttle VALUES ('once-a-day', '+15555550100', " +
                    std::to_string(now_ms - 60000) + ");";
  ASSERT_EQ(std::system(("sqlite3 " + db + " \"" + sql + "\"").c_str()), 0);

  RunResult without = Switchboard("eval --rules " + rules + " --event " + event + " --json");
  EXPECT_NE(without.out.find(R"("fired":[{"rule":"once-a-day")"), std::string::npos) << without.out;
  RunResult with = Switchboard("eval --rules " + rules + " --event " + event + " --json --database " + db);
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_NE(with.out.find(R"("fired":[])"), std::string::npos) << with.out;
  EXPECT_NE(with.out.find(R"x("reason":"throttled (key '+15555550100')")x"), std::string::npos) << with.out;
  RunResult missing = Switchboard("eval --rules " + rules + " --event " + event + " --database " +
                                  (dir_ / "nope.db").string());
  EXPECT_EQ(missing.exit_code, 1);
}

TEST_F(Cli, ReplaySummarizesWhatStoredEventsWouldFire) {
  std::string rules = Write("rules.yaml", kGoodRules);
  Write("event.json", kEvent);
  // Three stored events as the server keeps them: two questions about hours
  // (one of them received on 2026-02-01) and a greeting.
  std::string db = (dir_ / "server.db").string();
  auto body = [](const std::string& id, const std::string& text) {
    std::string e = kEvent;
    e.replace(e.find("EV1"), 3, id);
    e.replace(e.find("What are your hours?"), 20, text);
    std::string quoted;
    for (char c : e) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return "'" + quoted + "'";
  };
  std::string sql =
      "CREATE TABLE switchboard_events (id TEXT PRIMARY KEY, type TEXT, body TEXT, "
      "received_ms INTEGER, status TEXT, trace TEXT, processed_ms INTEGER); "
      "INSERT INTO switchboard_events (id, type, body, received_ms, status) VALUES "
      "('EVa', 'message.received', " + body("EVa", "your hours please") + ", 1767225600000, 'processed'), "
      "('EVb', 'message.received', " + body("EVb", "hello there") + ", 1767225601000, 'processed'), "
      "('EVc', 'message.received', " + body("EVc", "hours on sunday") + ", 1769904000000, 'processed');";
  std::ofstream(dir_ / "setup.sql") << sql;
  ASSERT_EQ(std::system(("sqlite3 " + db + " < " + (dir_ / "setup.sql").string()).c_str()), 0);

  RunResult r = Switchboard("replay --database " + db + " --rules " + rules);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("replayed 3 events; 1 fired no rule"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hours: 2 events (e.g. EVa EVc)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("never: 0 events"), std::string::npos) << r.out;

  RunResult j = Switchboard("replay --database " + db + " --rules " + rules +
                            " --since 2026-01-15 --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find(R"("events":1)"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find(R"({"rule":"hours","fired":1,"examples":["EVc"]})"), std::string::npos)
      << j.out;

  EXPECT_EQ(Switchboard("replay --database " + (dir_ / "none.db").string() + " --rules " + rules)
                .exit_code,
            1);
  EXPECT_EQ(Switchboard("replay --rules " + rules).exit_code, 2);
  EXPECT_EQ(Switchboard("replay --database " + db + " --rules " + rules + " --since yesterday")
                .exit_code,
            2);
  // [since, until): EVb was received at exactly 2026-01-01T00:00:01Z.
  RunResult before_b = Switchboard("replay --database " + db + " --rules " + rules +
                                   " --until 2026-01-01T00:00:01Z --json");
  ASSERT_EQ(before_b.exit_code, 0) << before_b.err;
  EXPECT_NE(before_b.out.find(R"("events":1)"), std::string::npos) << before_b.out;
  // A time with anything after it, or out of range, is not cut back to its date.
  for (const char* bad : {"2026-01-01Tgarbage", "2026-01-01T25:00:00Z", "'2026-01-01T00:00:01Z x'"}) {
    RunResult r = Switchboard("replay --database " + db + " --rules " + rules + " --since " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out << r.err;
  }
}

TEST_F(Cli, VersionPrintsVersion) {
  RunResult r = Switchboard("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("switchboard ", 0), 0u);
}

}  // namespace
