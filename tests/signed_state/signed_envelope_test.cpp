// SPDX-License-Identifier: Apache-2.0
// Signed envelope encoding: round trip, exact signed bytes, strict structural rejection.
#include "rustynet/crypto/signed_envelope.hpp"

#include <gtest/gtest.h>

#include "test_keys.hpp"

namespace rustynet::crypto {
namespace {

using testing::bytes_of;
using testing::signing_key;

EnvelopeHeader header() { return EnvelopeHeader{ArtifactType::kNodeState, "node-a", 1'800'000'000, 1'800'003'600, 7}; }

std::vector<std::uint8_t> signed_sample() {
  return sign_envelope(signing_key(1), header(), bytes_of(R"({"version":1})")).value();
}

TEST(SignedEnvelopeTest, RoundTripCarriesExactBytes) {
  const auto key = signing_key(1);
  const auto payload = bytes_of(R"({"version":1,"x":"a\nb"})");
  const auto bytes = sign_envelope(key, header(), payload).value();
  auto envelope = decode_envelope(bytes);
  ASSERT_TRUE(envelope.has_value()) << envelope.error().describe();
  EXPECT_EQ(envelope->header.type, ArtifactType::kNodeState);
  EXPECT_EQ(envelope->header.subject, "node-a");
  EXPECT_EQ(envelope->header.issued_at, 1'800'000'000);
  EXPECT_EQ(envelope->header.expires_at, 1'800'003'600);
  EXPECT_EQ(envelope->header.generation, 7U);
  EXPECT_EQ(envelope->signer_key_id, key.key_id());
  EXPECT_EQ(envelope->payload, payload);
  // The signature covers exactly the bytes before it, under the type's domain.
  ASSERT_EQ(envelope->signed_bytes.size() + kEd25519SignatureSize, bytes.size());
  EXPECT_TRUE(std::equal(envelope->signed_bytes.begin(), envelope->signed_bytes.end(), bytes.begin()));
  EXPECT_TRUE(key.public_key()
                  .verify(signing_message(ArtifactType::kNodeState, envelope->signed_bytes), envelope->signature)
                  .has_value());
  EXPECT_FALSE(key.public_key()
                   .verify(signing_message(ArtifactType::kPolicySnapshot, envelope->signed_bytes), envelope->signature)
                   .has_value());
  EXPECT_EQ(envelope->envelope_digest, sha256(bytes));
}

TEST(SignedEnvelopeTest, RejectsEveryTruncationAndTrailingBytes) {
  const auto bytes = signed_sample();
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    auto result = decode_envelope(std::span<const std::uint8_t>(bytes).first(length));
    ASSERT_FALSE(result.has_value()) << "length " << length;
    EXPECT_EQ(result.error().kind, SignedStateErrorKind::kMalformed);
  }
  auto longer = bytes;
  longer.push_back(0);
  auto result = decode_envelope(longer);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, SignedStateErrorKind::kMalformed);
}

TEST(SignedEnvelopeTest, RejectsOversizeInput) {
  std::vector<std::uint8_t> huge(kMaxEnvelopeBytes + 1, 0);
  auto result = decode_envelope(huge);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, SignedStateErrorKind::kOversize);
  std::vector<std::uint8_t> payload(kMaxEnvelopePayload + 1, 'x');
  auto signed_result = sign_envelope(signing_key(1), header(), payload);
  ASSERT_FALSE(signed_result.has_value());
  EXPECT_EQ(signed_result.error().kind, SignedStateErrorKind::kOversize);
}

TEST(SignedEnvelopeTest, RejectsMalformedFields) {
  const auto good = signed_sample();
  // Layout: magic(4) version(1) type(1) key-id length(1) key id(16) subject length(2) subject...
  struct Mutation {
    const char* name;
    std::size_t offset;
    std::uint8_t value;
  };
  const Mutation mutations[] = {
      {"magic", 0, 'X'},
      {"format version", 4, 2},
      {"unknown type", 5, 9},
      {"key id length", 6, 15},
      {"key id charset", 7, 'G'},
      {"subject length", 24, 0xFF},
      {"subject charset (newline)", 25, '\n'},
      {"subject charset (delimiter)", 26, '='},
  };
  for (const auto& m : mutations) {
    auto bytes = good;
    bytes[m.offset] = m.value;
    auto result = decode_envelope(bytes);
    ASSERT_FALSE(result.has_value()) << m.name;
    EXPECT_EQ(result.error().kind, SignedStateErrorKind::kMalformed) << m.name;
  }
}

TEST(SignedEnvelopeTest, SignRefusesInvalidHeaders) {
  const auto key = signing_key(1);
  const auto payload = bytes_of("{}");
  auto bad = header();
  bad.expires_at = bad.issued_at;
  EXPECT_EQ(sign_envelope(key, bad, payload).error().kind, SignedStateErrorKind::kInvalidArgument);
  bad = header();
  bad.generation = 0;
  EXPECT_EQ(sign_envelope(key, bad, payload).error().kind, SignedStateErrorKind::kInvalidArgument);
  bad = header();
  bad.subject = "node-a\nnode-b";
  EXPECT_EQ(sign_envelope(key, bad, payload).error().kind, SignedStateErrorKind::kInvalidArgument);
  bad = header();
  bad.subject = std::string(kMaxSubjectLength + 1, 'a');
  EXPECT_EQ(sign_envelope(key, bad, payload).error().kind, SignedStateErrorKind::kInvalidArgument);
  bad = header();
  bad.subject.clear();  // network-wide artifacts have no subject
  EXPECT_TRUE(sign_envelope(key, bad, payload).has_value());
}

TEST(SignedEnvelopeTest, Sha256KnownAnswer) {
  const auto digest = sha256(bytes_of("abc"));
  EXPECT_EQ(digest[0], 0xba);
  EXPECT_EQ(digest[1], 0x78);
  EXPECT_EQ(digest[31], 0xad);
}

}  // namespace
}  // namespace rustynet::crypto
