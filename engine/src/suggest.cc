#include "suggest.h"

#include <algorithm>

namespace switchboard {

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view c : candidates) {
    size_t d = EditDistance(word, c);
    // A prefix ("match" for "matches") is a typo too, whatever the distance.
    if (c.size() > word.size() && word.size() >= 3 && c.substr(0, word.size()) == word) {
      d = std::min<size_t>(d, 1);
    }
    if (d < best_distance) {
      best_distance = d;
      best = c;
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
