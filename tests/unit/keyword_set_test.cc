// KeywordSet: the patterns it takes, and its answers checked against RE2's on
// generated patterns and texts.
#include "keyword_set.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <cctype>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace switchboard {
namespace {

TEST(KeywordSet, TakesKeywordShapes) {
  for (const char* p : {"\\bstop\\b", "(?i)\\bSTOP\\b", "\\b(hours?|open)\\b",
                        "(?i)\\b(?:price|quote|cost)\\b", "\\bkw_1\\b", "\\b(ab?)\\b",
                        "\\b(a|b|c)\\b"}) {
    KeywordSet set;
    EXPECT_TRUE(set.Add(p, false)) << p;
  }
}

TEST(KeywordSet, DeclinesOtherShapes) {
  for (const char* p : {
           "stop",                // no word boundaries
           "\\bstop",             // one side
           "\\bstop\\b\\b",       // more than a word between them
           "\\ba|b\\b",           // '|' outside a group splits the \b's
           "\\b(a|)\\b",          // an empty alternative
           "\\b()\\b",            //
           "\\b(a?)\\b",          // could match the empty text
           "\\b(hours)?\\b",      // a quantified group
           "\\b(hours|open)+\\b", //
           "\\bho?urs\\b",        // '?' inside a word
           "\\bhours??\\b",       // a lazy quantifier
           "\\b(?i:stop)\\b",     // flags in a group
           "\\b(?P<w>stop)\\b",   // a named group
           "\\b(stop\\b",         // unbalanced
           "\\bstop)\\b",         //
           "\\b(st op)\\b",       // not a word character
           "\\bstop\\\\b",        // an escaped backslash, then 'b'
           "\\bst.p\\b",          //
           "(?s)\\bstop\\b",      // other flags
           "\\Bstop\\B",          //
           "\\b\\b",              //
       }) {
    KeywordSet set;
    EXPECT_FALSE(set.Add(p, false)) << p;
    EXPECT_EQ(set.size(), 0) << p;
  }
}

TEST(KeywordSet, LeavesWordsOver256BytesToRe2) {
  KeywordSet set;
  EXPECT_FALSE(set.Add("\\b" + std::string(257, 'k') + "\\b", false));
  EXPECT_FALSE(set.Add("\\b(a|" + std::string(257, 'k') + ")\\b", false));
  EXPECT_TRUE(set.Add("\\b" + std::string(256, 'k') + "?\\b", false));
  std::vector<int> matched;
  ASSERT_TRUE(set.Match(std::string(255, 'k'), &matched));
  EXPECT_EQ(matched, std::vector<int>({0}));
}

TEST(KeywordSet, LongWords) {
  KeywordSet set;
  const std::string word = "Supercalifragilistic_expialidocious_2";  // 37 bytes
  ASSERT_TRUE(set.Add("(?i)\\b" + word + "\\b", false));
  ASSERT_TRUE(set.Add("\\b" + word + "\\b", false));
  std::vector<int> matched;
  ASSERT_TRUE(set.Match("it is " + word + "!", &matched));
  EXPECT_EQ(matched, std::vector<int>({0, 1}));
  matched.clear();
  ASSERT_TRUE(set.Match("SUPERCALIFRAGILISTIC_EXPIALIDOCIOUS_2", &matched));
  EXPECT_EQ(matched, std::vector<int>({0}));
  matched.clear();
  // Each differs from the word in one byte, from the 9th to the 29th.
  for (size_t i = 8; i + 8 < word.size(); ++i) {
    std::string other = word;
    other[i] = other[i] == '_' ? 'x' : '_';
    matched.clear();
    ASSERT_TRUE(set.Match(other, &matched));
    EXPECT_EQ(matched, std::vector<int>({})) << other;
  }
}

TEST(KeywordSet, HoldsAtMost64Patterns) {
  KeywordSet set;
  for (int i = 0; i < KeywordSet::kMaxPatterns; ++i) {
    ASSERT_TRUE(set.Add("\\bw" + std::to_string(i) + "\\b", false));
  }
  EXPECT_FALSE(set.Add("\\bone_more\\b", false));
  std::vector<int> matched;
  ASSERT_TRUE(set.Match("w63 w0 w64 w7", &matched));
  EXPECT_EQ(matched, std::vector<int>({0, 7, 63}));
}

TEST(KeywordSet, MatchesWholeWordsOnly) {
  KeywordSet set;
  ASSERT_TRUE(set.Add("(?i)\\b(hours?|open)\\b", false));
  ASSERT_TRUE(set.Add("\\bSTOP\\b", false));
  ASSERT_TRUE(set.Add("\\bquote\\b", true));
  auto match = [&](std::string_view text) {
    std::vector<int> matched;
    EXPECT_TRUE(set.Match(text, &matched)) << text;
    return matched;
  };
  EXPECT_EQ(match("What are your HOURS?"), std::vector<int>({0}));
  EXPECT_EQ(match("hour"), std::vector<int>({0}));
  EXPECT_EQ(match("opening hourss"), std::vector<int>({}));
  EXPECT_EQ(match("STOP"), std::vector<int>({1}));
  EXPECT_EQ(match("stop"), std::vector<int>({}));
  EXPECT_EQ(match("STOP_ME"), std::vector<int>({}));
  EXPECT_EQ(match("(STOP) open, QUOTE."), std::vector<int>({0, 1, 2}));
  EXPECT_EQ(match(""), std::vector<int>({}));
  std::string with_nul("open\0STOP", 9);
  EXPECT_EQ(match(with_nul), std::vector<int>({0, 1}));
}

TEST(KeywordSet, DeclinesTextsThatAreNotAscii) {
  KeywordSet set;
  ASSERT_TRUE(set.Add("(?i)\\bok\\b", false));
  std::vector<int> matched = {42};
  // RE2 matches here: U+212A KELVIN SIGN folds to 'k', and is no \w, so that
  // "o" + KELVIN is followed by a word boundary before "x".
  EXPECT_FALSE(set.Match("o\xE2\x84\xAAx", &matched));
  EXPECT_FALSE(set.Match("ok \xF0\x9F\x91\x8D", &matched));
  EXPECT_EQ(matched, std::vector<int>({42}));
  EXPECT_TRUE(RE2::PartialMatch("o\xE2\x84\xAAx", "(?i)\\bok\\b"));
}

// Patterns drawn from the accepted grammar, and strings of the characters the
// grammar is made of (most of which are declined), against texts drawn from an
// alphabet that makes words meet: whenever Add takes a pattern and Match
// answers, the answer is RE2's.
TEST(KeywordSet, AgreesWithRe2) {
  std::mt19937 rng(20261208);
  auto pick = [&](std::string_view from) { return from[rng() % from.size()]; };
  std::vector<std::string> vocabulary;  // the words of this round's patterns
  auto word = [&]() {
    // Mostly short words, which collide; some long enough for every branch of
    // the comparison (up to 8, up to 16, beyond).
    const size_t size = rng() % 4 ? 1 + rng() % 3 : 1 + rng() % 24;
    std::string w(size, ' ');
    for (char& c : w) c = pick("abkKsS_9");
    vocabulary.push_back(w);
    if (rng() % 4 == 0 && w.size() >= 2) w += '?';
    return w;
  };
  auto grammar_pattern = [&]() {
    std::string p = rng() % 2 ? "(?i)" : "";
    p += "\\b";
    const int alternatives = 1 + rng() % 3;
    const bool group = alternatives > 1 || rng() % 2;
    if (group) p += rng() % 2 ? "(?:" : "(";
    for (int i = 0; i < alternatives; ++i) p += (i ? "|" : "") + word();
    if (group) p += ")";
    return p + "\\b";
  };
  auto noise_pattern = [&]() {
    static const char* const kPieces[] = {"\\b", "(", "(?:", "(?i)", ")", "|", "?", "a",
                                          "k",   "S", "_",   "\\",   "b", "+", "?:"};
    std::string p;
    const int n = 1 + rng() % 9;
    for (int i = 0; i < n; ++i) p += kPieces[rng() % (sizeof kPieces / sizeof kPieces[0])];
    return p;
  };
  // A word of the vocabulary as a text may hold it: its case changed, one
  // byte changed, cut short, or whole.
  auto variant = [&]() {
    std::string w = vocabulary[rng() % vocabulary.size()];
    switch (rng() % 4) {
      case 0:
        for (char& c : w) {
          if (rng() % 2) c = static_cast<char>(std::isupper(c) ? std::tolower(c) : std::toupper(c));
        }
        break;
      case 1: w[rng() % w.size()] = pick("abkKsS_9"); break;
      case 2: w.pop_back(); break;
      default: break;
    }
    return w;
  };
  auto text = [&]() {
    static const char* const kPieces[] = {"a", "b", "k", "K", "s", "S", "_", "9", " ",
                                          "-", ".", "\n", "ab", "kS", "\xE2\x84\xAA",
                                          "\xC5\xBF", "\xC3\xA9"};
    std::string t;
    const int n = rng() % 12;
    for (int i = 0; i < n; ++i) {
      if (rng() % 3 == 0 && !vocabulary.empty()) {
        t += variant();
        continue;
      }
      // Non-ASCII pieces (the last three) are rarer, so that most texts are answered.
      size_t k = rng() % (sizeof kPieces / sizeof kPieces[0]);
      if (k >= 14 && rng() % 4 != 0) k = rng() % 14;
      t += kPieces[k];
    }
    return t;
  };

  int answered = 0, declined = 0, sets = 0, with_match = 0;
  for (int round = 0; round < 3000; ++round) {
    const bool ignore_case = rng() % 4 == 0;
    KeywordSet set;
    vocabulary.clear();
    std::vector<std::unique_ptr<RE2>> regexes;
    const int count = 1 + rng() % 4;
    for (int i = 0; i < count; ++i) {
      const std::string p = rng() % 3 ? grammar_pattern() : noise_pattern();
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(!ignore_case);
      auto re = std::make_unique<RE2>(p, options);
      const int before = set.size();
      if (!set.Add(p, ignore_case)) {
        EXPECT_EQ(set.size(), before);
        continue;
      }
      ASSERT_TRUE(re->ok()) << "took a pattern RE2 rejects: " << p;
      regexes.push_back(std::move(re));
    }
    if (regexes.empty()) continue;
    ++sets;
    for (int t = 0; t < 20; ++t) {
      const std::string s = text();
      std::vector<int> matched;
      if (!set.Match(s, &matched)) {
        bool ascii = true;
        for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
        EXPECT_FALSE(ascii) << "declined an ASCII text: '" << s << "'";
        ++declined;
        continue;
      }
      ++answered;
      std::vector<int> expected;
      for (size_t i = 0; i < regexes.size(); ++i) {
        if (RE2::PartialMatch(s, *regexes[i])) expected.push_back(static_cast<int>(i));
      }
      if (!expected.empty()) ++with_match;
      ASSERT_EQ(matched, expected) << "text '" << s << "', first pattern "
                                   << regexes[0]->pattern() << ", ignore_case " << ignore_case;
    }
  }
  // The generators must reach both paths, or this test proves little.
  EXPECT_GT(sets, 1500);
  EXPECT_GT(answered, 20000);
  EXPECT_GT(declined, 1000);
  EXPECT_GT(with_match, 2000);
}

}  // namespace
}  // namespace switchboard
