// OneLine: whatever a value holds, a log record and a line of `eval` output
// stay one line (docs/cli.md, docs/operations.md).
#include <gtest/gtest.h>

#include "log.h"

namespace switchboard {
namespace server {
namespace {

TEST(OneLine, EscapesAsciiControlsAndBackslash) {
  EXPECT_EQ(OneLine("a\nb\rc\td\x01" "e\x7f" "f\\g"), "a\\nb\\rc\\td\\x01e\\x7ff\\\\g");
  EXPECT_EQ(OneLine("a\\b", /*escape_backslash=*/false), "a\\b");
  EXPECT_EQ(OneLine("plain text, caf\xC3\xA9"), "plain text, caf\xC3\xA9");
}

// A probe: NEL and LINE SEPARATOR went out raw, and some viewers break lines at them.
TEST(OneLine, EscapesUnicodeLineBreaksAndC1Controls) {
  EXPECT_EQ(OneLine("a\xC2\x85" "b"), "a\\u0085b");            // NEL
  EXPECT_EQ(OneLine("a\xC2\x80" "b\xC2\x9F"), "a\\u0080b\\u009f");
  EXPECT_EQ(OneLine("a\xE2\x80\xA8" "b\xE2\x80\xA9"), "a\\u2028b\\u2029");
  // Their neighbours are ordinary text: U+00A0, U+2027, U+202A.
  EXPECT_EQ(OneLine("\xC2\xA0\xE2\x80\xA7\xE2\x80\xAA"), "\xC2\xA0\xE2\x80\xA7\xE2\x80\xAA");
  // Cut short at the end: left as it is.
  EXPECT_EQ(OneLine("a\xC2"), "a\xC2");
  EXPECT_EQ(OneLine("a\xE2\x80"), "a\xE2\x80");
}

}  // namespace
}  // namespace server
}  // namespace switchboard
