// SPDX-License-Identifier: Apache-2.0
// UniqueFd close path.
#include "rustynet/base/unique_fd.hpp"

#include <unistd.h>

namespace rustynet::base {

void UniqueFd::reset(int fd) noexcept {
  const int old = std::exchange(fd_, fd);
  if (old >= 0) {
    // The result is deliberately ignored: see the class comment on EINTR; there is no recovery.
    static_cast<void>(::close(old));
  }
}

}  // namespace rustynet::base
