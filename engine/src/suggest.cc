#include "suggest.h"

#include <algorithm>
#include <string>

#include "unicode_case.h"

namespace switchboard {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and
// swaps of two neighbouring characters ("lgo" -> "log") each cost one.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string Closest(std::string_view word_as_written,
                    const std::vector<std::string_view>& candidates) {
  // Case is no distance: "EQUALS" is "equals" in the wrong case.
  const std::string word = ToLowerUtf8(word_as_written);
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view candidate : candidates) {
    const std::string c = ToLowerUtf8(candidate);
    size_t d = EditDistance(word, c);
    // A prefix ("match" for "matches") is a typo too, whatever the distance.
    if (c.size() > word.size() && word.size() >= 3 && c.substr(0, word.size()) == word) {
      d = std::min<size_t>(d, 1);
    }
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  size_t allowed = std::max<size_t>(1, std::min<size_t>(3, word.size() / 3));
  if (best.empty() || best_distance > allowed) return "";
  return std::string(best);
}

std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best = Closest(word, candidates);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace switchboard
