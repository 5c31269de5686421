#include "keyword_set.h"

#include <array>
#include <cstring>

namespace switchboard {

namespace {

// RE2's \w, which its \b is defined with: [0-9A-Za-z_], ASCII only.
constexpr std::array<bool, 256> MakeWordTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  t['_'] = true;
  return t;
}
constexpr std::array<bool, 256> kWordChar = MakeWordTable();

// Longer words are left to RE2, which refuses the longest (its memory budget),
// and Add keeps a list per word size up to the longest.
constexpr size_t kMaxWordBytes = 256;

bool IsWordChar(char c) { return kWordChar[static_cast<unsigned char>(c)]; }

// Case folding of word characters: setting bit 5 lowers A-Z and leaves the
// other word characters distinct (digits keep it; '_' becomes 0x7F, which no
// other word character becomes).
constexpr char kFoldBit = 0x20;
constexpr uint64_t kFoldBits = 0x2020202020202020;

// The middle of a word longer than 16 bytes, which its key does not cover:
// bytes 8 to size - 8.
bool SameMiddle(const char* word, const std::string& w, bool ignore_case) {
  const char fold = ignore_case ? kFoldBit : 0;
  for (size_t i = 8; i + 8 < w.size(); ++i) {
    if (static_cast<char>(word[i] | fold) != w[i]) return false;
  }
  return true;
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// The words one alternative stands for: "hours?" -> "hours", "hour". False
// when it is not a word with at most a final `?` (which must leave a word:
// "a?" could match the empty text, at any boundary).
bool ExpandAlternative(std::string_view alt, std::vector<std::string>* out) {
  bool optional_last = !alt.empty() && alt.back() == '?';
  if (optional_last) alt.remove_suffix(1);
  if (alt.empty() || (optional_last && alt.size() < 2) || alt.size() > kMaxWordBytes) {
    return false;
  }
  for (char c : alt) {
    if (!IsWordChar(c)) return false;
  }
  out->emplace_back(alt);
  if (optional_last) out->emplace_back(alt.substr(0, alt.size() - 1));
  return true;
}

}  // namespace

// The first and the last 8 bytes of a word (those there are, zero-padded),
// which is all of a word of at most 16 bytes: words of the same size compare
// as two integers.
KeywordSet::Key KeywordSet::KeyOf(const char* word, size_t n) {
  Key k;
  if (n >= 8) {
    std::memcpy(&k.head, word, 8);
    std::memcpy(&k.tail, word + n - 8, 8);
    return k;
  }
  for (size_t i = 0; i < n; ++i) {
    k.head |= uint64_t{static_cast<unsigned char>(word[i])} << (8 * i);
  }
  k.tail = k.head;
  return k;
}

KeywordSet::Key KeywordSet::Fold(Key k, size_t n) {
  const uint64_t bits = n >= 8 ? kFoldBits : kFoldBits & ((uint64_t{1} << (8 * n)) - 1);
  k.head |= bits;
  k.tail |= bits;
  return k;
}

bool KeywordSet::Add(std::string_view pattern, bool ignore_case) {
  if (patterns_ >= kMaxPatterns) return false;
  std::string_view p = pattern;
  if (ConsumePrefix(&p, "(?i)")) ignore_case = true;
  if (!ConsumePrefix(&p, "\\b") || !ConsumeSuffix(&p, "\\b")) return false;
  // Outside a group, '|' would split the \b's from each other: \ba|b\b.
  const bool group = ConsumePrefix(&p, "(?:") || ConsumePrefix(&p, "(");
  if (group && !ConsumeSuffix(&p, ")")) return false;
  std::vector<std::string> words;
  for (;;) {
    const size_t bar = group ? p.find('|') : std::string_view::npos;
    if (!ExpandAlternative(p.substr(0, bar), &words)) return false;
    if (bar == std::string_view::npos) break;
    p.remove_prefix(bar + 1);
  }
  const int index = patterns_++;
  for (std::string& w : words) {
    if (ignore_case) {
      for (char& c : w) c = static_cast<char>(c | kFoldBit);
    }
    const size_t n = w.size();
    if (words_by_size_.size() <= n) words_by_size_.resize(n + 1);
    const Key key = KeyOf(w.data(), n);
    words_by_size_[n].push_back({key, std::move(w), ignore_case, index});
    if (n < min_size_) min_size_ = n;
    if (n > max_size_) max_size_ = n;
  }
  return true;
}

bool KeywordSet::Match(std::string_view text, std::vector<int>* matched) const {
  uint64_t found = 0;
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    for (; p < end && !IsWordChar(*p); ++p) {
      if (static_cast<unsigned char>(*p) >= 0x80) return false;  // a word is ASCII
    }
    const char* const word = p;
    while (p < end && IsWordChar(*p)) ++p;
    const size_t n = static_cast<size_t>(p - word);
    if (n < min_size_ || n > max_size_) continue;  // also the empty run at the end
    const Key key = KeyOf(word, n);
    const Key folded = Fold(key, n);
    for (const Word& w : words_by_size_[n]) {
      const Key& k = w.ignore_case ? folded : key;
      if (k.head == w.key.head && k.tail == w.key.tail &&
          (n <= 16 || SameMiddle(word, w.text, w.ignore_case))) {
        found |= uint64_t{1} << w.pattern;
      }
    }
  }
  for (int i = 0; found != 0; ++i, found >>= 1) {
    if (found & 1) matched->push_back(i);
  }
  return true;
}

}  // namespace switchboard
