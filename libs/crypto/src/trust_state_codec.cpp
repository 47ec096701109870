// SPDX-License-Identifier: Apache-2.0
// Trust-state file encoding with a trailing HMAC-SHA-512-256 (libsodium crypto_auth_hmacsha512256).
#include <sodium.h>
#include "rustynet/crypto/algorithm_use.hpp"

#include <algorithm>
#include <set>

#include "rustynet/crypto/trust_state.hpp"
#include "signed_codec.hpp"

namespace rustynet::crypto {
namespace {

using base::unexpected;

constexpr std::array<std::uint8_t, 4> kMagic = {'R', 'N', 'T', 'S'};
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::string_view kMacDomain = "rustynet/trust-state/v1";
constexpr std::size_t kMacSize = crypto_auth_hmacsha512256_BYTES;
static_assert(crypto_auth_hmacsha512256_KEYBYTES == kTrustStateMacKeySize);

base::Status<SignedStateError> check_key(const base::SecretBytes& key) {
  if (key.size() != kTrustStateMacKeySize) {
    return unexpected(
        SignedStateError{SignedStateErrorKind::kInvalidArgument,
                         "trust-state MAC key must be " + std::to_string(kTrustStateMacKeySize) + " bytes"});
  }
  if (!ensure_sodium().has_value()) {
    return unexpected(SignedStateError{SignedStateErrorKind::kCryptoUnavailable, "libsodium failed to initialise"});
  }
  return {};
}

std::array<std::uint8_t, kMacSize> mac_of(std::span<const std::uint8_t> body, const base::SecretBytes& key) {
  crypto_auth_hmacsha512256_state state;
  crypto_auth_hmacsha512256_init(&state, key.view().data(), key.size());
  std::array<std::uint8_t, kMacDomain.size() + 1> domain{};
  std::copy(kMacDomain.begin(), kMacDomain.end(), domain.begin());
  crypto_auth_hmacsha512256_update(&state, domain.data(), domain.size());
  crypto_auth_hmacsha512256_update(&state, body.data(), body.size());
  std::array<std::uint8_t, kMacSize> mac{};
  crypto_auth_hmacsha512256_final(&state, mac.data());
  sodium_memzero(&state, sizeof(state));
  return mac;
}

SignedStateError corrupt(std::string message) {
  return SignedStateError{SignedStateErrorKind::kTrustStateCorrupt, std::move(message)};
}

}  // namespace

const Ed25519PublicKey* TrustState::find_signer(std::string_view key_id) const {
  const auto it = std::find_if(signers.begin(), signers.end(), [&](const auto& k) { return k.key_id() == key_id; });
  return it == signers.end() ? nullptr : &*it;
}

const AcceptedGeneration* TrustState::find_accepted(ArtifactType type, std::string_view subject) const {
  const auto it = std::find_if(accepted.begin(), accepted.end(),
                               [&](const auto& a) { return a.type == type && a.subject == subject; });
  return it == accepted.end() ? nullptr : &*it;
}

base::Result<std::vector<std::uint8_t>, SignedStateError> encode_trust_state(const TrustState& state,
                                                                             const base::SecretBytes& mac_key) {
  RUSTYNET_RETURN_IF_ERROR(check_key(mac_key));
  if (state.signers.size() > kMaxTrustedSigners || state.accepted.size() > kMaxAcceptedRecords) {
    return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument, "too many signers or records"});
  }
  detail::ByteWriter writer;
  writer.bytes(kMagic);
  writer.u8(kFormatVersion);
  writer.u16(static_cast<std::uint16_t>(state.signers.size()));
  for (const auto& signer : state.signers) {
    writer.bytes(signer.bytes());
  }
  writer.u32(static_cast<std::uint32_t>(state.accepted.size()));
  for (const auto& record : state.accepted) {
    if (!detail::is_subject_text(record.subject, kMaxSubjectLength)) {
      return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument, "invalid subject in record"});
    }
    writer.u8(static_cast<std::uint8_t>(record.type));
    writer.u16(static_cast<std::uint16_t>(record.subject.size()));
    writer.text(record.subject);
    writer.u64(record.generation);
    writer.bytes(record.envelope_digest);
  }
  const auto mac = mac_of(writer.buffer(), mac_key);
  writer.bytes(mac);
  return std::move(writer.buffer());
}

base::Result<TrustState, SignedStateError> decode_trust_state(std::span<const std::uint8_t> bytes,
                                                              const base::SecretBytes& mac_key) {
  RUSTYNET_RETURN_IF_ERROR(check_key(mac_key));
  if (bytes.size() > kMaxTrustStateBytes) {
    return unexpected(corrupt("file larger than " + std::to_string(kMaxTrustStateBytes) + " bytes"));
  }
  if (bytes.size() < kMagic.size() + kMacSize) {
    return unexpected(corrupt("file too short"));
  }
  // Integrity first: nothing in the body is interpreted before the MAC verifies.
  const auto body = bytes.first(bytes.size() - kMacSize);
  const auto stored = bytes.last(kMacSize);
  const auto expected = mac_of(body, mac_key);
  if (sodium_memcmp(expected.data(), stored.data(), kMacSize) != 0) {
    return unexpected(corrupt("integrity check failed (file modified, damaged, or written with another key)"));
  }
  detail::ByteReader reader(body);
  const auto magic = reader.bytes(kMagic.size());
  if (!std::equal(magic.begin(), magic.end(), kMagic.begin()) || reader.u8() != kFormatVersion || !reader.ok()) {
    return unexpected(corrupt("unknown format"));
  }
  TrustState state;
  const std::uint16_t signer_count = reader.u16();
  if (signer_count > kMaxTrustedSigners) {
    return unexpected(corrupt("too many signers"));
  }
  std::set<std::string> key_ids;
  for (std::uint16_t i = 0; i < signer_count; ++i) {
    const auto raw = reader.bytes(kEd25519PublicKeySize);
    if (!reader.ok()) {
      return unexpected(corrupt("truncated signer list"));
    }
    auto key = Ed25519PublicKey::from_bytes(raw);
    if (!key.has_value()) {
      return unexpected(corrupt("invalid signer key"));
    }
    if (!key_ids.insert(key->key_id()).second) {
      return unexpected(corrupt("duplicate signer"));
    }
    state.signers.push_back(*key);
  }
  const std::uint32_t record_count = reader.u32();
  if (!reader.ok() || record_count > kMaxAcceptedRecords) {
    return unexpected(corrupt("bad record count"));
  }
  for (std::uint32_t i = 0; i < record_count; ++i) {
    AcceptedGeneration record;
    const std::uint8_t type = reader.u8();
    if (type != static_cast<std::uint8_t>(ArtifactType::kNodeState) &&
        type != static_cast<std::uint8_t>(ArtifactType::kPolicySnapshot)) {
      return unexpected(corrupt("unknown artifact type in record"));
    }
    record.type = static_cast<ArtifactType>(type);
    const std::uint16_t subject_length = reader.u16();
    if (subject_length > kMaxSubjectLength) {
      return unexpected(corrupt("subject too long"));
    }
    record.subject = reader.text(subject_length);
    record.generation = reader.u64();
    const auto digest = reader.bytes(record.envelope_digest.size());
    if (!reader.ok() || !detail::is_subject_text(record.subject, kMaxSubjectLength)) {
      return unexpected(corrupt("truncated or invalid record"));
    }
    std::copy(digest.begin(), digest.end(), record.envelope_digest.begin());
    if (state.find_accepted(record.type, record.subject) != nullptr) {
      return unexpected(corrupt("duplicate record"));
    }
    state.accepted.push_back(std::move(record));
  }
  if (reader.remaining() != 0) {
    return unexpected(corrupt("trailing bytes"));
  }
  return state;
}

// HMAC-SHA-512-256 over the trust state (crypto_auth_hmacsha512256) with a BLAKE2b-derived subkey
// (subkey.cpp, crypto_kdf_derive_from_key).
AlgorithmNames trust_state_algorithms() { return {"hmac-sha512-256", "blake2b"}; }

}  // namespace rustynet::crypto
