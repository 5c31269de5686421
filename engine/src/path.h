// Dotted paths with array indexes ("data.object.to[0]", "facts.contact"), parsed
// once at load time and resolved against an event.
#ifndef SWITCHBOARD_SRC_PATH_H_
#define SWITCHBOARD_SRC_PATH_H_

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "switchboard/event.h"
#include "switchboard/status.h"

namespace switchboard {

struct PathSegment {
  std::string key;  // object member name; empty for an index
  int index = -1;   // array index when >= 0
};

struct Path {
  std::string text;  // as written
  std::vector<PathSegment> segments;
  // Starts with the keys "data" and "object", the OpenPhone resource: evaluation
  // walks such paths from there (see WalkEventPath).
  bool under_data_object = false;
};

// Parses "a.b[0].c". Keys are any characters but '.', '[' and ']'; an index is
// a non-negative integer. The error message says what is wrong and where.
Result<Path> ParsePath(std::string_view text);

// Walks segments [first, end) from `element`. Returns false when a member or
// index is missing (a JSON null that is present is returned as such).
bool WalkPath(simdjson::dom::element element, const std::vector<PathSegment>& segments,
              size_t first, simdjson::dom::element* out);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_PATH_H_
