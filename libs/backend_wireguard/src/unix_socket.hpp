// SPDX-License-Identifier: Apache-2.0
// Unix-domain stream sockets by path.
#pragma once

#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::backend_wireguard {

// Connects a SOCK_STREAM|SOCK_CLOEXEC socket to `path`. errno of the failing call is kept
// (ENOENT: nothing listens; ECONNREFUSED: stale socket file; EACCES: permission denied).
[[nodiscard]] base::Result<base::UniqueFd, base::SysError> connect_unix_stream(const std::string& path);
// Binds and listens on `path` (used by tests to stand in for a daemon).
[[nodiscard]] base::Result<base::UniqueFd, base::SysError> listen_unix_stream(const std::string& path);

}  // namespace rustynet::backend_wireguard
