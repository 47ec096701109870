// SPDX-License-Identifier: Apache-2.0
// BoundedLru: a string-keyed map with a hard entry cap that forgets the least recently used key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rustynet::control::detail {

// Not thread-safe; owners lock. Keys are stored once (in the list node); the index holds views of
// them, which stay valid because list nodes never move.
template <class V>
class BoundedLru {
 public:
  explicit BoundedLru(std::size_t capacity) : capacity_(capacity) { index_.reserve(capacity); }

  // The entry for `key`, most recent afterwards. A new entry starts as V{}; when the map is full
  // the least recently used entry is reused for it (evicted).
  V& touch(std::string_view key, bool& inserted) {
    if (auto found = index_.find(key); found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);
      inserted = false;
      return found->second->value;
    }
    inserted = true;
    if (order_.size() >= capacity_) {
      auto oldest = std::prev(order_.end());
      index_.erase(std::string_view(oldest->key));
      oldest->key.assign(key);
      oldest->value = V{};
      order_.splice(order_.begin(), order_, oldest);
      ++evictions_;
    } else {
      order_.push_front(Node{std::string(key), V{}});
    }
    index_.emplace(std::string_view(order_.front().key), order_.begin());
    return order_.front().value;
  }

  // The entry for `key` or nullptr; does not change recency.
  V* find(std::string_view key) {
    auto found = index_.find(key);
    return found == index_.end() ? nullptr : &found->second->value;
  }

  void erase(std::string_view key) {
    auto found = index_.find(key);
    if (found == index_.end()) {
      return;
    }
    auto node = found->second;
    index_.erase(found);
    order_.erase(node);
  }

  [[nodiscard]] std::size_t size() const noexcept { return order_.size(); }
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }

 private:
  struct Node {
    std::string key;
    V value;
  };
  std::size_t capacity_;
  std::uint64_t evictions_ = 0;
  std::list<Node> order_;  // front: most recently used
  std::unordered_map<std::string_view, typename std::list<Node>::iterator> index_;
};

}  // namespace rustynet::control::detail
