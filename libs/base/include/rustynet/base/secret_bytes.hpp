// SPDX-License-Identifier: Apache-2.0
// SecretBytes: the one owning container for secret bytes that crosses library boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <vector>

namespace rustynet::base {

// Move-only; the bytes are wiped (explicit_bzero, which the compiler may not elide) on
// destruction, on move-from and on assignment. Never printed: operator<< writes "<redacted>".
// Equality is constant-time. libs/crypto builds its key types on top of this and adds mlock.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);
  // Copies `bytes` in; the caller remains responsible for wiping its own copy.
  explicit SecretBytes(std::span<const std::uint8_t> bytes);
  ~SecretBytes();

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
  [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return bytes_; }
  [[nodiscard]] std::span<std::uint8_t> mutable_view() noexcept { return bytes_; }
  // Explicit deep copy (the copy constructor is deleted so that copies are always deliberate).
  [[nodiscard]] SecretBytes clone() const { return SecretBytes(view()); }
  void wipe() noexcept;

  // Constant-time over the contents when sizes match.
  friend bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept;

 private:
  std::vector<std::uint8_t> bytes_;
};

std::ostream& operator<<(std::ostream& out, const SecretBytes& secret);

// Wipes any buffer with explicit_bzero.
void secure_wipe(std::span<std::uint8_t> bytes) noexcept;

}  // namespace rustynet::base
