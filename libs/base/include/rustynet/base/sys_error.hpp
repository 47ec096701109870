// SPDX-License-Identifier: Apache-2.0
// SysError: a failed system call, with errno captured at the call site.
#pragma once

#include <string>

namespace rustynet::base {

struct SysError {
  std::string operation;  // e.g. "open /var/lib/rustynet/trust.state"; never contains secrets
  int error_number = 0;   // errno at the failing call

  // "operation: description (errno N)"; thread-safe (does not use strerror()).
  [[nodiscard]] std::string describe() const;
};

// Builds a SysError from the current errno. Call immediately after the failing call.
[[nodiscard]] SysError last_sys_error(std::string operation);

}  // namespace rustynet::base
