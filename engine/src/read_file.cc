#include "read_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace switchboard {

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = std::strerror(errno);
    return false;
  }
  // A directory opens, and fails at the first read (EISDIR).
  char buf[16384];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const int read_errno = errno;
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) *error = std::strerror(read_errno);
  return !failed;
}

}  // namespace switchboard
