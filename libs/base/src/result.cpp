// SPDX-License-Identifier: Apache-2.0
// Out-of-line abort for misuse of Result.
#include "rustynet/base/result.hpp"

#include <cstdio>
#include <cstdlib>

namespace rustynet::base::detail {

void result_bad_access(const char* what) noexcept {
  static_cast<void>(std::fputs("rustynet: fatal: ", stderr));
  static_cast<void>(std::fputs(what, stderr));
  static_cast<void>(std::fputs("\n", stderr));
  std::abort();
}

}  // namespace rustynet::base::detail
