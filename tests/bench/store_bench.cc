// The durable store alone, without HTTP: what one webhook's commit costs the
// writer thread, and how group commit shares it among concurrent requests.
//
//   BM_AcceptProcessed/trace_bytes:T/threads:N
//                                 N request threads, each storing new events
//                                 with a representative processing (a trace of
//                                 T bytes - the shipped rules write about 1.2 KB
//                                 - an outbox row, an own-database row, a
//                                 throttle firing), synchronous=FULL.
//   BM_AcceptPending/threads:N    the event alone, stored pending.
//
// The database lives in $SWITCHBOARD_BENCH_DIR (default: the temp directory), so
// that fsync cost can be taken out (/dev/shm) or measured on a given disk.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store.h"

namespace switchboard {
namespace server {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Store> g_store;
fs::path g_dir;
std::atomic<int64_t> g_next_id{0};

const std::string kBody = [] {
  std::string text(70, 'x');
  return "{\"id\":\"EV\",\"object\":\"event\",\"apiVersion\":\"v4\",\"type\":\"message.received\","
         "\"data\":{\"object\":{\"id\":\"AC1\",\"from\":\"+15550001000\",\"to\":[\"+15555550100\"],"
         "\"direction\":\"incoming\",\"text\":\"" + text + "\",\"status\":\"received\"," +
         "\"createdAt\":\"2026-11-27T03:48:20.429Z\",\"userId\":\"USa1b2c3d4e5\"," +
         "\"phoneNumberId\":\"PNf4k3L1n3A\",\"conversationId\":\"CN5e8a1c3b7d9f4a2e6c0b8d1f3a\"," +
         "\"contactIds\":[\"6824dfb69aee85c132b7aa01\"]}}}" + std::string(120, ' ');
}();

ProcessedEvent Processing(const std::string& id, size_t trace_bytes) {
  ProcessedEvent p;
  p.event_id = id;
  p.processed_ms = 1;
  p.trace = "{\"trace\":\"" + std::string(trace_bytes, 't') + "\"}";
  StoredAction send;
  send.event_id = id;
  send.rule_id = "after-hours-reply";
  send.type = "openphone.send_message";
  send.params = send.redacted_params = "{\"to\":\"+15550001000\",\"content\":\"" +
                                       std::string(150, 'c') + "\",\"from\":\"PNf4k3L1n3A\"}";
  send.contact = "+15550001000";
  send.status = "pending";
  p.actions.push_back(send);
  StoredAction log = send;
  log.rule_id = "log-all-events";
  log.type = "sqlite";
  log.params = log.redacted_params = "{\"table\":\"events_log\",\"values\":{" +
                                     std::string(200, 'v') + "}}";
  log.contact.clear();
  log.status = "done";
  p.actions.push_back(log);
  p.inserts.push_back({"events_log",
                       {{"event_id", id},
                        {"event_type", "message.received"},
                        {"contact", "+15550001000"},
                        {"line", "PNf4k3L1n3A"},
                        {"event_created_at", "2026-11-27T03:48:20.429Z"}},
                       /*action=*/1});
  p.firings.emplace_back("after-hours-reply", "+15550001000");
  return p;
}

void OpenStore(const benchmark::State&) {
  const char* base = std::getenv("SWITCHBOARD_BENCH_DIR");
  g_dir = fs::path(base ? base : fs::temp_directory_path().string()) /
          ("switchboard-store-bench-" + std::to_string(::getpid()));
  fs::remove_all(g_dir);
  fs::create_directories(g_dir);
  SqliteOptions options;
  options.path = (g_dir / "bench.db").string();
  options.max_pending_events = size_t{1} << 40;  // the pending benchmark never drains
  auto store = OpenSqliteStore(options);
  if (!store.ok()) std::abort();
  g_store = std::move(*store);
}

void CloseStore(const benchmark::State&) {
  g_store.reset();
  fs::remove_all(g_dir);
}

void BM_AcceptProcessed(benchmark::State& state) {
  for (auto _ : state) {
    std::string id = "EV" + std::to_string(g_next_id++);
    ProcessedEvent p = Processing(id, static_cast<size_t>(state.range(0)));
    auto r = g_store->Accept(id, "message.received", kBody, 1, [&] { return &p; }, nullptr);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AcceptProcessed)
    ->ArgName("trace_bytes")
    ->Arg(1200)
    ->Arg(400)
    ->Setup(OpenStore)
    ->Teardown(CloseStore)
    ->Threads(1)
    ->Threads(16)
    ->UseRealTime();

void BM_AcceptPending(benchmark::State& state) {
  for (auto _ : state) {
    std::string id = "EV" + std::to_string(g_next_id++);
    auto r = g_store->Accept(id, "message.received", kBody, 1);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AcceptPending)
    ->Setup(OpenStore)
    ->Teardown(CloseStore)
    ->Threads(1)
    ->Threads(16)
    ->UseRealTime();

}  // namespace
}  // namespace server
}  // namespace switchboard

BENCHMARK_MAIN();
