#include "unicode_case.h"

namespace switchboard {

namespace {

// Pairs within a block: the upper case letter at the even code point (EvenUpper)
// or at the odd one (OddUpper), its lower case letter right after it.
char32_t EvenUpperToLower(char32_t c) { return c | 1; }
char32_t EvenUpperToUpper(char32_t c) { return c & ~char32_t{1}; }
char32_t OddUpperToLower(char32_t c) { return (c & 1) ? c + 1 : c; }
char32_t OddUpperToUpper(char32_t c) { return (c & 1) ? c : c - 1; }

bool In(char32_t c, char32_t first, char32_t last) { return c >= first && c <= last; }

char32_t LowerOf(char32_t c) {
  if (c < 0x80) return In(c, 'A', 'Z') ? c + 0x20 : c;
  if (In(c, 0xC0, 0xDE) && c != 0xD7) return c + 0x20;  // À-Þ, not ×
  if (c < 0x100) return c;
  // Latin Extended-A.
  if (In(c, 0x100, 0x12F) || In(c, 0x132, 0x137) || In(c, 0x14A, 0x177)) {
    return EvenUpperToLower(c);
  }
  if (In(c, 0x139, 0x148) || In(c, 0x179, 0x17E)) return OddUpperToLower(c);
  if (c == 0x130) return 'i';   // İ
  if (c == 0x178) return 0xFF;  // Ÿ
  // Greek.
  if (c == 0x386) return 0x3AC;
  if (In(c, 0x388, 0x38A)) return c + 0x25;
  if (c == 0x38C) return 0x3CC;
  if (In(c, 0x38E, 0x38F)) return c + 0x3F;
  if (In(c, 0x391, 0x3AB) && c != 0x3A2) return c + 0x20;
  // Cyrillic.
  if (In(c, 0x400, 0x40F)) return c + 0x50;
  if (In(c, 0x410, 0x42F)) return c + 0x20;
  if (In(c, 0x460, 0x481) || In(c, 0x48A, 0x4BF) || In(c, 0x4D0, 0x52F)) {
    return EvenUpperToLower(c);
  }
  if (c == 0x4C0) return 0x4CF;
  if (In(c, 0x4C1, 0x4CE)) return OddUpperToLower(c);
  // Armenian.
  if (In(c, 0x531, 0x556)) return c + 0x30;
  // Latin Extended Additional (Vietnamese and others).
  if (In(c, 0x1E00, 0x1E95) || In(c, 0x1EA0, 0x1EFF)) return EvenUpperToLower(c);
  if (c == 0x1E9E) return 0xDF;  // capital sharp s
  // Fullwidth Latin.
  if (In(c, 0xFF21, 0xFF3A)) return c + 0x20;
  return c;
}

char32_t UpperOf(char32_t c) {
  if (c < 0x80) return In(c, 'a', 'z') ? c - 0x20 : c;
  if (In(c, 0xE0, 0xFE) && c != 0xF7) return c - 0x20;  // à-þ, not ÷
  if (c == 0xFF) return 0x178;                          // ÿ
  if (c == 0xB5) return 0x39C;                          // micro sign
  if (c < 0x100) return c;
  // Latin Extended-A.
  if (In(c, 0x100, 0x12F) || In(c, 0x132, 0x137) || In(c, 0x14A, 0x177)) {
    return EvenUpperToUpper(c);
  }
  if (In(c, 0x139, 0x148) || In(c, 0x179, 0x17E)) return OddUpperToUpper(c);
  if (c == 0x131) return 'I';  // dotless i
  if (c == 0x17F) return 'S';  // long s
  // Greek.
  if (c == 0x3AC) return 0x386;
  if (In(c, 0x3AD, 0x3AF)) return c - 0x25;
  if (c == 0x3CC) return 0x38C;
  if (In(c, 0x3CD, 0x3CE)) return c - 0x3F;
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (In(c, 0x3B1, 0x3CB)) return c - 0x20;
  // Cyrillic.
  if (In(c, 0x430, 0x44F)) return c - 0x20;
  if (In(c, 0x450, 0x45F)) return c - 0x50;
  if (In(c, 0x460, 0x481) || In(c, 0x48A, 0x4BF) || In(c, 0x4D0, 0x52F)) {
    return EvenUpperToUpper(c);
  }
  if (c == 0x4CF) return 0x4C0;
  if (In(c, 0x4C1, 0x4CE)) return OddUpperToUpper(c);
  // Armenian.
  if (In(c, 0x561, 0x586)) return c - 0x30;
  // Latin Extended Additional.
  if (In(c, 0x1E00, 0x1E95) || In(c, 0x1EA0, 0x1EFF)) return EvenUpperToUpper(c);
  // Fullwidth Latin.
  if (In(c, 0xFF41, 0xFF5A)) return c - 0x20;
  return c;
}

char32_t FoldOf(char32_t c) {
  switch (c) {
    case 0xB5:
      return 0x3BC;  // micro sign: mu
    case 0x17F:
      return 's';  // long s
    case 0x3C2:
      return 0x3C3;  // final sigma: sigma
    case 0x130:
      // İ lower-cases to i, but folds to nothing else (Unicode CaseFolding.txt
      // has only a Turkic mapping for it): RE2's (?i) keeps it apart from I and
      // i, and so does ignore_case, whatever the operator.
      return c;
    default:
      return LowerOf(c);
  }
}

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Decodes the code point at text[*i] and advances *i past it; false (and *i
// unchanged) for a byte that does not start a valid sequence: overlong forms,
// surrogates and values past U+10FFFF are not valid (RFC 3629), and are left
// as they are rather than turned into the characters they spell.
bool Decode(std::string_view text, size_t* i, char32_t* out) {
  const auto b0 = static_cast<unsigned char>(text[*i]);
  size_t n;
  char32_t c;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    c = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    c = b0 & 0x07;
  } else {
    return false;
  }
  if (*i + n > text.size()) return false;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(text[*i + k]);
    if (!IsContinuation(b)) return false;
    c = (c << 6) | (b & 0x3F);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kSmallest[n] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return false;
  *i += n;
  *out = c;
  return true;
}

// Advances *i past one character; false, past one byte, when text[*i] does not
// start a valid UTF-8 sequence.
bool NextValid(std::string_view text, size_t* i) {
  if (static_cast<unsigned char>(text[*i]) < 0x80) {
    ++*i;
    return true;
  }
  char32_t c;
  if (Decode(text, i, &c)) return true;
  ++*i;
  return false;
}

void Encode(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// `text` with `map` applied to each code point; other bytes are copied.
template <typename Map>
std::string MapUtf8(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(map(b)));
      ++i;
      continue;
    }
    char32_t c;
    if (!Decode(text, &i, &c)) {
      out.push_back(text[i++]);
      continue;
    }
    Encode(map(c), &out);
  }
  return out;
}

}  // namespace

size_t FindInvalidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    if (!NextValid(text, &i)) return at;
  }
  return std::string_view::npos;
}

size_t Utf8CharLength(std::string_view text, size_t at) {
  size_t i = at;
  return NextValid(text, &i) ? i - at : 0;
}

std::string ReplaceInvalidUtf8(std::string_view text, char with) {
  std::string out(text);
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    if (!NextValid(text, &i)) out[at] = with;
  }
  return out;
}

std::string ToLowerUtf8(std::string_view text) { return MapUtf8(text, LowerOf); }
std::string ToUpperUtf8(std::string_view text) { return MapUtf8(text, UpperOf); }
std::string FoldCaseUtf8(std::string_view text) { return MapUtf8(text, FoldOf); }

size_t Utf8PrefixLength(std::string_view text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t cut = max;
  while (cut > 0 && IsContinuation(static_cast<unsigned char>(text[cut]))) --cut;
  return cut;
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace switchboard
