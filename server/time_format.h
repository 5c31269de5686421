// ISO 8601 text for the times the server stores as milliseconds since the epoch.
#ifndef SWITCHBOARD_SERVER_TIME_FORMAT_H_
#define SWITCHBOARD_SERVER_TIME_FORMAT_H_

#include <cstdint>
#include <string>

namespace switchboard {
namespace server {

// "2026-01-05T15:04:05.123Z".
std::string FormatMs(int64_t ms);
// Parses an ISO 8601 date or date-time (with a zone or UTC); false when invalid.
bool ParseIsoMs(const std::string& text, int64_t* ms);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_TIME_FORMAT_H_
