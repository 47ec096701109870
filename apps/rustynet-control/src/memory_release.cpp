// SPDX-License-Identifier: Apache-2.0
// BurstMemoryRelease: malloc_trim() once a burst of connections has drained.
#include "memory_release.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace rustynet::apps::control_server {

bool BurstMemoryRelease::connection_closed(std::uint64_t still_open) {
  const std::uint64_t closed = closed_since_release_.fetch_add(1) + 1;
  if (closed < min_closed_ || still_open * 4 > closed) {
    return false;
  }
  // One thread wins the release; the others' closes count towards the next one.
  std::uint64_t expected = closed;
  if (!closed_since_release_.compare_exchange_strong(expected, 0)) {
    return false;
  }
#if defined(__GLIBC__)
  (void)::malloc_trim(0);
#endif
  releases_.fetch_add(1);
  return true;
}

}  // namespace rustynet::apps::control_server
