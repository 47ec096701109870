// SPDX-License-Identifier: Apache-2.0
// Unix-domain stream sockets by path: the one place the sockaddr conversion lives.
#pragma once

#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::base {

// Connects a SOCK_STREAM|SOCK_CLOEXEC socket to `path`. errno of the failing call is kept
// (ENOENT: nothing listens; ECONNREFUSED: stale socket file; EACCES: permission denied;
// ENAMETOOLONG: the path does not fit sockaddr_un).
[[nodiscard]] Result<UniqueFd, SysError> connect_unix_stream(const std::string& path);

// Binds a SOCK_STREAM|SOCK_CLOEXEC socket to `path` and listens. The caller owns the file at
// `path` (permissions, removal of a stale one before and of its own after use).
[[nodiscard]] Result<UniqueFd, SysError> listen_unix_stream(const std::string& path, int backlog = 16);

}  // namespace rustynet::base
