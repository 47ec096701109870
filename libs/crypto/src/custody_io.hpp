// SPDX-License-Identifier: Apache-2.0
// Reading small secrets from descriptors and owner-only files into zeroising storage (internal).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/custody.hpp"

namespace rustynet::crypto::detail {

// Reads `fd` to EOF into a SecretBytes; more than `max_bytes` is kOperatorSecretInvalid.
[[nodiscard]] base::Result<base::SecretBytes, CustodyError> read_secret_fd(int fd, std::size_t max_bytes,
                                                                           const std::string& label);

// Opens `path` without following a final symlink and checks the open descriptor: regular file,
// owned by `owner`, no group/other permission bits. Then reads it like read_secret_fd.
[[nodiscard]] base::Result<base::SecretBytes, CustodyError> read_owner_only_file(const std::string& path, uid_t owner,
                                                                                 std::size_t max_bytes);

// Strips one trailing "\n" or "\r\n".
[[nodiscard]] base::SecretBytes strip_trailing_newline(base::SecretBytes bytes);

}  // namespace rustynet::crypto::detail
