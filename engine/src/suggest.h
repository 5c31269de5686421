// "Did you mean" suggestions for misspelt keys, operators, filters and names.
#ifndef SWITCHBOARD_SRC_SUGGEST_H_
#define SWITCHBOARD_SRC_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

// The candidate closest to `word` by edit distance, or "" when none is close
// enough to be a plausible typo.
std::string Closest(std::string_view word, const std::vector<std::string_view>& candidates);

// " (did you mean 'x'?)" or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_SUGGEST_H_
