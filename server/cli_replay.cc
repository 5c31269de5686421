// `switchboard replay`: evaluates stored events against a rule set, runs no
// action, and summarizes what would have fired.
#include <sqlite3.h>

#include <iostream>
#include <map>

#include "cli.h"
#include "switchboard/engine.h"
#include "time_format.h"

namespace switchboard {
namespace cli {

namespace {

const char kReplayHelp[] =
    "usage: switchboard replay --database FILE --rules PATH [--rules PATH...]\n"
    "                          [--since TIME] [--until TIME] [--json]\n"
    "\n"
    "Evaluates the events stored in a server database against a rule set, in the\n"
    "order they were received, with throttles applied as they would have been.\n"
    "No action runs. Prints, per rule, how many events would have fired it.\n"
    "TIME is ISO 8601 (2026-01-05 or 2026-01-05T15:04:05Z), compared with the\n"
    "time each event was received.\n"
    "Exit: 0; 1 when the rules or the database cannot be read; 2 usage.\n";

struct RuleTally {
  int fired = 0;
  std::vector<std::string> examples;  // first event ids
};

}  // namespace

int Replay(const std::vector<std::string>& args) {
  std::string database;
  std::vector<std::string> rule_paths;
  int64_t since = 0;
  int64_t until = INT64_MAX;
  bool json = false;
  bool database_given = false;
  bool since_given = false;
  bool until_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kReplayHelp;
      return kExitOk;
    } else if (a == "--database" || a == "--rules" || a == "--since" || a == "--until") {
      if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1].rfind("--", 0) == 0) {
        std::cerr << "switchboard replay: " << a << " needs a value\n" << kReplayHelp;
        return kExitUsage;
      }
      const std::string& v = args[++i];
      if (a == "--rules") {
        rule_paths.push_back(v);
        continue;
      }
      bool& given = a == "--database" ? database_given : a == "--since" ? since_given : until_given;
      if (given) {
        std::cerr << "switchboard replay: " << a << " is given twice\n" << kReplayHelp;
        return kExitUsage;
      }
      given = true;
      if (a == "--database") {
        database = v;
      } else if (!server::ParseIsoMs(v, a == "--since" ? &since : &until)) {
        std::cerr << "switchboard replay: " << a << ": invalid time '" << v << "'\n";
        return kExitUsage;
      }
    } else if (a == "--json") {
      json = true;
    } else {
      std::cerr << "switchboard replay: unexpected argument '" << a << "'\n" << kReplayHelp;
      return kExitUsage;
    }
  }
  if (database.empty() || rule_paths.empty()) {
    std::cerr << "switchboard replay: --database and --rules are required\n" << kReplayHelp;
    return kExitUsage;
  }
  auto engine = Engine::Create();
  LoadResult loaded = engine->LoadFiles(rule_paths, LoadOptions{/*tests=*/false});
  if (!loaded.ok()) {
    std::cerr << loaded.FormatErrors();
    return kExitFailure;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::cerr << "switchboard replay: cannot open '" << database << "': " << sqlite3_errmsg(db) << "\n";
    sqlite3_close(db);
    return kExitFailure;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  const char* sql =
      "SELECT id, body, received_ms FROM switchboard_events WHERE received_ms >= ? AND "
      "received_ms < ? ORDER BY received_ms, rowid";  // [since, until)
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    std::cerr << "switchboard replay: '" << database
              << "' is not a Switchboard database: " << sqlite3_errmsg(db) << "\n";
    sqlite3_close(db);
    return kExitFailure;
  }
  sqlite3_bind_int64(stmt, 1, since);
  sqlite3_bind_int64(stmt, 2, until);

  std::map<std::string, RuleTally> tally;
  for (const RuleInfo& r : loaded.rules->rules()) tally[r.id];
  InMemoryThrottleStore throttle;
  int events = 0;
  int invalid = 0;
  int matched_none = 0;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ++events;
    std::string body(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)),
                     sqlite3_column_bytes(stmt, 1));
    auto event = Event::Parse(body);
    if (!event.ok() && event.status().code() == StatusCode::kUnavailable) {
      std::cerr << "switchboard replay: " << event.status().message() << "\n";
      sqlite3_finalize(stmt);
      sqlite3_close(db);
      return kExitFailure;
    }
    if (!event.ok()) {
      ++invalid;
      continue;
    }
    EvalOptions options;
    options.now = TimeStamp(std::chrono::milliseconds(sqlite3_column_int64(stmt, 2)));
    options.throttle = &throttle;
    Evaluation evaluation = loaded.rules->Evaluate(*event, options);
    if (!evaluation.error.ok()) {
      std::cerr << "switchboard replay: " << evaluation.error.message() << "\n";
      sqlite3_finalize(stmt);
      sqlite3_close(db);
      return kExitFailure;
    }
    loaded.rules->RecordFirings(evaluation, *options.now, &throttle);
    if (evaluation.fired.empty()) ++matched_none;
    for (const FiredRule& f : evaluation.fired) {
      RuleTally& t = tally[std::string(f.rule_id)];
      ++t.fired;
      if (t.examples.size() < 5) t.examples.push_back(std::string(event->id()));
    }
  }
  bool failed = rc != SQLITE_DONE;
  if (failed) std::cerr << "switchboard replay: reading events failed: " << sqlite3_errmsg(db) << "\n";
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (failed) return kExitFailure;

  if (json) {
    Value out{Value::Object()};
    out.Set("events", Value(events));
    out.Set("matched_no_rule", Value(matched_none));
    out.Set("invalid", Value(invalid));
    Value::Array rules;
    for (const auto& [id, t] : tally) {
      Value r{Value::Object()};
      r.Set("rule", Value(id));
      r.Set("fired", Value(t.fired));
      Value::Array examples;
      for (const auto& e : t.examples) examples.push_back(Value(e));
      r.Set("examples", Value(std::move(examples)));
      rules.push_back(std::move(r));
    }
    out.Set("rules", Value(std::move(rules)));
    std::cout << out.ToJson() << "\n";
    return kExitOk;
  }
  std::cout << "replayed " << events << " events; " << matched_none << " fired no rule";
  if (invalid) std::cout << "; " << invalid << " not events (not a JSON object)";
  std::cout << "\n";
  for (const auto& [id, t] : tally) {
    std::cout << "  " << id << ": " << t.fired << (t.fired == 1 ? " event" : " events");
    if (!t.examples.empty()) {
      std::cout << " (e.g.";
      for (const auto& e : t.examples) std::cout << " " << e;
      std::cout << ")";
    }
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace cli
}  // namespace switchboard
