// `switchboard serve`: the standalone server.
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <mutex>

#include "cli.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "store.h"
#include "switchboard/engine.h"

namespace switchboard {
namespace cli {

namespace {

using namespace switchboard::server;
namespace fs = std::filesystem;

const char kServeHelp[] =
    "usage: switchboard serve [--config FILE]\n"
    "\n"
    "Runs the webhook server. Without --config every setting has its default\n"
    "(listen 127.0.0.1:8080, database ./switchboard.db, rules ./rules; a missing\n"
    "./rules starts it with no rules).\n"
    "SIGHUP reloads the rules; SIGTERM or SIGINT stop it cleanly.\n"
    "Exit: 0 on a clean stop, 1 when it cannot start, 2 usage.\n";

constexpr std::chrono::minutes kPruneEvery{10};

// The server has no use for the rule files' inline tests (or their event files).
const LoadOptions kServerLoad{/*tests=*/false};

// `path` made absolute, for the start-up line: the file an operator backs up.
std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

}  // namespace

int Serve(const std::vector<std::string>& args) {
  std::string config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kServeHelp;
      return kExitOk;
    }
    if (args[i] == "--config") {
      if (i + 1 >= args.size() || args[i + 1].empty() || args[i + 1].rfind("--", 0) == 0) {
        std::cerr << "switchboard serve: --config needs a value\n" << kServeHelp;
        return kExitUsage;
      }
      if (!config_path.empty()) {
        std::cerr << "switchboard serve: --config is given twice\n" << kServeHelp;
        return kExitUsage;
      }
      config_path = args[++i];
    } else {
      std::cerr << "switchboard serve: unexpected argument '" << args[i] << "'\n" << kServeHelp;
      return kExitUsage;
    }
  }

  // Signals are taken by this thread alone (sigtimedwait below): block them
  // before any other thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Result<ServerConfig> configured = config_path.empty() ? DefaultConfig() : LoadConfig(config_path);
  if (!configured.ok()) {
    std::cerr << configured.status().message() << "\n";
    return kExitFailure;
  }
  ServerConfig config = std::move(configured.value());
  const auto& source = config.sources.openphone;
  if (!source.verify) {
    LogWarning("sources.openphone.verify is false: webhook signatures are NOT checked; "
               "anyone who can reach " + config.listen.ToString() + " can inject events");
  } else if (source.signing_keys.empty()) {
    LogWarning(
        "no signing key is configured (sources.openphone.signing_keys, or "
        "OPENPHONE_SIGNING_KEY when the configuration sets none): every webhook will be "
        "refused with 401");
  }
  for (size_t i = 0; i < source.signing_keys.size(); ++i) {
    // Named by position: a fingerprint of a key this short would give it away.
    const size_t bytes = source.signing_keys[i].bytes.size();
    if (bytes < kMinStrongKeyBytes) {
      LogWarning("signing key " + std::to_string(i + 1) + " of " +
                 std::to_string(source.signing_keys.size()) + " decodes to only " +
                 std::to_string(bytes) +
                 " bytes: a key this short can be guessed (OpenPhone's have 32)");
    }
  }
  if (config.openphone.api_key.empty()) {
    LogWarning("openphone.api_key is empty: openphone.send_message actions will fail");
  }
  if (!config.admin.token.empty() &&
      config.admin.token.size() < ServerConfig::Admin::kMinStrongLength) {
    LogWarning("admin.token has only " + std::to_string(config.admin.token.size()) +
               " characters: a token this short can be guessed (use at least 16, e.g. from "
               "`openssl rand -hex 32`)");
  }

  // SPEC: with no file at all the server starts on its defaults. A missing
  // default rules directory is then no error at start: the server runs with no
  // rules until one is created and the rules are reloaded. Paths the
  // configuration names must exist, and a reload always needs its paths (a
  // directory that disappears must not silently leave the server rule-less).
  std::vector<std::string> start_rules = config.rules;
  if (std::error_code ec; !config.rules_configured && !fs::exists(config.rules.front(), ec)) {
    LogWarning("no rules: " + config.rules.front() +
               " does not exist (create it and reload, or set `rules` in the configuration)");
    start_rules.clear();
  }
  auto engine = Engine::Create();
  LoadResult loaded = engine->LoadFiles(start_rules, kServerLoad);
  if (!loaded.ok()) {
    std::cerr << loaded.FormatErrors() << "switchboard serve: the rules do not load\n";
    return kExitFailure;
  }

  SqliteOptions store_options;
  store_options.path = config.database;
  store_options.max_pending_events = static_cast<size_t>(config.server.max_inbox_pending);
  store_options.sync_full = config.server.sync_full;
  auto store = OpenSqliteStore(store_options);
  if (!store.ok()) {
    std::cerr << "switchboard serve: " << store.status().message() << "\n";
    return kExitFailure;
  }

  Metrics metrics;
  Processor processor(store->get(), &metrics);
  DispatchOptions dispatch;
  dispatch.executor.api_key = config.openphone.api_key;
  dispatch.executor.api_base = config.openphone.api_base;
  dispatch.executor.timeout = config.actions.timeout;
  dispatch.max_attempts = config.actions.max_attempts;
  dispatch.backoff_initial = config.actions.backoff.initial;
  dispatch.backoff_max = config.actions.backoff.max;
  dispatch.max_age = config.actions.max_age;
  const Rate& rate = config.openphone.rate_limit;
  dispatch.rate_per_second = static_cast<double>(rate.count) * 1000.0 /
                             static_cast<double>(std::max<int64_t>(1, rate.per.count()));
  dispatch.per_contact_limit = static_cast<int>(config.openphone.per_contact_limit.count);
  dispatch.per_contact_window = config.openphone.per_contact_limit.per;
  Dispatcher dispatcher(store->get(), &metrics, dispatch);
  dispatcher.AddSecretEnv(loaded.rules->env_names());
  processor.OnActionsQueued([&dispatcher] { dispatcher.Notify(); });

  std::mutex reload_mu;
  auto reload = [&]() -> std::string {
    std::lock_guard<std::mutex> lock(reload_mu);
    LoadResult result = engine->LoadFiles(config.rules, kServerLoad);
    if (!result.ok()) {
      std::string errors = result.FormatErrors();
      LogError("rules not reloaded, keeping the previous ones:\n" + errors);
      return errors;
    }
    dispatcher.AddSecretEnv(result.rules->env_names());
    processor.SetRules(result.rules);
    LogInfo("rules reloaded: " + std::to_string(result.rules->rules().size()) + " rules");
    return "";
  };

  AppContext app;
  app.config = &config;
  app.store = store->get();
  app.processor = &processor;
  app.dispatcher = &dispatcher;
  app.metrics = &metrics;
  app.reload = reload;

  Status started = processor.Start(loaded.rules);
  if (!started.ok()) {
    std::cerr << "switchboard serve: " << started.message() << "\n";
    return kExitFailure;
  }
  dispatcher.Start();
  HttpServer http(&app);
  started = http.Start();
  if (!started.ok()) {
    std::cerr << "switchboard serve: " << started.message() << "\n";
    processor.Stop();
    dispatcher.Stop();
    return kExitFailure;
  }
  LogInfo("switchboard " SWITCHBOARD_VERSION " listening on " + config.listen.ToString() +
          " (webhooks at " + source.path + "), " + std::to_string(loaded.rules->rules().size()) +
          " rules, database " + AbsolutePath(config.database));

  auto last_prune = std::chrono::steady_clock::now() - kPruneEvery;
  for (;;) {
    if (std::chrono::steady_clock::now() - last_prune >= kPruneEvery) {
      last_prune = std::chrono::steady_clock::now();
      int64_t now = NowMs();
      const int64_t throttles_before = now - processor.ThrottleHorizon().count();
      Status s = (*store)->Prune(now - config.retention.events.count(), throttles_before);
      if (!s.ok()) LogWarning("pruning old events failed: " + s.message());
      processor.PruneThrottles(TimeStamp(std::chrono::milliseconds(throttles_before)));
    }
    timespec timeout{1, 0};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig == SIGHUP) {
      LogInfo("SIGHUP: reloading rules");
      reload();
    } else if (sig == SIGTERM || sig == SIGINT) {
      LogInfo(std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
      break;
    }
  }
  http.Stop();        // no new requests; those in flight finish
  processor.Stop();   // the event in hand is committed
  dispatcher.Stop();  // running actions finish
  LogInfo("stopped");
  return kExitOk;
}

}  // namespace cli
}  // namespace switchboard
