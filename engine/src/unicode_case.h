// Letter case beyond ASCII, for `ignore_case` and the `lower` / `upper` filters.
//
// Simple (one code point to one code point) mappings of the Unicode letters of
// the scripts customers text in most: Latin (Latin-1, Extended-A, the Latin
// Extended Additional block of Vietnamese), Greek, Cyrillic, Armenian and the
// fullwidth forms. Other code points, and bytes that are not valid UTF-8, are
// left as they are. `matches` with ignore_case is RE2's, which folds every
// script; for these scripts the two agree.
#ifndef SWITCHBOARD_SRC_UNICODE_CASE_H_
#define SWITCHBOARD_SRC_UNICODE_CASE_H_

#include <string>
#include <string_view>

namespace switchboard {

// `text` with every letter above in lower (upper) case.
std::string ToLowerUtf8(std::string_view text);
std::string ToUpperUtf8(std::string_view text);

// The form ignore_case compares: lower case, and a final sigma as any sigma.
std::string FoldCaseUtf8(std::string_view text);

// The offset of the first byte that is not part of valid UTF-8 (RFC 3629: no
// overlong forms, surrogates or values past U+10FFFF), or std::string_view::npos.
size_t FindInvalidUtf8(std::string_view text);
// The length of the character that starts at text[at]: 1 for ASCII, 2 to 4 for
// a valid UTF-8 sequence, 0 when text[at] does not start one.
size_t Utf8CharLength(std::string_view text, size_t at);
// `text` with each byte that is not part of valid UTF-8 replaced by `with`.
std::string ReplaceInvalidUtf8(std::string_view text, char with);

// The length of the longest prefix of `text` of at most `max` bytes that does
// not end inside a UTF-8 sequence: where a long text is cut for display.
size_t Utf8PrefixLength(std::string_view text, size_t max);

// Whether every byte is ASCII (when both sides are, ASCII folding is enough).
bool IsAscii(std::string_view text);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_UNICODE_CASE_H_
