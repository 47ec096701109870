// SPDX-License-Identifier: Apache-2.0
// Constant-time base64/hex via libsodium; strict decoding.
#include "rustynet/crypto/encoding.hpp"

#include <sodium.h>

namespace rustynet::crypto {
namespace {

CryptoError encoding_error(const char* what) { return CryptoError{CryptoErrorKind::kInvalidEncoding, what}; }

constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL;

// Decodes into `out` (sized to the maximum possible length) and shrinks it to the decoded size.
bool base64_decode_into(std::string_view text, std::span<std::uint8_t> out, std::size_t& decoded) {
  const char* end = nullptr;
  decoded = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &decoded, &end, kBase64Variant) !=
      0) {
    return false;
  }
  return end == text.data() + text.size();
}

bool hex_decode_into(std::string_view text, std::span<std::uint8_t> out, std::size_t& decoded) {
  const char* end = nullptr;
  decoded = 0;
  if (text.size() % 2 != 0) {
    return false;
  }
  if (sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &decoded, &end) != 0) {
    return false;
  }
  return end == text.data() + text.size() && decoded == text.size() / 2;
}

std::size_t base64_max_decoded(std::size_t text_size) { return (text_size / 4U) * 3U + 3U; }

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kBase64Variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), kBase64Variant);
  out.resize(out.size() - 1);  // drop the terminating NUL
  return out;
}

base::Result<std::vector<std::uint8_t>, CryptoError> base64_decode(std::string_view text) {
  std::vector<std::uint8_t> out(base64_max_decoded(text.size()));
  std::size_t decoded = 0;
  if (!base64_decode_into(text, out, decoded)) {
    return base::unexpected(encoding_error("not canonical padded base64"));
  }
  out.resize(decoded);
  return out;
}

base::Result<base::SecretBytes, CryptoError> base64_decode_secret(std::string_view text) {
  base::SecretBytes scratch(base64_max_decoded(text.size()));
  std::size_t decoded = 0;
  if (!base64_decode_into(text, scratch.mutable_view(), decoded)) {
    return base::unexpected(encoding_error("not canonical padded base64"));
  }
  return base::SecretBytes(scratch.view().first(decoded));
}

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  std::string out(bytes.size() * 2U + 1U, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), bytes.size());
  out.resize(out.size() - 1);
  return out;
}

base::Result<std::vector<std::uint8_t>, CryptoError> hex_decode(std::string_view text) {
  std::vector<std::uint8_t> out(text.size() / 2U + 1U);
  std::size_t decoded = 0;
  if (!hex_decode_into(text, out, decoded)) {
    return base::unexpected(encoding_error("not hex"));
  }
  out.resize(decoded);
  return out;
}

base::Result<base::SecretBytes, CryptoError> hex_decode_secret(std::string_view text) {
  base::SecretBytes scratch(text.size() / 2U + 1U);
  std::size_t decoded = 0;
  if (!hex_decode_into(text, scratch.mutable_view(), decoded)) {
    return base::unexpected(encoding_error("not hex"));
  }
  return base::SecretBytes(scratch.view().first(decoded));
}

}  // namespace rustynet::crypto
