// SPDX-License-Identifier: Apache-2.0
// Connecting to the daemon's Unix stream socket (the one sockaddr cast of the CLI lives here).
#pragma once

#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::apps::cli {

// Close-on-exec AF_UNIX stream socket connected to `path`. Errors carry errno
// (ENOENT: no socket, ECONNREFUSED: nobody listening, EACCES: permission, ENAMETOOLONG: path
// longer than sun_path).
[[nodiscard]] base::Result<base::UniqueFd, base::SysError> connect_unix_stream(const std::string& path);

}  // namespace rustynet::apps::cli
