// SPDX-License-Identifier: Apache-2.0
// Bounded in-memory nonce store: expired nonces make room, unexpired ones are never evicted.
#include "rustynet/control/nonce_store.hpp"

#include <algorithm>
#include <climits>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rustynet::control {

struct MemoryNonceStore::Impl {
  using Expiry = std::pair<std::int64_t, std::string>;
  std::size_t capacity;
  std::mutex mutex;
  std::unordered_map<std::string, std::int64_t> retained;
  // Min-heap by retain_until, to drop expired entries in O(log n) each.
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> by_expiry;
  // Anti-replay floor, as in the SQLite store: a nonce retained until before it may have been
  // dropped, so it is refused; drops never cut past the latest retention recorded (+1), so a
  // wall clock stepped forward and corrected cannot re-open a still-valid token.
  std::int64_t floor = INT64_MIN;
  std::int64_t max_retained = INT64_MIN;

  explicit Impl(std::size_t capacity_in) : capacity(capacity_in) {}

  void drop_expired(std::int64_t now) {
    const std::int64_t cutoff = max_retained == INT64_MIN ? now : std::min(now, max_retained + 1);
    floor = std::max(floor, cutoff);
    while (!by_expiry.empty() && by_expiry.top().first < cutoff) {
      auto found = retained.find(by_expiry.top().second);
      if (found != retained.end() && found->second < cutoff) {
        retained.erase(found);
      }
      by_expiry.pop();
    }
  }
};

MemoryNonceStore::MemoryNonceStore(std::size_t capacity) : impl_(std::make_unique<Impl>(capacity)) {}
MemoryNonceStore::~MemoryNonceStore() = default;

base::Result<NonceOutcome, StateError> MemoryNonceStore::record_once(std::string_view nonce,
                                                                     base::UnixTime retain_until, base::UnixTime now) {
  const std::lock_guard lock(impl_->mutex);
  if (retain_until.seconds < impl_->floor) {
    return NonceOutcome::kReplayed;  // its record may have been dropped: first use is unprovable
  }
  const std::string key(nonce);
  if (auto found = impl_->retained.find(key); found != impl_->retained.end()) {
    if (found->second >= now.seconds) {
      return NonceOutcome::kReplayed;
    }
    impl_->floor = std::max(impl_->floor, found->second + 1);
    impl_->retained.erase(found);
  }
  if (impl_->retained.size() >= impl_->capacity) {
    impl_->drop_expired(now.seconds);
    if (impl_->retained.size() >= impl_->capacity) {
      return NonceOutcome::kFull;
    }
  }
  impl_->max_retained = std::max(impl_->max_retained, retain_until.seconds);
  impl_->retained.emplace(key, retain_until.seconds);
  impl_->by_expiry.emplace(retain_until.seconds, key);
  return NonceOutcome::kFresh;
}

std::size_t MemoryNonceStore::size() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->retained.size();
}

}  // namespace rustynet::control
