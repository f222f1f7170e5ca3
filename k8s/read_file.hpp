#pragma once
// Reading the small files credentials live in (tokens, certificates, kubeconfigs). Internal to
// k8s_config. Failures carry the system's reason, so an error can say "Permission denied"
// rather than just "cannot read".

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <system_error>

namespace k8s::detail {

// The whole file, or nullopt with `reason` set.
inline std::optional<std::string> read_file(const std::string& path, std::string& reason) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    reason = std::system_category().message(errno);
    return std::nullopt;
  }
  std::string data;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      reason = std::system_category().message(errno);  // e.g. EISDIR for a directory
      ::close(fd);
      return std::nullopt;
    }
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

}  // namespace k8s::detail
