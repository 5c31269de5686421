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
#include <string>

#include "switchboard/engine.h"
#include "switchboard/event.h"

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

}  // namespace
}  // namespace switchboard
