// SPDX-License-Identifier: Apache-2.0
// SysError formatting.
#include "rustynet/base/sys_error.hpp"

#include <cerrno>
#include <system_error>

namespace rustynet::base {

std::string SysError::describe() const {
  return operation + ": " + std::generic_category().message(error_number) + " (errno " + std::to_string(error_number) +
         ")";
}

SysError last_sys_error(std::string operation) { return SysError{std::move(operation), errno}; }

}  // namespace rustynet::base
