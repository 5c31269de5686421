// A fast path for the regular expressions of keyword rules.
//
// Most `matches` conditions on a message's text look for words:
// '(?i)\b(hours?|open)\b', '\bSTOP\b'. Such a pattern matches a text exactly
// when one of its words is a whole word of the text, so a set of them is
// answered by cutting the text into words once and comparing each word with the
// few that the patterns list: less than half of what an RE2::Set costs on a
// short text, much of which is the set's fixed cost per call (allocations,
// locks) rather than its walk of the text.
//
// The answers are RE2's, for the shapes accepted here and ASCII texts; for any
// other text Match declines and the caller asks RE2.
#ifndef SWITCHBOARD_SRC_KEYWORD_SET_H_
#define SWITCHBOARD_SRC_KEYWORD_SET_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

class KeywordSet {
 public:
  // The largest number of patterns a set takes (its answers are a 64-bit mask).
  static constexpr int kMaxPatterns = 64;

  // Adds the next pattern (index: the number of patterns added before it) if
  // it has one of the shapes this class answers exactly, under RE2's default
  // options with case_sensitive = !ignore_case:
  //
  //   [(?i)] \b WORDS \b       WORDS: word | (word|...) | (?:word|...)
  //
  // where a word is 1 to 256 of [0-9A-Za-z_], optionally followed by `?` (its
  // last character is optional; at least one must be left). Returns false,
  // adding nothing, for any other pattern, or when the set is full.
  bool Add(std::string_view pattern, bool ignore_case);

  int size() const { return patterns_; }

  // Appends to *matched, in increasing order, the index of every pattern that
  // matches somewhere in `text`, and returns true; returns false, with
  // *matched unchanged, when `text` is not ASCII (RE2 must answer: a
  // case-insensitive 'k' also matches U+212A KELVIN SIGN, which is no word
  // character for \b).
  bool Match(std::string_view text, std::vector<int>* matched) const;

 private:
  struct Key {
    uint64_t head = 0;
    uint64_t tail = 0;
  };
  struct Word {
    Key key;           // of `text`
    std::string text;  // case-folded when ignore_case (bit 5 set: see Fold)
    bool ignore_case;
    int pattern;
  };

  static Key KeyOf(const char* word, size_t n);
  static Key Fold(Key k, size_t n);

  // words_by_size_[n]: the words of n bytes.
  std::vector<std::vector<Word>> words_by_size_;
  int patterns_ = 0;
  size_t min_size_ = SIZE_MAX;
  size_t max_size_ = 0;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_KEYWORD_SET_H_
