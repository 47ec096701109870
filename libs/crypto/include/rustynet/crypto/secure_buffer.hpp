// SPDX-License-Identifier: Apache-2.0
// SecureBuffer: guarded, locked, zeroised storage for long-lived key material inside key types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/crypto_error.hpp"

namespace rustynet::crypto {

// Backed by sodium_malloc: the bytes sit between guard pages, are mlock()ed where the OS allows
// (best effort: RLIMIT_MEMLOCK may refuse, the buffer still works), excluded from core dumps
// (MADV_DONTDUMP) and zeroed by sodium_free on destruction. Moved-from buffers are empty; no copy
// constructor (clone() is explicit and fallible). operator<< prints "<redacted>".
// Not thread-safe for concurrent mutation; const access from several threads is fine.
class SecureBuffer {
 public:
  SecureBuffer() noexcept = default;
  // Errors: kOutOfMemory.
  [[nodiscard]] static base::Result<SecureBuffer, CryptoError> allocate(std::size_t size);
  [[nodiscard]] static base::Result<SecureBuffer, CryptoError> copy_of(std::span<const std::uint8_t> bytes);
  ~SecureBuffer();

  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  SecureBuffer(SecureBuffer&& other) noexcept;
  SecureBuffer& operator=(SecureBuffer&& other) noexcept;

  [[nodiscard]] base::Result<SecureBuffer, CryptoError> clone() const { return copy_of(view()); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::span<std::uint8_t> mutable_view() noexcept { return {data_, size_}; }

  // Constant-time over the contents (sodium_memcmp) when sizes match.
  friend bool operator==(const SecureBuffer& a, const SecureBuffer& b) noexcept;

 private:
  SecureBuffer(std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}
  void release() noexcept;

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

std::ostream& operator<<(std::ostream& out, const SecureBuffer& buffer);

}  // namespace rustynet::crypto
