// SPDX-License-Identifier: Apache-2.0
// Bounded in-memory nonce store: expired nonces make room, unexpired ones are never evicted.
#include "rustynet/control/nonce_store.hpp"

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

  explicit Impl(std::size_t capacity_in) : capacity(capacity_in) {}

  void drop_expired(std::int64_t now) {
    while (!by_expiry.empty() && by_expiry.top().first < now) {
      auto found = retained.find(by_expiry.top().second);
      if (found != retained.end() && found->second < now) {
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
  const std::string key(nonce);
  if (auto found = impl_->retained.find(key); found != impl_->retained.end()) {
    if (found->second >= now.seconds) {
      return NonceOutcome::kReplayed;
    }
    impl_->retained.erase(found);
  }
  if (impl_->retained.size() >= impl_->capacity) {
    impl_->drop_expired(now.seconds);
    if (impl_->retained.size() >= impl_->capacity) {
      return NonceOutcome::kFull;
    }
  }
  impl_->retained.emplace(key, retain_until.seconds);
  impl_->by_expiry.emplace(retain_until.seconds, key);
  return NonceOutcome::kFresh;
}

std::size_t MemoryNonceStore::size() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->retained.size();
}

}  // namespace rustynet::control
