// SPDX-License-Identifier: Apache-2.0
// Unix-domain socket helpers (the sockaddr conversion is in c_api_casts.cpp).
#include "unix_socket.hpp"

#include "c_api_casts.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>

namespace rustynet::backend_wireguard {
namespace {

base::Result<sockaddr_un, base::SysError> make_address(const std::string& path, const std::string& operation) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return base::unexpected(base::SysError{.operation = operation, .error_number = ENAMETOOLONG});
  }
  std::copy(path.begin(), path.end(), address.sun_path);
  return address;
}

}  // namespace

base::Result<base::UniqueFd, base::SysError> connect_unix_stream(const std::string& path) {
  const std::string operation = "connect " + path;
  RUSTYNET_ASSIGN_OR_RETURN(const sockaddr_un address, make_address(path, operation));
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return base::unexpected(base::last_sys_error("socket(AF_UNIX) for " + path));
  }
  int rc = 0;
  do {
    rc = ::connect(fd.get(), as_sockaddr(address), sizeof(address));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return base::unexpected(base::last_sys_error(operation));
  }
  return fd;
}

base::Result<base::UniqueFd, base::SysError> listen_unix_stream(const std::string& path) {
  const std::string operation = "bind " + path;
  RUSTYNET_ASSIGN_OR_RETURN(const sockaddr_un address, make_address(path, operation));
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return base::unexpected(base::last_sys_error("socket(AF_UNIX) for " + path));
  }
  if (::bind(fd.get(), as_sockaddr(address), sizeof(address)) != 0) {
    return base::unexpected(base::last_sys_error(operation));
  }
  if (::listen(fd.get(), 16) != 0) {
    return base::unexpected(base::last_sys_error("listen " + path));
  }
  return fd;
}

}  // namespace rustynet::backend_wireguard
