// SPDX-License-Identifier: Apache-2.0
// Key blob format v1 (internal): serialisation and strict parsing; see docs/key-custody.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/custody.hpp"
#include "rustynet/crypto/custody_file.hpp"

namespace rustynet::crypto::detail {

inline constexpr std::array<std::uint8_t, 8> kBlobMagic = {'R', 'N', 'K', 'E', 'Y', 'B', 'L', 'B'};
inline constexpr std::uint16_t kBlobVersion = 1;
inline constexpr std::uint8_t kKdfArgon2id13 = 1;
inline constexpr std::uint8_t kAeadXChaCha20Poly1305 = 1;
inline constexpr std::size_t kSaltSize = 16;
inline constexpr std::size_t kNonceSize = 24;
inline constexpr std::size_t kKeyIdFieldSize = 16;
inline constexpr std::size_t kTagSize = 16;

// Offsets of the header fields (all integers big-endian). The whole header is the AEAD's
// associated data, so every field is authenticated.
inline constexpr std::size_t kOffsetMagic = 0;
inline constexpr std::size_t kOffsetVersion = 8;
inline constexpr std::size_t kOffsetPurpose = 10;
inline constexpr std::size_t kOffsetKdf = 11;
inline constexpr std::size_t kOffsetOpsLimit = 12;
inline constexpr std::size_t kOffsetMemLimit = 16;
inline constexpr std::size_t kOffsetSalt = 20;
inline constexpr std::size_t kOffsetAead = 36;
inline constexpr std::size_t kOffsetNonce = 37;
inline constexpr std::size_t kOffsetKeyId = 61;
inline constexpr std::size_t kOffsetPlaintextLength = 77;
inline constexpr std::size_t kHeaderSize = 79;

using Salt = std::array<std::uint8_t, kSaltSize>;
using Nonce = std::array<std::uint8_t, kNonceSize>;

struct BlobHeader {
  KeyPurpose purpose = KeyPurpose::kNodeIdentity;
  EnvelopeParams params;
  Salt salt{};
  Nonce nonce{};
  std::string key_id;  // kKeyIdFieldSize lowercase hex characters
  std::uint16_t plaintext_length = 0;
};

[[nodiscard]] std::vector<std::uint8_t> serialize_header(const BlobHeader& header);

struct ParsedBlob {
  BlobHeader header;
  std::span<const std::uint8_t> header_bytes;  // the associated data
  std::span<const std::uint8_t> ciphertext;    // ciphertext || tag
};

// Checks, in order: length >= magic, magic, length >= header, version, purpose known and equal to
// `expected`, KDF id, AEAD id, KDF params within `limits`, key id is lowercase hex, plaintext
// length is kCustodySecretSize, total length exact. Each failure has its own kind.
[[nodiscard]] base::Result<ParsedBlob, CustodyError> parse_blob(std::span<const std::uint8_t> blob, KeyPurpose expected,
                                                                const EnvelopeLimits& limits, const std::string& path);

}  // namespace rustynet::crypto::detail
