// Letter case beyond ASCII (engine/src/unicode_case.h): the `lower` and `upper`
// filters and what `ignore_case` compares.
#include "unicode_case.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>

namespace switchboard {
namespace {

TEST(UnicodeCase, LowerAndUpperOfEachScript) {
  struct Case {
    const char* upper;
    const char* lower;
  };
  const Case cases[] = {
      {"HELLO", "hello"},
      {"\u00c9COLE \u00c0 \u00d8RE \u00de", "\u00e9cole \u00e0 \u00f8re \u00fe"},  // Latin-1
      {"\u0141\u00d3D\u0179 \u0160\u010cE \u0150",
       "\u0142\u00f3d\u017a \u0161\u010de \u0151"},                                      // Ext-A
      {"\u0395\u039b\u039b\u0386\u0394\u0391", "\u03b5\u03bb\u03bb\u03ac\u03b4\u03b1"},  // Greek
      {"\u041f\u0420\u0418\u0412\u0415\u0422 \u0401\u0416 \u0404",
       "\u043f\u0440\u0438\u0432\u0435\u0442 \u0451\u0436 \u0454"},          // Cyrillic
      {"\u0532\u0531\u0550\u0535\u054e", "\u0562\u0561\u0580\u0565\u057e"},  // Armenian
      {"TI\u1ebeNG VI\u1ec6T", "ti\u1ebfng vi\u1ec7t"},                      // Vietnamese
      {"\uff21\uff22\uff23", "\uff41\uff42\uff43"},                          // fullwidth
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ToLowerUtf8(c.upper), c.lower) << c.upper;
    EXPECT_EQ(ToUpperUtf8(c.lower), c.upper) << c.lower;
  }
  EXPECT_EQ(ToUpperUtf8("\u00ff"), "\u0178");            // ÿ -> Ÿ, out of Latin-1
  EXPECT_EQ(ToUpperUtf8("\u03c2"), "\u03a3");            // final sigma
  EXPECT_EQ(ToUpperUtf8("stra\u00dfe"), "STRA\u00dfE");  // ß has no one-letter capital
}

TEST(UnicodeCase, LeavesSignsDigitsEmojiAndBrokenBytesAlone) {
  const std::string text = "1+1=2 \u00d7\u00f7 \U0001F44B \u4e2d\u6587 \xff\xc3 end\xe2\x82";
  EXPECT_EQ(ToLowerUtf8(text), text);
  EXPECT_EQ(ToUpperUtf8("x \xff y"), "X \xff Y");
}

// Overlong forms, surrogates and values past U+10FFFF are invalid: left as they
// are, never turned into the (ASCII) letters they spell.
TEST(UnicodeCase, InvalidSequencesAreLeftAsTheyAre) {
  for (const std::string bad : {"\xC1\x81", "\xE0\x81\x81", "\xE0\x80\x80", "\xF0\x80\x81\x81",
                                 "\xED\xA0\x80", "\xF4\x90\x80\x80"}) {
    EXPECT_EQ(ToLowerUtf8(bad), bad);
    EXPECT_EQ(ToUpperUtf8(bad), bad);
    EXPECT_EQ(FoldCaseUtf8(bad), bad);
  }
  EXPECT_NE(FoldCaseUtf8("\xE0\x81\xB3top"), FoldCaseUtf8("stop"));
  EXPECT_EQ(ToUpperUtf8("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF");  // U+10FFFF, valid
}

TEST(UnicodeCase, FoldingEqualsAllCasesOfALetter) {
  EXPECT_EQ(FoldCaseUtf8("\u00c9COLE"), FoldCaseUtf8("\u00e9cole"));
  EXPECT_EQ(FoldCaseUtf8("\u03a3\u03bf\u03c6\u03af\u03b1\u03c2"),  // Σοφίας
            FoldCaseUtf8("\u03c3\u03bf\u03c6\u03af\u03b1\u03c3"));
  EXPECT_EQ(FoldCaseUtf8("\u1e9e"), "\u00df");  // capital sharp s
  EXPECT_NE(FoldCaseUtf8("\u00e9cole"), FoldCaseUtf8("ecole"));
}

// ignore_case folds with FoldCaseUtf8 for equals, in, contains, starts_with and
// ends_with, and with RE2's (?i) for matches: the two must agree, or one
// condition would tell apart what another takes as equal (İ and I did). For
// every letter of the scripts folded: is it equal, ignoring case, to its upper
// and lower case, and to I and i, the same way under both?
TEST(UnicodeCase, FoldingAgreesWithRe2IgnoreCase) {
  auto encode = [](char32_t c) {
    std::string out;
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
    return out;
  };
  RE2::Options options;
  options.set_case_sensitive(false);
  int compared = 0;
  for (char32_t c = 0x41; c < 0xFF60; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const bool folded_range = c < 0x600 || (c >= 0x1E00 && c < 0x1F00) || c >= 0xFF00;
    if (!folded_range) continue;
    const std::string letter = encode(c);
    RE2 re("^" + RE2::QuoteMeta(letter) + "$", options);
    ASSERT_TRUE(re.ok()) << re.error();
    for (const std::string& other :
         {ToUpperUtf8(letter), ToLowerUtf8(letter), std::string("I"), std::string("i")}) {
      const bool ours = FoldCaseUtf8(letter) == FoldCaseUtf8(other);
      const bool re2 = RE2::FullMatch(other, re);
      EXPECT_EQ(ours, re2) << "U+" << std::hex << static_cast<uint32_t>(c) << " vs '" << other
                           << "': ignore_case " << ours << ", RE2 (?i) " << re2;
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000);
}

TEST(UnicodeCase, IsAscii) {
  EXPECT_TRUE(IsAscii(""));
  EXPECT_TRUE(IsAscii("STOP please"));
  EXPECT_FALSE(IsAscii("\u00e9"));
  EXPECT_FALSE(IsAscii("\xff"));
}

TEST(UnicodeCase, FindInvalidUtf8) {
  constexpr size_t kNone = std::string_view::npos;
  EXPECT_EQ(FindInvalidUtf8(""), kNone);
  EXPECT_EQ(FindInvalidUtf8("\xEF\xBB\xBFok \u00e9 \u20ac \U0001F4DE"), kNone);
  EXPECT_EQ(FindInvalidUtf8("ab\xFF"), 2u);
  EXPECT_EQ(FindInvalidUtf8("a\xC0\xAF"), 1u);      // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("a\xED\xA0\x80"), 1u);  // a surrogate
  EXPECT_EQ(FindInvalidUtf8("\u00e9\xE2\x82"), 2u); // cut short
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0u);
  EXPECT_EQ(ReplaceInvalidUtf8("a\xFF\u00e9\xC0\xAF", '?'), "a?\u00e9??");
}

}  // namespace
}  // namespace switchboard
