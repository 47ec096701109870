// SPDX-License-Identifier: Apache-2.0
// SecureBuffer on sodium_malloc/sodium_free.
#include "rustynet/crypto/secure_buffer.hpp"

#include <sodium.h>

#include <algorithm>
#include <ostream>
#include <utility>

namespace rustynet::crypto {

base::Result<SecureBuffer, CryptoError> SecureBuffer::allocate(std::size_t size) {
  RUSTYNET_RETURN_IF_ERROR(ensure_sodium());
  if (size == 0) {
    return SecureBuffer();
  }
  void* memory = sodium_malloc(size);
  if (memory == nullptr) {
    return base::unexpected(CryptoError{CryptoErrorKind::kOutOfMemory, "sodium_malloc failed"});
  }
  auto* bytes = static_cast<std::uint8_t*>(memory);
  std::fill(bytes, bytes + size, std::uint8_t{0});
  return SecureBuffer(bytes, size);
}

base::Result<SecureBuffer, CryptoError> SecureBuffer::copy_of(std::span<const std::uint8_t> bytes) {
  RUSTYNET_ASSIGN_OR_RETURN(SecureBuffer buffer, allocate(bytes.size()));
  std::copy(bytes.begin(), bytes.end(), buffer.mutable_view().begin());
  return buffer;
}

SecureBuffer::~SecureBuffer() { release(); }

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecureBuffer::release() noexcept {
  if (data_ != nullptr) {
    sodium_free(data_);  // zeroes, munlocks and unmaps
    data_ = nullptr;
    size_ = 0;
  }
}

bool operator==(const SecureBuffer& a, const SecureBuffer& b) noexcept {
  if (a.size_ != b.size_) {
    return false;
  }
  if (a.size_ == 0) {
    return true;
  }
  return sodium_memcmp(a.data_, b.data_, a.size_) == 0;
}

std::ostream& operator<<(std::ostream& out, const SecureBuffer& /*buffer*/) { return out << "<redacted>"; }

}  // namespace rustynet::crypto
