// SPEC 6: no exception crosses the public API, memory running out included.
// An embedding probe: std::bad_alloc escaped Event::Parse and RuleSet::Evaluate,
// and simdjson's own failed allocation was called invalid JSON (a server
// answers that with 400, and the sender never retries).
//
// Each case runs in a child process whose address space is limited once its
// input is built (RLIMIT_AS). Sanitizers reserve address space of their own and
// stop at a failed allocation: the cases are skipped under them.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <new>
#include <string>

#include "switchboard/engine.h"
#include "switchboard/event.h"
#include "switchboard/throttle.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SWITCHBOARD_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SWITCHBOARD_UNDER_SANITIZER 1
#endif
#endif

namespace switchboard {
namespace {

// Runs `body` in a child whose address space may grow by `headroom` bytes
// beyond what it uses now; returns its exit status (-1 when it did not exit).
int InChildWithLittleMemory(size_t headroom, const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    size_t used = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
      unsigned long pages = 0;
      if (std::fscanf(f, "%lu", &pages) == 1) used = pages * static_cast<size_t>(getpagesize());
      std::fclose(f);
    }
    rlimit limit{used + headroom, used + headroom};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(90);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// An event of `n` bytes: {"id":"EV1","type":"t","data":{"big":"xxx..."}}.
std::string BigEvent(size_t n) {
  std::string event = R"({"id":"EV1","type":"t","data":{"big":")";
  event.append(n, 'x');
  event += "\"}}";
  return event;
}

TEST(OutOfMemory, ParseSaysUnavailableNotInvalid) {
#ifdef SWITCHBOARD_UNDER_SANITIZER
  GTEST_SKIP() << "address space limits do not work under sanitizers";
#endif
  const std::string event = BigEvent(64 << 20);
  int status = InChildWithLittleMemory(16 << 20, [&] {
    auto parsed = Event::Parse(event);
    if (parsed.ok()) return 1;
    if (parsed.status().code() != StatusCode::kUnavailable) return 2;
    return parsed.status().message().find("out of memory") == std::string::npos ? 3 : 0;
  });
  EXPECT_EQ(status, 0) << "1: parsed; 2: not kUnavailable; 3: another message; -1: crashed";
  EXPECT_TRUE(Event::Parse(event).ok()) << "with memory, the same event parses";
}

TEST(OutOfMemory, EvaluateReportsItInsteadOfThrowing) {
#ifdef SWITCHBOARD_UNDER_SANITIZER
  GTEST_SKIP() << "address space limits do not work under sanitizers";
#endif
  auto loaded = Engine::Create()->LoadString(R"(version: 1
rules:
  - id: copy
    event: "*"
    actions:
      - log: { message: "{{ data | json }}{{ data | json }}{{ data | json }}{{ data | json }}" }
)");
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  auto event = Event::Parse(BigEvent(16 << 20));
  ASSERT_TRUE(event.ok()) << event.status().message();
  int status = InChildWithLittleMemory(24 << 20, [&] {
    Evaluation e = loaded.rules->Evaluate(*event);
    if (e.error.ok()) return 1;
    if (e.error.code() != StatusCode::kUnavailable) return 2;
    return e.fired.empty() ? 0 : 3;
  });
  EXPECT_EQ(status, 0) << "1: evaluated; 2: not kUnavailable; 3: fired; -1: crashed";
  EXPECT_TRUE(loaded.rules->Evaluate(*event).error.ok());
}

// A second review: memory that ran out in an action's check made that action
// dead (its reply lost for good), and in the throttle store, a skipped rule.
// The evaluation fails as a whole instead, to be made again.
class OutOfMemoryInItsCheck : public ActionType {
 public:
  std::vector<ParamSpec> params() const override { return {}; }
  Status CheckRendered(const Value&) const override { throw std::bad_alloc(); }
};

class OutOfMemoryThrottle : public ThrottleStore {
 public:
  int CountSince(std::string_view, std::string_view, TimeStamp) const override {
    throw std::bad_alloc();
  }
  void Record(std::string_view, std::string_view, TimeStamp) override { throw std::bad_alloc(); }
};

TEST(OutOfMemory, InAnActionTypeOrAThrottleStoreFailsTheWholeEvaluation) {
  auto engine = Engine::Create();
  ASSERT_TRUE(engine->RegisterAction("oom", std::make_shared<OutOfMemoryInItsCheck>()).ok());
  auto loaded = engine->LoadString(R"(version: 1
rules:
  - id: first
    event: "*"
    actions: [{log: {message: a}}]
  - id: checked
    event: "*"
    actions: [{oom: {}}]
  - id: throttled
    event: "*"
    throttle: { key: "k", per: 1h }
    actions: [{log: {message: b}}]
)");
  ASSERT_TRUE(loaded.ok()) << loaded.FormatErrors();
  auto event = Event::Parse(R"({"id":"EV1","type":"t"})");
  ASSERT_TRUE(event.ok());
  Evaluation e = loaded.rules->Evaluate(*event);
  EXPECT_EQ(e.error.code(), StatusCode::kUnavailable) << e.error.message();
  EXPECT_TRUE(e.fired.empty());

  auto throttled_only = Engine::Create()->LoadString(R"(version: 1
rules:
  - id: throttled
    event: "*"
    throttle: { key: "k", per: 1h }
    actions: [{log: {message: b}}]
)");
  ASSERT_TRUE(throttled_only.ok());
  OutOfMemoryThrottle store;
  EvalOptions options;
  options.throttle = &store;
  Evaluation t = throttled_only.rules->Evaluate(*event, options);
  EXPECT_EQ(t.error.code(), StatusCode::kUnavailable) << t.error.message();
  EXPECT_TRUE(t.fired.empty());
  // RecordFirings reports it as such.
  Evaluation fired = throttled_only.rules->Evaluate(*event);
  ASSERT_EQ(fired.fired.size(), 1u);
  EXPECT_EQ(throttled_only.rules->RecordFirings(fired, TimeStamp(), &store).code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace switchboard
