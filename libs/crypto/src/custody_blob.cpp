// SPDX-License-Identifier: Apache-2.0
// Key blob format v1: fixed-offset big-endian header, strict parsing.
#include "custody_blob.hpp"

#include <algorithm>

namespace rustynet::crypto::detail {
namespace {

void put_u16(std::vector<std::uint8_t>& out, std::size_t offset, std::uint16_t value) {
  out[offset] = static_cast<std::uint8_t>(value >> 8U);
  out[offset + 1] = static_cast<std::uint8_t>(value & 0xffU);
}

void put_u32(std::vector<std::uint8_t>& out, std::size_t offset, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) {
    out[offset + i] = static_cast<std::uint8_t>((value >> (8U * (3U - i))) & 0xffU);
  }
}

std::uint16_t get_u16(std::span<const std::uint8_t> in, std::size_t offset) {
  return static_cast<std::uint16_t>((static_cast<unsigned>(in[offset]) << 8U) | in[offset + 1]);
}

std::uint32_t get_u32(std::span<const std::uint8_t> in, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8U) | in[offset + i];
  }
  return value;
}

bool is_lower_hex(std::uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::vector<std::uint8_t> serialize_header(const BlobHeader& header) {
  std::vector<std::uint8_t> out(kHeaderSize, 0);
  std::copy(kBlobMagic.begin(), kBlobMagic.end(), out.begin());
  put_u16(out, kOffsetVersion, kBlobVersion);
  out[kOffsetPurpose] = static_cast<std::uint8_t>(header.purpose);
  out[kOffsetKdf] = kKdfArgon2id13;
  put_u32(out, kOffsetOpsLimit, header.params.ops_limit);
  put_u32(out, kOffsetMemLimit, header.params.mem_limit_kib);
  std::copy(header.salt.begin(), header.salt.end(), out.begin() + kOffsetSalt);
  out[kOffsetAead] = kAeadXChaCha20Poly1305;
  std::copy(header.nonce.begin(), header.nonce.end(), out.begin() + kOffsetNonce);
  for (std::size_t i = 0; i < kKeyIdFieldSize && i < header.key_id.size(); ++i) {
    out[kOffsetKeyId + i] = static_cast<std::uint8_t>(header.key_id[i]);
  }
  put_u16(out, kOffsetPlaintextLength, header.plaintext_length);
  return out;
}

base::Result<ParsedBlob, CustodyError> parse_blob(std::span<const std::uint8_t> blob, KeyPurpose expected,
                                                  const EnvelopeLimits& limits, const std::string& path) {
  auto fail = [&path](CustodyErrorKind kind, const char* detail) {
    return base::unexpected(CustodyError{kind, path, detail});
  };
  if (blob.size() < kBlobMagic.size()) {
    return fail(CustodyErrorKind::kTruncated, "key blob shorter than its magic");
  }
  if (!std::equal(kBlobMagic.begin(), kBlobMagic.end(), blob.begin())) {
    return fail(CustodyErrorKind::kBadMagic, "not a rustynet key blob");
  }
  if (blob.size() < kHeaderSize) {
    return fail(CustodyErrorKind::kTruncated, "key blob shorter than its header");
  }
  if (get_u16(blob, kOffsetVersion) != kBlobVersion) {
    return fail(CustodyErrorKind::kUnsupportedVersion, "unsupported key blob version");
  }
  const auto purpose = key_purpose_from_byte(blob[kOffsetPurpose]);
  if (!purpose.has_value() || *purpose != expected) {
    return fail(CustodyErrorKind::kPurposeMismatch, "key blob is sealed for another key purpose");
  }
  if (blob[kOffsetKdf] != kKdfArgon2id13) {
    return fail(CustodyErrorKind::kUnsupportedAlgorithm, "unsupported key derivation function");
  }
  if (blob[kOffsetAead] != kAeadXChaCha20Poly1305) {
    return fail(CustodyErrorKind::kUnsupportedAlgorithm, "unsupported AEAD");
  }
  ParsedBlob parsed;
  parsed.header.purpose = *purpose;
  parsed.header.params.ops_limit = get_u32(blob, kOffsetOpsLimit);
  parsed.header.params.mem_limit_kib = get_u32(blob, kOffsetMemLimit);
  if (parsed.header.params.ops_limit < limits.min_ops_limit || parsed.header.params.ops_limit > limits.max_ops_limit ||
      parsed.header.params.mem_limit_kib < limits.min_mem_limit_kib ||
      parsed.header.params.mem_limit_kib > limits.max_mem_limit_kib) {
    return fail(CustodyErrorKind::kInvalidParameters, "key derivation parameters outside accepted bounds");
  }
  std::copy_n(blob.begin() + kOffsetSalt, kSaltSize, parsed.header.salt.begin());
  std::copy_n(blob.begin() + kOffsetNonce, kNonceSize, parsed.header.nonce.begin());
  const auto key_id = blob.subspan(kOffsetKeyId, kKeyIdFieldSize);
  if (!std::all_of(key_id.begin(), key_id.end(), is_lower_hex)) {
    return fail(CustodyErrorKind::kInvalidParameters, "key id field is not lowercase hex");
  }
  parsed.header.key_id.assign(key_id.begin(), key_id.end());
  parsed.header.plaintext_length = get_u16(blob, kOffsetPlaintextLength);
  if (parsed.header.plaintext_length != kCustodySecretSize) {
    return fail(CustodyErrorKind::kInvalidParameters, "unexpected secret length");
  }
  if (blob.size() != kHeaderSize + parsed.header.plaintext_length + kTagSize) {
    return fail(CustodyErrorKind::kTruncated, "key blob length does not match its header");
  }
  parsed.header_bytes = blob.first(kHeaderSize);
  parsed.ciphertext = blob.subspan(kHeaderSize);
  return parsed;
}

}  // namespace rustynet::crypto::detail
