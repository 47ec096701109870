// SPDX-License-Identifier: Apache-2.0
// FlatMap: a small open-addressing hash map for the policy index hot path (insert-then-read-only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace rustynet::policy::detail {

[[nodiscard]] inline std::uint64_t mix64(std::uint64_t x) noexcept {
  // splitmix64 finaliser: cheap, good avalanche for structured keys such as (src << 32 | dst).
  x ^= x >> 30U;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27U;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31U;
  return x;
}

// Key must be equality-comparable and Hash must map it to a 64-bit value. Linear probing, load
// factor <= 1/2, built once then only read (no erase). Lookups never allocate.
template <class Key, class Value, class Hash>
class FlatMap {
 public:
  void reserve(std::size_t count) {
    std::size_t capacity = 16;
    while (capacity < count * 2) {
      capacity *= 2;
    }
    if (capacity > slots_.size()) {
      rehash(capacity);
    }
  }

  // Returns the value slot for `key`, inserting `fallback` if absent.
  Value& find_or_insert(const Key& key, const Value& fallback) {
    if ((size_ + 1) * 2 > slots_.size()) {
      rehash(slots_.empty() ? 16 : slots_.size() * 2);
    }
    const std::uint64_t hash = Hash{}(key);
    std::size_t i = static_cast<std::size_t>(hash) & (slots_.size() - 1);
    while (slots_[i].used) {
      if (slots_[i].hash == hash && slots_[i].key == key) {
        return slots_[i].value;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = Slot{key, fallback, hash, true};
    ++size_;
    return slots_[i].value;
  }

  [[nodiscard]] const Value* find(const Key& key) const noexcept {
    if (slots_.empty()) {
      return nullptr;
    }
    const std::uint64_t hash = Hash{}(key);
    std::size_t i = static_cast<std::size_t>(hash) & (slots_.size() - 1);
    while (slots_[i].used) {
      // The stored hash is compared first: a key compare may chase a pointer (string_view keys).
      if (slots_[i].hash == hash && slots_[i].key == key) {
        return &slots_[i].value;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
    return nullptr;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  struct Slot {
    Key key{};
    Value value{};
    std::uint64_t hash = 0;
    bool used = false;
  };

  void rehash(std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    size_ = 0;
    for (const auto& slot : old) {
      if (slot.used) {
        find_or_insert(slot.key, slot.value);
      }
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace rustynet::policy::detail
