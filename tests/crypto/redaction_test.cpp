// SPDX-License-Identifier: Apache-2.0
// Every secret-bearing type formats as "<redacted>" through every path; output is scanned for the
// secret in raw, hex and base64 form.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "custody_test_util.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/custody_format.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/crypto/format.hpp"
#include "temp_dir.hpp"

namespace rustynet::crypto {
namespace {

// No secret type can be turned into JSON: nlohmann finds no to_json, so serialising one is a
// compile error rather than a leak.
static_assert(!std::is_constructible_v<nlohmann::json, const SecretKey&>);
static_assert(!std::is_constructible_v<nlohmann::json, const NodeKeyPair&>);
static_assert(!std::is_constructible_v<nlohmann::json, const Ed25519SigningKey&>);
static_assert(!std::is_constructible_v<nlohmann::json, const SecureBuffer&>);
static_assert(!std::is_constructible_v<nlohmann::json, const OperatorSecret&>);
static_assert(!std::is_constructible_v<nlohmann::json, const StoredKey&>);
static_assert(!std::is_constructible_v<nlohmann::json, const base::SecretBytes&>);

// Every textual form of `secret` an accident could produce.
std::vector<std::string> forms_of(std::span<const std::uint8_t> secret) {
  std::vector<std::string> forms;
  forms.push_back(hex_encode(secret));
  std::string upper = hex_encode(secret);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'f') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  forms.push_back(upper);
  std::string b64 = base64_encode(secret);
  forms.push_back(b64);
  while (!b64.empty() && b64.back() == '=') {
    b64.pop_back();
  }
  // A prefix long enough to be unambiguous also catches truncated or URL-safe variants.
  forms.push_back(b64.substr(0, 16));
  forms.push_back(hex_encode(secret.first(8)));
  forms.emplace_back(secret.begin(), secret.end());
  return forms;
}

void expect_clean(const std::string& output, std::span<const std::uint8_t> secret, const std::string& what) {
  for (const auto& form : forms_of(secret)) {
    EXPECT_EQ(output.find(form), std::string::npos) << what << " leaked the secret: " << output;
  }
}

template <class T>
std::string stream(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Formats `value` through every path we provide: operator<<, fmt with and without format
// specs, and spdlog (which uses fmt) at every level that is enabled.
template <class T>
std::vector<std::string> every_format(const T& value) {
  std::vector<std::string> outputs;
  outputs.push_back(stream(value));
  outputs.push_back(fmt::format("{}", value));
  outputs.push_back(fmt::format("{:>80}", value));
  outputs.push_back(fmt::format("key={} again={}", value, value));
  std::ostringstream log_stream;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_stream);
  spdlog::logger logger("redaction", sink);
  logger.set_level(spdlog::level::trace);
  logger.trace("trace {}", value);
  logger.debug("debug {}", value);
  logger.info("info {}", value);
  logger.error("error {}", value);
  logger.flush();
  outputs.push_back(log_stream.str());
  return outputs;
}

// `secret_type`: the value itself holds the secret, so it must show the "<redacted>" marker.
template <class T>
void check_all_paths(const T& value, std::span<const std::uint8_t> secret, const std::string& what,
                     bool secret_type = true) {
  for (const auto& output : every_format(value)) {
    expect_clean(output, secret, what);
  }
  if (secret_type) {
    EXPECT_NE(stream(value).find("<redacted>"), std::string::npos) << what;
  }
}

TEST(RedactionTest, X25519SecretKeyAndPair) {
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  const auto secret = pair->secret_key().expose();
  check_all_paths(pair->secret_key(), secret, "SecretKey");
  check_all_paths(*pair, secret, "NodeKeyPair");
  // The pair shows its public key, which is not secret.
  EXPECT_NE(stream(*pair).find(pair->public_key().to_base64()), std::string::npos);
  check_all_paths(pair->public_key(), secret, "PublicKey", false);
  auto shared = x25519_shared_secret(pair->secret_key(), pair->public_key());
  ASSERT_TRUE(shared.has_value());
  check_all_paths(*shared, shared->expose(), "shared secret");
}

TEST(RedactionTest, Ed25519SigningKey) {
  auto key = Ed25519SigningKey::generate();
  ASSERT_TRUE(key.has_value());
  const base::SecretBytes seed = key->export_seed();
  check_all_paths(*key, seed.view(), "Ed25519SigningKey");
  check_all_paths(key->public_key(), seed.view(), "Ed25519PublicKey", false);
  check_all_paths(key->public_key().key_id(), seed.view(), "key id", false);
  // The exported seed itself.
  expect_clean(stream(seed), seed.view(), "SecretBytes seed");
}

TEST(RedactionTest, SecureBufferAndSecretBytes) {
  std::vector<std::uint8_t> raw(32);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    raw[i] = static_cast<std::uint8_t>(0xA0U + i);
  }
  auto buffer = SecureBuffer::copy_of(raw);
  ASSERT_TRUE(buffer.has_value());
  check_all_paths(*buffer, raw, "SecureBuffer");
  const base::SecretBytes bytes(raw);
  expect_clean(stream(bytes), raw, "SecretBytes");
  EXPECT_EQ(stream(bytes), "<redacted>");
}

TEST(RedactionTest, CustodyTypesAndErrors) {
  rustynet::testing::TempDir temp;
  const std::string dir = temp.file("keys");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const std::string operator_text = "operator passphrase 0123456789";
  const std::vector<std::uint8_t> operator_bytes(operator_text.begin(), operator_text.end());
  OperatorSecret operator_secret = testing::operator_secret(operator_text);
  check_all_paths(operator_secret, operator_bytes, "OperatorSecret");

  auto custody = EncryptedFileCustody::open(dir, testing::operator_secret(operator_text), testing::fast_options());
  ASSERT_TRUE(custody.has_value());
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  ASSERT_TRUE(store_node_key_pair(**custody, *pair).has_value());
  auto stored = (*custody)->load(KeyPurpose::kNodeTunnel);
  ASSERT_TRUE(stored.has_value());
  check_all_paths(*stored, pair->secret_key().expose(), "StoredKey");
  check_all_paths(*stored, operator_bytes, "StoredKey (operator secret)");

  // Error paths: wrong secret, tampering, bad permissions. None may carry either secret.
  std::vector<CustodyError> errors;
  auto wrong =
      EncryptedFileCustody::open(dir, testing::operator_secret("wrong operator secret!!"), testing::fast_options());
  ASSERT_TRUE(wrong.has_value());
  errors.push_back((*wrong)->load(KeyPurpose::kNodeTunnel).error());
  const std::string path = (*custody)->path_for(KeyPurpose::kNodeTunnel);
  auto blob = testing::read_bytes(path);
  blob.back() = static_cast<std::uint8_t>(blob.back() ^ 1U);
  testing::write_bytes(path, blob);
  errors.push_back((*custody)->load(KeyPurpose::kNodeTunnel).error());
  ::chmod(path.c_str(), 0644);
  errors.push_back((*custody)->load(KeyPurpose::kNodeTunnel).error());
  errors.push_back(
      OperatorSecret::from_bytes(std::vector<std::uint8_t>(operator_bytes.begin(), operator_bytes.begin() + 8))
          .error());
  for (const auto& error : errors) {
    for (const auto& output : every_format(error)) {
      expect_clean(output, pair->secret_key().expose(), "CustodyError");
      expect_clean(output, operator_bytes, "CustodyError (operator secret)");
    }
    expect_clean(error.describe(), pair->secret_key().expose(), "CustodyError::describe");
  }
}

TEST(RedactionTest, CryptoErrorsNeverEchoInput) {
  auto key = SecretKey::generate();
  ASSERT_TRUE(key.has_value());
  // A secret passed where a public key is expected, with one byte too many: the error is about
  // the length and must not repeat the bytes.
  std::vector<std::uint8_t> oversized(key->expose().begin(), key->expose().end());
  oversized.push_back(0);
  const auto error = PublicKey::from_bytes(oversized).error();
  check_all_paths(error, key->expose(), "CryptoError", false);
  const std::string text = base64_encode(key->expose()) + "!";
  const auto decode_error = base64_decode_secret(text).error();
  check_all_paths(decode_error, key->expose(), "decode CryptoError", false);
  const auto ed_error = Ed25519PublicKey::from_base64(text).error();
  check_all_paths(ed_error, key->expose(), "Ed25519 CryptoError", false);
}

}  // namespace
}  // namespace rustynet::crypto
