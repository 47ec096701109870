// SPDX-License-Identifier: Apache-2.0
// Control signing-key rotation statements: canonical encoding, double signature, trust rule.
#include "rustynet/crypto/control_key_rotation.hpp"

#include <cstdint>
#include <string_view>

namespace rustynet::crypto {
namespace {

constexpr std::string_view kDomain = "rustynet-control-key-rotation-v1";

void append_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((value >> static_cast<unsigned>(shift)) & 0xffU));
  }
}

CryptoError invalid(const char* what) { return CryptoError{CryptoErrorKind::kInvalidArgument, what}; }

}  // namespace

std::vector<std::uint8_t> control_key_rotation_bytes(const ControlKeyRotation& rotation) {
  std::vector<std::uint8_t> out;
  out.reserve(kDomain.size() + 1 + 2 * kEd25519PublicKeySize + 16);
  for (char c : kDomain) {
    out.push_back(static_cast<std::uint8_t>(c));
  }
  out.push_back(0);
  out.insert(out.end(), rotation.previous.bytes().begin(), rotation.previous.bytes().end());
  out.insert(out.end(), rotation.next.bytes().begin(), rotation.next.bytes().end());
  append_u64(out, rotation.sequence);
  append_u64(out, static_cast<std::uint64_t>(rotation.not_before.seconds));
  return out;
}

base::Result<SignedControlKeyRotation, CryptoError> sign_control_key_rotation(const ControlKeyRotation& rotation,
                                                                              const Ed25519SigningKey& previous,
                                                                              const Ed25519SigningKey& next) {
  if (rotation.previous == rotation.next) {
    return base::unexpected(invalid("a rotation must change the key"));
  }
  if (previous.public_key() != rotation.previous || next.public_key() != rotation.next) {
    return base::unexpected(invalid("signing keys do not match the rotation statement"));
  }
  const auto bytes = control_key_rotation_bytes(rotation);
  return SignedControlKeyRotation{rotation, previous.sign(bytes), next.sign(bytes)};
}

base::Result<TrustedControlKey, CryptoError> accept_control_key_rotation(
    const TrustedControlKey& trusted, const SignedControlKeyRotation& signed_rotation, base::UnixTime now) {
  const ControlKeyRotation& rotation = signed_rotation.rotation;
  if (rotation.previous != trusted.key) {
    return base::unexpected(
        CryptoError{CryptoErrorKind::kVerifyFailed, "rotation is not signed off by the trusted control key"});
  }
  if (trusted.sequence == UINT64_MAX || rotation.sequence != trusted.sequence + 1) {
    return base::unexpected(invalid("rotation sequence must be exactly one above the trusted sequence"));
  }
  if (rotation.next == rotation.previous) {
    return base::unexpected(invalid("a rotation must change the key"));
  }
  const auto bytes = control_key_rotation_bytes(rotation);
  RUSTYNET_RETURN_IF_ERROR(rotation.previous.verify(bytes, signed_rotation.by_previous));
  RUSTYNET_RETURN_IF_ERROR(rotation.next.verify(bytes, signed_rotation.by_next));
  if (now < rotation.not_before) {
    return base::unexpected(invalid("rotation is not valid yet"));
  }
  return TrustedControlKey{rotation.next, rotation.sequence};
}

}  // namespace rustynet::crypto
