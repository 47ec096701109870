// SPDX-License-Identifier: Apache-2.0
// AF_UNIX connect for the local API client.
#include "unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>

namespace rustynet::apps::cli {
namespace {

// The sockets API takes sockaddr*; sockaddr_un is layout-compatible with it by design.
const sockaddr* as_sockaddr(const sockaddr_un& address) noexcept {
  return reinterpret_cast<const sockaddr*>(&address);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

}  // namespace

base::Result<base::UniqueFd, base::SysError> connect_unix_stream(const std::string& path) {
  const std::string operation = "connect " + path;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return base::unexpected(base::SysError{.operation = operation, .error_number = ENAMETOOLONG});
  }
  std::copy(path.begin(), path.end(), std::begin(address.sun_path));
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return base::unexpected(base::last_sys_error("socket(AF_UNIX)"));
  }
  // Blocking connect: on a Unix socket it completes or fails at once (no handshake); EINTR is not
  // retried because a retried connect() reports EALREADY/EISCONN instead of the real outcome.
  if (::connect(fd.get(), as_sockaddr(address), sizeof(address)) != 0) {
    return base::unexpected(base::last_sys_error(operation));
  }
  return fd;
}

}  // namespace rustynet::apps::cli
