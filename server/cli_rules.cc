// `switchboard check`, `test` and `eval`: the commands that work on rule files
// without a server.
#include <sqlite3.h>

#include <iostream>

#include "cli.h"
#include "log.h"
#include "read_file.h"
#include "switchboard/engine.h"
#include "trace.h"

namespace switchboard {
namespace cli {

namespace {

const char kCheckHelp[] =
    "usage: switchboard check PATH...\n"
    "\n"
    "Validates rule files (*.yaml, *.yml; directories contribute the rule files\n"
    "directly inside them). Every error is printed as file:line:col: message with\n"
    "the source line. Exit: 0 valid, 1 invalid, 2 usage.\n";

const char kTestHelp[] =
    "usage: switchboard test PATH...\n"
    "\n"
    "Loads the rules and runs their inline `tests:`, one line per test, then a\n"
    "summary line 'N passed, N failed'. Exit: 0 all pass, 1 a failure or the\n"
    "rules do not load, 2 usage.\n";

const char kEvalHelp[] =
    "usage: switchboard eval --rules PATH [--rules PATH...] --event FILE [--json] [--explain]\n"
    "                        [--database FILE]\n"
    "\n"
    "Dry run of one event: prints the rules that fire with their rendered actions\n"
    "(secrets redacted). Nothing is executed; throttles are applied only with\n"
    "--database. --event - reads the event from standard input.\n"
    "  --json      one JSON object: {\"event\", \"fired\", \"not_fired\"}\n"
    "  --explain   for every rule that did not fire, the first condition that\n"
    "              failed and the actual value\n"
    "  --database  apply throttles as the server would now, reading its throttle\n"
    "              state from this database (read-only)\n"
    "Exit: 0; 1 when the rules do not load or the event is not valid JSON; 2 usage.\n";

bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

// The arguments of a command that takes only paths: --help (exit 0), nothing or
// an option (usage, exit 2); -1 when the command should go on.
int CheckPathArgs(const char* command, const char* help, const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << help;
    return kExitOk;
  }
  if (args.empty()) {
    std::cerr << help;
    return kExitUsage;
  }
  for (const auto& a : args) {
    if (a.size() > 1 && a[0] == '-') {
      std::cerr << "switchboard " << command << ": unknown option '" << a << "'\n" << help;
      return kExitUsage;
    }
  }
  return -1;
}

// Loads rules, printing diagnostics to stderr; null on failure.
std::shared_ptr<const RuleSet> LoadOrReport(const Engine& engine,
                                            const std::vector<std::string>& paths,
                                            bool tests = true) {
  LoadResult loaded = engine.LoadFiles(paths, LoadOptions{tests});
  if (!loaded.ok()) {
    std::cerr << loaded.FormatErrors();
    std::cerr << loaded.errors.size() << (loaded.errors.size() == 1 ? " error" : " errors")
              << "\n";
  }
  return loaded.rules;
}

// Text from rule files and events (test names, ids, reasons, errors) on one
// line of the output: SPEC, `test` prints one line per test.
std::string Line(std::string_view text) {
  return server::OneLine(std::string(text), /*escape_backslash=*/false);
}

// One line per parameter: a value's line breaks and other control characters
// are written as escapes (\n, \t, \xNN), as --json escapes them.
void PrintValue(const Value& v, const std::string& indent, std::ostream& out) {
  for (const auto& [name, value] : v.as_object()) {
    const bool nested = value.is_object() || value.is_array();
    out << indent << name << ": " << server::OneLine(nested ? value.ToJson() : value.ToText())
        << "\n";
  }
}

// Reads a server database's throttle firings (read-only).
bool LoadThrottleState(const std::string& path, InMemoryThrottleStore* throttle,
                       std::string* error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = "cannot open database '" + path + "': " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return false;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  bool ok = sqlite3_prepare_v2(db, "SELECT rule_id, key, at_ms FROM switchboard_throttle", -1,
                               &stmt, nullptr) == SQLITE_OK;
  int rc = SQLITE_DONE;
  while (ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    auto text = [&](int col) {
      const unsigned char* p = sqlite3_column_text(stmt, col);
      return std::string(p ? reinterpret_cast<const char*>(p) : "", sqlite3_column_bytes(stmt, col));
    };
    throttle->Record(text(0), text(1),
                     TimeStamp(std::chrono::milliseconds(sqlite3_column_int64(stmt, 2))));
  }
  if (!ok || rc != SQLITE_DONE) {
    *error = "'" + path + "' is not a readable Switchboard database: " + sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ok && rc == SQLITE_DONE;
}

}  // namespace

int Check(const std::vector<std::string>& args) {
  if (int exit = CheckPathArgs("check", kCheckHelp, args); exit >= 0) return exit;
  auto engine = Engine::Create();
  auto rules = LoadOrReport(*engine, args);
  if (!rules) return kExitFailure;
  std::cout << "OK: " << rules->rules().size() << " rules, " << rules->tests().size()
            << " tests\n";
  return kExitOk;
}

int Test(const std::vector<std::string>& args) {
  if (int exit = CheckPathArgs("test", kTestHelp, args); exit >= 0) return exit;
  auto engine = Engine::Create();
  auto rules = LoadOrReport(*engine, args);
  if (!rules) return kExitFailure;
  int passed = 0;
  int failed = 0;
  for (const InlineTest& test : rules->tests()) {
    TestOutcome outcome = rules->RunTest(test);
    if (outcome.passed) {
      ++passed;
      std::cout << "PASS " << test.file << ":" << test.line << ": " << Line(test.name) << "\n";
    } else {
      ++failed;
      std::cout << "FAIL " << test.file << ":" << test.line << ": " << Line(test.name) << ": "
                << Line(outcome.message) << "\n";
    }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? kExitOk : kExitFailure;
}

int Eval(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kEvalHelp;
    return kExitOk;
  }
  std::vector<std::string> rule_paths;
  std::string event_path;
  bool json = false;
  bool explain = false;
  std::string database;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--rules" || a == "--event" || a == "--database") {
      if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1].rfind("--", 0) == 0) {
        std::cerr << "switchboard eval: " << a << " needs a value\n" << kEvalHelp;
        return kExitUsage;
      }
      const std::string& v = args[++i];
      if (a == "--rules") {
        rule_paths.push_back(v);
      } else if (a == "--event" ? !event_path.empty() : !database.empty()) {
        std::cerr << "switchboard eval: " << a << " is given twice\n" << kEvalHelp;
        return kExitUsage;
      } else {
        (a == "--event" ? event_path : database) = v;
      }
    } else if (a == "--json") {
      json = true;
    } else if (a == "--explain") {
      explain = true;
    } else {
      std::cerr << "switchboard eval: unexpected argument '" << a << "'\n" << kEvalHelp;
      return kExitUsage;
    }
  }
  if (rule_paths.empty() || event_path.empty()) {
    std::cerr << "switchboard eval: --rules and --event are required\n" << kEvalHelp;
    return kExitUsage;
  }
  auto engine = Engine::Create();
  auto rules = LoadOrReport(*engine, rule_paths, /*tests=*/false);
  if (!rules) return kExitFailure;
  std::string body;
  if (Status read = server::ReadWholeFile(event_path, &body); !read.ok()) {
    std::cerr << "switchboard eval: event file: " << read.message() << "\n";
    return kExitFailure;
  }
  auto event = Event::Parse(body);
  if (!event.ok()) {
    std::cerr << "switchboard eval: " << event_path << ": " << event.status().message() << "\n";
    return kExitFailure;
  }
  EvalOptions options;
  options.explain = true;  // reasons are part of every output
  InMemoryThrottleStore throttle;
  if (!database.empty()) {
    std::string error;
    if (!LoadThrottleState(database, &throttle, &error)) {
      std::cerr << "switchboard eval: " << error << "\n";
      return kExitFailure;
    }
    options.throttle = &throttle;
  }
  Evaluation result = rules->Evaluate(*event, options);
  if (!result.error.ok()) {
    std::cerr << "switchboard eval: " << result.error.message() << "\n";
    return kExitFailure;
  }

  if (json) {
    Value out{Value::Object()};
    Value ev{Value::Object()};
    ev.Set("id", Value(event->id()));
    ev.Set("type", Value(event->type()));
    ev.Set("facts", event->FactsAsValue());
    out.Set("event", std::move(ev));
    Value trace = server::EvaluationToValue(result, explain);
    for (auto& [key, value] : trace.as_object()) out.Set(key, std::move(value));
    std::cout << out.ToJson() << "\n";
    return kExitOk;
  }

  std::cout << "event " << (event->id().empty() ? "(no id)" : Line(event->id())) << " ("
            << (event->type().empty() ? "no type" : Line(event->type())) << ")\n";
  if (result.fired.empty()) std::cout << "no rule fired\n";
  for (const FiredRule& f : result.fired) {
    std::cout << "fired " << f.rule_id << "\n";
    for (const FiredAction& a : f.actions) {
      std::cout << "  " << a.type << "\n";
      PrintValue(a.redacted_params(), "    ", std::cout);
      if (!a.error.empty()) std::cout << "    error: " << Line(a.error) << "\n";
    }
  }
  if (explain) {
    for (const NotFiredRule& n : result.not_fired) {
      std::cout << "not fired " << n.rule_id << ": " << Line(n.reason) << "\n";
    }
  } else if (!result.not_fired.empty()) {
    std::cout << result.not_fired.size()
              << (result.not_fired.size() == 1 ? " rule" : " rules")
              << " did not fire (--explain says why)\n";
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace switchboard
