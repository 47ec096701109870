// SPDX-License-Identifier: Apache-2.0
// Fuzz target: crypto::decode_envelope (signed node states, policy snapshots, relay tickets) and
// crypto::decode_trust_state (the MAC-protected trust anchor file).
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/crypto/trust_state.hpp"

namespace crypto = rustynet::crypto;

namespace {

const crypto::Ed25519SigningKey& signing_key() {
  static const crypto::Ed25519SigningKey key = [] {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(0x5A);
    return crypto::Ed25519SigningKey::from_seed(seed).value();
  }();
  return key;
}

bool same_header(const crypto::EnvelopeHeader& a, const crypto::EnvelopeHeader& b) {
  return a.type == b.type && a.subject == b.subject && a.issued_at == b.issued_at && a.expires_at == b.expires_at &&
         a.generation == b.generation;
}

void fuzz_envelope(std::span<const std::uint8_t> bytes) {
  auto decoded = crypto::decode_envelope(bytes);
  if (!decoded.has_value()) {
    return;
  }
  // The signature covers exactly the bytes before it; the digest is over the whole envelope.
  FUZZ_CHECK(decoded->signed_bytes.size() + decoded->signature.size() == bytes.size());
  FUZZ_CHECK(std::equal(decoded->signed_bytes.begin(), decoded->signed_bytes.end(), bytes.begin()));
  FUZZ_CHECK(decoded->envelope_digest == crypto::sha256(bytes));
  FUZZ_CHECK(decoded->header.expires_at > decoded->header.issued_at);
  FUZZ_CHECK(decoded->header.generation >= 1);
  FUZZ_CHECK(decoded->header.subject.size() <= crypto::kMaxSubjectLength);
  // Re-signing the decoded fields yields an envelope that decodes to the same fields.
  auto resigned = crypto::sign_envelope(signing_key(), decoded->header, decoded->payload);
  FUZZ_CHECK(resigned.has_value());
  auto again = crypto::decode_envelope(*resigned);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same_header(again->header, decoded->header));
  FUZZ_CHECK(again->payload == decoded->payload);
  FUZZ_CHECK(again->signer_key_id == signing_key().key_id());
  FUZZ_CHECK(again->signed_bytes.size() == decoded->signed_bytes.size());
}

// The fuzz input is the trust-state body; the harness appends the valid MAC (same construction as
// libs/crypto/src/trust_state_codec.cpp) so the decoder's field parsing is reached.
void fuzz_trust_state(std::span<const std::uint8_t> body) {
  static const rustynet::base::SecretBytes mac_key = [] {
    std::vector<std::uint8_t> bytes(crypto::kTrustStateMacKeySize, 0x42);
    return rustynet::base::SecretBytes(bytes);
  }();
  constexpr std::string_view kDomain = "rustynet/trust-state/v1";
  std::vector<std::uint8_t> file(body.begin(), body.end());
  std::array<std::uint8_t, crypto_auth_hmacsha512256_BYTES> mac{};
  crypto_auth_hmacsha512256_state state;
  crypto_auth_hmacsha512256_init(&state, mac_key.view().data(), mac_key.size());
  std::array<std::uint8_t, kDomain.size() + 1> domain{};
  std::copy(kDomain.begin(), kDomain.end(), domain.begin());
  crypto_auth_hmacsha512256_update(&state, domain.data(), domain.size());
  crypto_auth_hmacsha512256_update(&state, body.data(), body.size());
  crypto_auth_hmacsha512256_final(&state, mac.data());
  file.insert(file.end(), mac.begin(), mac.end());

  auto decoded = crypto::decode_trust_state(file, mac_key);
  if (!decoded.has_value()) {
    return;
  }
  FUZZ_CHECK(decoded->signers.size() <= crypto::kMaxTrustedSigners);
  FUZZ_CHECK(decoded->accepted.size() <= crypto::kMaxAcceptedRecords);
  auto encoded = crypto::encode_trust_state(*decoded, mac_key);
  FUZZ_CHECK(encoded.has_value());
  auto again = crypto::decode_trust_state(*encoded, mac_key);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *decoded);
  // A flipped MAC byte is always refused.
  std::vector<std::uint8_t> tampered = *encoded;
  tampered.back() ^= 0x01U;
  FUZZ_CHECK(!crypto::decode_trust_state(tampered, mac_key).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::fuzz::FuzzInput input(data, size);
  const std::uint8_t mode = input.take_byte();
  if ((mode & 1U) == 0) {
    fuzz_envelope(input.rest());
  } else {
    fuzz_trust_state(input.rest());
  }
  return 0;
}
