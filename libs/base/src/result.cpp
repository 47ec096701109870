// SPDX-License-Identifier: Apache-2.0
// Out-of-line abort for misuse of Result.
#include "rustynet/base/result.hpp"

#include <cstdio>
#include <cstdlib>

namespace rustynet::base::detail {

void result_bad_access(const char* what) noexcept {
  std::fputs("rustynet: fatal: ", stderr);
  std::fputs(what, stderr);
  std::fputs("\n", stderr);
  std::abort();
}

}  // namespace rustynet::base::detail
