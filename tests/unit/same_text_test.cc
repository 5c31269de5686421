// SameText (engine/src/same_text.h), the equality `equals` and `in` use: it
// must agree with operator== for every length and wherever two texts differ.
#include "same_text.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard {
namespace {

TEST(SameText, AgreesWithEqualityAtEveryLengthAndDifferingByte) {
  // Lengths around each of its cases: bytes, 4-byte words, 8-byte words, memcmp.
  for (size_t n = 0; n <= 40; ++n) {
    std::string a;
    for (size_t i = 0; i < n; ++i) a.push_back(static_cast<char>('a' + i % 26));
    // Texts inside a larger buffer: the words it reads must stay within them.
    const std::string buffer = "<" + a + ">";
    const std::string_view view(buffer.data() + 1, n);
    EXPECT_TRUE(SameText(a, view)) << n;
    for (size_t at = 0; at < n; ++at) {
      for (unsigned char flip : {0x01, 0x80, 0xff}) {
        std::string b = a;
        b[at] = static_cast<char>(static_cast<unsigned char>(b[at]) ^ flip);
        EXPECT_EQ(SameText(a, b), a == b) << "length " << n << ", byte " << at;
        EXPECT_FALSE(SameText(b, view)) << "length " << n << ", byte " << at;
      }
    }
    // One byte more or less is never the same text, even as a prefix.
    EXPECT_FALSE(SameText(a, a + "x")) << n;
    if (n > 0) EXPECT_FALSE(SameText(a, a.substr(0, n - 1))) << n;
  }
}

TEST(SameText, PhoneNumbersAndNulBytes) {
  EXPECT_TRUE(SameText("+15555550199", "+15555550199"));
  EXPECT_FALSE(SameText("+15555550199", "+15555550198"));
  EXPECT_FALSE(SameText("+15555550199", "+25555550199"));
  EXPECT_TRUE(SameText(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(SameText(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  EXPECT_TRUE(SameText("", ""));
}

}  // namespace
}  // namespace switchboard
