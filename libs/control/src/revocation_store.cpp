// SPDX-License-Identifier: Apache-2.0
// Non-durable revocation store (tests, benchmarks).
#include "rustynet/control/revocation_store.hpp"

#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

namespace rustynet::control {

struct MemoryRevocationStore::Impl {
  std::mutex mutex;
  std::unordered_map<std::string, std::int64_t> tokens;
  std::set<std::string, std::less<>> subjects;
};

MemoryRevocationStore::MemoryRevocationStore() : impl_(std::make_unique<Impl>()) {}
MemoryRevocationStore::~MemoryRevocationStore() = default;

base::Status<StateError> MemoryRevocationStore::revoke_token(std::string_view token_id, base::UnixTime retain_until) {
  const std::lock_guard lock(impl_->mutex);
  impl_->tokens[std::string(token_id)] = retain_until.seconds;
  return {};
}

base::Status<StateError> MemoryRevocationStore::revoke_subject(std::string_view subject) {
  const std::lock_guard lock(impl_->mutex);
  impl_->subjects.emplace(subject);
  return {};
}

base::Status<StateError> MemoryRevocationStore::unrevoke_subject(std::string_view subject) {
  const std::lock_guard lock(impl_->mutex);
  if (auto found = impl_->subjects.find(subject); found != impl_->subjects.end()) {
    impl_->subjects.erase(found);
  }
  return {};
}

base::Result<bool, StateError> MemoryRevocationStore::is_revoked(std::string_view token_id, std::string_view subject) {
  const std::lock_guard lock(impl_->mutex);
  return impl_->tokens.contains(std::string(token_id)) || impl_->subjects.contains(subject);
}

}  // namespace rustynet::control
