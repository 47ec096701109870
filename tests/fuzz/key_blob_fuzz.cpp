// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the key custody blob parser (crypto::detail::parse_blob) and operator secret files.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "custody_blob.hpp"
#include "fuzz_support.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/key_hierarchy.hpp"

namespace crypto = rustynet::crypto;
namespace detail = rustynet::crypto::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::fuzz::FuzzInput input(data, size);
  const std::uint8_t selector = input.take_byte();
  const auto bytes = input.rest();
  if (selector >= 0xF0U) {
    // Operator secret file contents.
    auto secret = crypto::OperatorSecret::from_bytes(bytes);
    if (secret.has_value()) {
      FUZZ_CHECK(!secret->expose().empty());
      FUZZ_CHECK(secret->expose().size() <= bytes.size());
    }
    return 0;
  }
  const auto expected = static_cast<crypto::KeyPurpose>(1U + selector % 3U);
  const crypto::EnvelopeLimits limits;
  const std::string path = "fuzz.key";
  auto parsed = detail::parse_blob(bytes, expected, limits, path);
  if (!parsed.has_value()) {
    FUZZ_CHECK(parsed.error().path == path);
    return 0;
  }
  const detail::BlobHeader& header = parsed->header;
  // Every accepted field is within its documented bounds.
  FUZZ_CHECK(header.purpose == expected);
  FUZZ_CHECK(header.params.ops_limit >= limits.min_ops_limit && header.params.ops_limit <= limits.max_ops_limit);
  FUZZ_CHECK(header.params.mem_limit_kib >= limits.min_mem_limit_kib &&
             header.params.mem_limit_kib <= limits.max_mem_limit_kib);
  FUZZ_CHECK(header.key_id.size() == detail::kKeyIdFieldSize);
  FUZZ_CHECK(header.plaintext_length == crypto::kCustodySecretSize);
  FUZZ_CHECK(parsed->ciphertext.size() == header.plaintext_length + detail::kTagSize);
  FUZZ_CHECK(parsed->header_bytes.size() + parsed->ciphertext.size() == bytes.size());
  // Re-serialising the parsed header reproduces the authenticated header bytes exactly.
  const std::vector<std::uint8_t> serialized = detail::serialize_header(header);
  FUZZ_CHECK(serialized.size() == detail::kHeaderSize);
  FUZZ_CHECK(
      std::equal(serialized.begin(), serialized.end(), parsed->header_bytes.begin(), parsed->header_bytes.end()));
  // The same blob is refused for any other purpose.
  const auto other = static_cast<crypto::KeyPurpose>(1U + (selector + 1U) % 3U);
  FUZZ_CHECK(!detail::parse_blob(bytes, other, limits, path).has_value());
  return 0;
}
