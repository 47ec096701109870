// SPDX-License-Identifier: Apache-2.0
// SecretBytes: wipe on every exit path; constant-time equality; redacted output.
#include "rustynet/base/secret_bytes.hpp"

#include <cstring>  // ::explicit_bzero (glibc declares it in string.h, which <cstring> includes)

#include <algorithm>
#include <ostream>
#include <utility>

namespace rustynet::base {

void secure_wipe(std::span<std::uint8_t> bytes) noexcept {
  if (!bytes.empty()) {
    ::explicit_bzero(bytes.data(), bytes.size());
  }
}

SecretBytes::SecretBytes(std::size_t size) : bytes_(size, 0) {}

SecretBytes::SecretBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes::~SecretBytes() { wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  // A moved-from vector is empty in practice; wiping keeps the guarantee explicit.
  other.wipe();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.wipe();
  }
  return *this;
}

void SecretBytes::wipe() noexcept {
  secure_wipe(bytes_);
  bytes_.clear();
}

bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept {
  if (a.bytes_.size() != b.bytes_.size()) {
    return false;
  }
  std::uint8_t difference = 0;
  for (std::size_t i = 0; i < a.bytes_.size(); ++i) {
    difference = static_cast<std::uint8_t>(difference | (a.bytes_[i] ^ b.bytes_[i]));
  }
  return difference == 0;
}

std::ostream& operator<<(std::ostream& out, const SecretBytes& /*secret*/) { return out << "<redacted>"; }

}  // namespace rustynet::base
