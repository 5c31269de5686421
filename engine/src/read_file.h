// Reading a whole file the loader was pointed at: a rule file, or an inline
// test's event file.
#ifndef SWITCHBOARD_SRC_READ_FILE_H_
#define SWITCHBOARD_SRC_READ_FILE_H_

#include <string>

namespace switchboard {

// Appends the contents of the file at `path` to *out. On failure returns false
// with the system's reason in *error ("No such file or directory", "Is a
// directory", "Permission denied").
bool ReadWholeFile(const std::string& path, std::string* out, std::string* error);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_READ_FILE_H_
