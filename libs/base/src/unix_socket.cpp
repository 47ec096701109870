// SPDX-License-Identifier: Apache-2.0
// Unix-domain socket helpers; holds the reviewed sockaddr_un -> sockaddr conversion.
#include "rustynet/base/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>

namespace rustynet::base {
namespace {

// The sockets API takes sockaddr*; sockaddr_un is layout-compatible with it by design.
const sockaddr* as_sockaddr(const sockaddr_un& address) noexcept {
  return reinterpret_cast<const sockaddr*>(&address);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

Result<sockaddr_un, SysError> make_address(const std::string& path, const std::string& operation) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return unexpected(SysError{.operation = operation, .error_number = ENAMETOOLONG});
  }
  std::copy(path.begin(), path.end(), address.sun_path);
  return address;
}

Result<UniqueFd, SysError> new_stream_socket(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return unexpected(last_sys_error("socket(AF_UNIX) for " + path));
  }
  return fd;
}

}  // namespace

Result<UniqueFd, SysError> connect_unix_stream(const std::string& path) {
  const std::string operation = "connect " + path;
  RUSTYNET_ASSIGN_OR_RETURN(const sockaddr_un address, make_address(path, operation));
  RUSTYNET_ASSIGN_OR_RETURN(UniqueFd fd, new_stream_socket(path));
  int rc = 0;
  do {
    rc = ::connect(fd.get(), as_sockaddr(address), sizeof(address));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return unexpected(last_sys_error(operation));
  }
  return fd;
}

Result<UniqueFd, SysError> listen_unix_stream(const std::string& path, int backlog) {
  const std::string operation = "bind " + path;
  RUSTYNET_ASSIGN_OR_RETURN(const sockaddr_un address, make_address(path, operation));
  RUSTYNET_ASSIGN_OR_RETURN(UniqueFd fd, new_stream_socket(path));
  if (::bind(fd.get(), as_sockaddr(address), sizeof(address)) != 0) {
    return unexpected(last_sys_error(operation));
  }
  if (::listen(fd.get(), backlog) != 0) {
    return unexpected(last_sys_error("listen " + path));
  }
  return fd;
}

}  // namespace rustynet::base
