#include "read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace switchboard {
namespace server {

Status ReadWholeFile(const std::string& path, std::string* out) {
  const bool standard_input = path == "-";
  auto failed = [&](int error) {
    return Status::IoError((standard_input ? "cannot read standard input"
                                           : "cannot read '" + path + "'") +
                           ": " + std::strerror(error));
  };
  const int fd = standard_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failed(errno);
  auto close_file = [&] {
    if (!standard_input) ::close(fd);
  };
  struct stat st;
  int error = ::fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (error != 0) {
    close_file();
    return failed(error);
  }
  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<size_t>(st.st_size));
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      close_file();
      return failed(error);
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  close_file();
  *out = std::move(text);
  return Status::OK();
}

}  // namespace server
}  // namespace switchboard
