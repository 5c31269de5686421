// Reading a whole file named on the command line or in the configuration.
#ifndef SWITCHBOARD_SERVER_READ_FILE_H_
#define SWITCHBOARD_SERVER_READ_FILE_H_

#include <string>

#include "switchboard/status.h"

namespace switchboard {
namespace server {

// Reads the regular file (or pipe, or device) at `path` into *out; "-" reads
// standard input to its end. A directory is an error ("is a directory"), as
// are files that cannot be opened or read; the message names the path and the
// reason.
Status ReadWholeFile(const std::string& path, std::string* out);

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_READ_FILE_H_
