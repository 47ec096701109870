// SPDX-License-Identifier: Apache-2.0
// systemd-credential custody and store selection: read-only, checked, never a silent fallback.
#include "rustynet/crypto/custody_systemd.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "custody_test_util.hpp"
#include "rustynet/crypto/custody_select.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "temp_dir.hpp"

namespace rustynet::crypto {
namespace {

using testing::fast_options;
using testing::write_text;

class SystemdCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    creds_ = temp_.file("credentials");
    ASSERT_EQ(::mkdir(creds_.c_str(), 0500), 0);
    keys_ = temp_.file("keys");
    ASSERT_EQ(::mkdir(keys_.c_str(), 0700), 0);
  }
  void TearDown() override { ::chmod(creds_.c_str(), 0700); }

  // Writes a credential the way systemd presents it (0400, owned by the service user).
  void put_credential(const std::string& name, const std::string& text, mode_t mode = 0400) {
    ASSERT_EQ(::chmod(creds_.c_str(), 0700), 0);
    write_text(creds_ + "/" + name, text, mode);
    ASSERT_EQ(::chmod(creds_.c_str(), 0500), 0);
  }

  rustynet::testing::TempDir temp_;
  std::string creds_;
  std::string keys_;
};

TEST_F(SystemdCredentialTest, LoadsBase64CredentialsReadOnly) {
  auto pair = NodeKeyPair::generate();
  auto identity = Ed25519SigningKey::generate();
  ASSERT_TRUE(pair.has_value() && identity.has_value());
  put_credential("rustynet.node-tunnel", base64_encode(pair->secret_key().expose()) + "\n");
  put_credential("rustynet.node-identity", base64_encode(identity->export_seed().view()));

  auto custody = SystemdCredentialCustody::open(creds_);
  ASSERT_TRUE(custody.has_value()) << custody.error();
  EXPECT_EQ((*custody)->backend(), CustodyBackend::kSystemdCredentials);
  EXPECT_FALSE((*custody)->writable());
  auto loaded = load_node_key_pair(**custody);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  EXPECT_EQ(loaded->public_key(), pair->public_key());
  auto loaded_identity = load_signing_key(**custody, KeyPurpose::kNodeIdentity);
  ASSERT_TRUE(loaded_identity.has_value());
  EXPECT_EQ(loaded_identity->public_key(), identity->public_key());
  EXPECT_EQ((*custody)->load(KeyPurpose::kControlSigning).error().kind, CustodyErrorKind::kNotFound);
  EXPECT_FALSE(*(*custody)->contains(KeyPurpose::kControlSigning));
  EXPECT_TRUE(*(*custody)->contains(KeyPurpose::kNodeTunnel));

  auto stored = store_node_key_pair(**custody, *pair);
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error().kind, CustodyErrorKind::kReadOnly);
  EXPECT_EQ(credential_name_for(KeyPurpose::kControlSigning), "rustynet.control-signing");
}

TEST_F(SystemdCredentialTest, RefusesInsecureOrMalformedCredentials) {
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  const std::string good = base64_encode(pair->secret_key().expose());
  auto custody = SystemdCredentialCustody::open(creds_);
  ASSERT_TRUE(custody.has_value());
  auto load = [&] { return (*custody)->load(KeyPurpose::kNodeTunnel); };

  put_credential("rustynet.node-tunnel", good, 0440);
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kBadPermissions);
  put_credential("rustynet.node-tunnel", good, 0404);
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kBadPermissions);
  put_credential("rustynet.node-tunnel", good.substr(0, 40));
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kInvalidKey);
  put_credential("rustynet.node-tunnel", base64_encode(std::vector<std::uint8_t>(31, 7)));
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kInvalidKey);
  put_credential("rustynet.node-tunnel", good + "\n\n");
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kInvalidKey);
  put_credential("rustynet.node-tunnel", std::string(200, 'A'));
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kInvalidKey);
  put_credential("rustynet.node-tunnel", good);
  EXPECT_TRUE(load().has_value());
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown((creds_ + "/rustynet.node-tunnel").c_str(), 12345, 12345), 0);
    EXPECT_EQ(load().error().kind, CustodyErrorKind::kOwnerMismatch);
  }
  // A symlinked credential.
  ASSERT_EQ(::chmod(creds_.c_str(), 0700), 0);
  const std::string target = temp_.file("elsewhere");
  write_text(target, good, 0400);
  ASSERT_EQ(::unlink((creds_ + "/rustynet.node-tunnel").c_str()), 0);
  ASSERT_EQ(::symlink(target.c_str(), (creds_ + "/rustynet.node-tunnel").c_str()), 0);
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kSymlink);

  // The directory itself.
  ASSERT_EQ(::chmod(creds_.c_str(), 0770), 0);
  EXPECT_EQ(load().error().kind, CustodyErrorKind::kBadPermissions);
  EXPECT_EQ(SystemdCredentialCustody::open(creds_).error().kind, CustodyErrorKind::kBadPermissions);
  const std::string link = temp_.file("creds-link");
  ASSERT_EQ(::symlink(creds_.c_str(), link.c_str()), 0);
  EXPECT_EQ(SystemdCredentialCustody::open(link).error().kind, CustodyErrorKind::kSymlink);
  EXPECT_EQ(SystemdCredentialCustody::open(temp_.file("none")).error().kind, CustodyErrorKind::kNotFound);
  EXPECT_EQ(SystemdCredentialCustody::open(target).error().kind, CustodyErrorKind::kNotDirectory);
}

TEST_F(SystemdCredentialTest, DetectsCredentialsDirectoryFromEnvironment) {
  ASSERT_EQ(::setenv("CREDENTIALS_DIRECTORY", creds_.c_str(), 1), 0);  // NOLINT(concurrency-mt-unsafe)
  auto detected = detect_credentials_directory();
  ASSERT_TRUE(detected.has_value());
  EXPECT_EQ(*detected, creds_);
  ASSERT_EQ(::setenv("CREDENTIALS_DIRECTORY", "relative/path", 1), 0);  // NOLINT(concurrency-mt-unsafe)
  EXPECT_FALSE(detect_credentials_directory().has_value());
  ASSERT_EQ(::unsetenv("CREDENTIALS_DIRECTORY"), 0);  // NOLINT(concurrency-mt-unsafe)
  EXPECT_FALSE(detect_credentials_directory().has_value());
}

TEST_F(SystemdCredentialTest, SelectionPrefersOsStoreThenFallbackElseRefuses) {
  CustodySelection selection;
  selection.key_directory = keys_;
  selection.file_options = fast_options();

  // Nothing usable: refuse to start.
  auto none = select_key_custody(selection);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().kind, CustodyErrorKind::kNoSecureStore);
  selection.credentials_directory = creds_;
  EXPECT_EQ(select_key_custody(selection).error().kind, CustodyErrorKind::kNoSecureStore);

  // Operator secret as a systemd credential: encrypted file store.
  put_credential(kOperatorSecretCredential, "operator secret from systemd\n");
  selection.operator_secret = OperatorSecretSource::from_credential(kOperatorSecretCredential);
  auto file = select_key_custody(selection);
  ASSERT_TRUE(file.has_value()) << file.error();
  EXPECT_EQ((*file)->backend(), CustodyBackend::kEncryptedFile);

  // Operator secret from a file.
  const std::string secret_file = temp_.file("secret");
  write_text(secret_file, "operator secret in a file", 0600);
  selection.operator_secret = OperatorSecretSource::from_file(secret_file);
  auto from_file = select_key_custody(selection);
  ASSERT_TRUE(from_file.has_value());
  EXPECT_EQ((*from_file)->backend(), CustodyBackend::kEncryptedFile);

  // A failing fallback is reported, never replaced by something weaker.
  ASSERT_EQ(::chmod(keys_.c_str(), 0755), 0);
  EXPECT_EQ(select_key_custody(selection).error().kind, CustodyErrorKind::kBadPermissions);
  ASSERT_EQ(::chmod(keys_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(secret_file.c_str(), 0644), 0);
  EXPECT_EQ(select_key_custody(selection).error().kind, CustodyErrorKind::kBadPermissions);

  // Once a key credential exists, the OS store wins.
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  put_credential("rustynet.node-tunnel", base64_encode(pair->secret_key().expose()));
  auto os = select_key_custody(selection);
  ASSERT_TRUE(os.has_value()) << os.error();
  EXPECT_EQ((*os)->backend(), CustodyBackend::kSystemdCredentials);

  // Credential source without a credentials directory.
  CustodySelection missing_dir;
  missing_dir.key_directory = keys_;
  missing_dir.operator_secret = OperatorSecretSource::from_credential("x");
  EXPECT_EQ(select_key_custody(missing_dir).error().kind, CustodyErrorKind::kOperatorSecretInvalid);
}

}  // namespace
}  // namespace rustynet::crypto
