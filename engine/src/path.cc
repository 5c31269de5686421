#include "path.h"

namespace switchboard {

Result<Path> ParsePath(std::string_view text) {
  Path path;
  path.text = std::string(text);
  if (text.empty()) return Status::InvalidArgument("empty path");
  size_t i = 0;
  bool expect_key = true;
  while (i < text.size()) {
    char c = text[i];
    if (c == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) {
        return Status::InvalidArgument("path '" + path.text + "': '[' without ']'");
      }
      std::string_view digits = text.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 6 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos) {
        return Status::InvalidArgument("path '" + path.text + "': array index '" +
                                       std::string(digits) + "' is not a number");
      }
      if (path.segments.empty()) {
        return Status::InvalidArgument("path '" + path.text + "' starts with an index");
      }
      PathSegment segment;
      segment.index = std::stoi(std::string(digits));
      path.segments.push_back(segment);
      i = close + 1;
      expect_key = false;
      continue;
    }
    if (c == '.') {
      if (expect_key) return Status::InvalidArgument("path '" + path.text + "': empty key");
      expect_key = true;
      ++i;
      continue;
    }
    if (!expect_key) {
      return Status::InvalidArgument("path '" + path.text + "': expected '.' or '[' after ']'");
    }
    size_t end = text.find_first_of(".[]", i);
    if (end == std::string_view::npos) end = text.size();
    if (end < text.size() && text[end] == ']') {
      return Status::InvalidArgument("path '" + path.text + "': ']' without '['");
    }
    PathSegment segment;
    segment.key = std::string(text.substr(i, end - i));
    path.segments.push_back(std::move(segment));
    i = end;
    expect_key = false;
  }
  if (expect_key) return Status::InvalidArgument("path '" + path.text + "' ends with '.'");
  const auto& segments = path.segments;
  path.under_data_object = segments.size() >= 2 && segments[0].index < 0 && segments[1].index < 0 &&
                           segments[0].key == "data" && segments[1].key == "object";
  return path;
}

bool WalkPath(simdjson::dom::element element, const std::vector<PathSegment>& segments,
              size_t first, simdjson::dom::element* out) {
  for (size_t i = first; i < segments.size(); ++i) {
    const PathSegment& s = segments[i];
    if (s.index >= 0) {
      simdjson::dom::array array;
      if (element.get_array().get(array)) return false;
      if (array.at(static_cast<size_t>(s.index)).get(element)) return false;
    } else {
      simdjson::dom::object object;
      if (element.get_object().get(object)) return false;
      if (object.at_key(s.key).get(element)) return false;
    }
  }
  *out = element;
  return true;
}

}  // namespace switchboard
