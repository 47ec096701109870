// SPDX-License-Identifier: Apache-2.0
// Encrypted-file custody: round trips, startup checks, every corruption refused, crash safety.
#include "rustynet/crypto/custody_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "custody_test_util.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "temp_dir.hpp"

namespace rustynet::crypto {
namespace {

using testing::fast_options;
using testing::mode_of;
using testing::operator_secret;
using testing::read_bytes;
using testing::write_bytes;
using testing::write_text;

constexpr std::size_t kBlobSize = 79 + 32 + 16;

class EncryptedFileCustodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.file("keys");
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  }

  std::unique_ptr<EncryptedFileCustody> open(EncryptedFileCustodyOptions options = fast_options(),
                                             const std::string& secret = "correct horse battery staple") {
    auto custody = EncryptedFileCustody::open(dir_, operator_secret(secret), std::move(options));
    if (!custody.has_value()) {
      ADD_FAILURE() << custody.error();
      return nullptr;
    }
    return std::move(custody).value();
  }

  base::Result<std::unique_ptr<EncryptedFileCustody>, CustodyError> try_open(
      EncryptedFileCustodyOptions options = fast_options()) {
    return EncryptedFileCustody::open(dir_, operator_secret(), std::move(options));
  }

  // Stores a fresh tunnel key and returns its public key.
  PublicKey store_tunnel_key(EncryptedFileCustody& custody) {
    auto pair = NodeKeyPair::generate();
    EXPECT_TRUE(pair.has_value());
    auto stored = store_node_key_pair(custody, *pair);
    EXPECT_TRUE(stored.has_value()) << (stored.has_value() ? std::string() : stored.error().describe());
    return pair->public_key();
  }

  CustodyErrorKind load_error(KeyPurpose purpose = KeyPurpose::kNodeTunnel) {
    auto custody = open();
    if (custody == nullptr) {
      return CustodyErrorKind::kIo;
    }
    auto loaded = custody->load(purpose);
    if (loaded.has_value()) {
      ADD_FAILURE() << "load unexpectedly succeeded";
      return CustodyErrorKind::kIo;
    }
    return loaded.error().kind;
  }

  rustynet::testing::TempDir temp_;
  std::string dir_;
};

TEST_F(EncryptedFileCustodyTest, RoundTripsEveryPurposeWithPrivateModes) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  EXPECT_EQ(custody->backend(), CustodyBackend::kEncryptedFile);
  EXPECT_TRUE(custody->writable());
  for (KeyPurpose purpose : {KeyPurpose::kNodeIdentity, KeyPurpose::kNodeTunnel, KeyPurpose::kControlSigning}) {
    auto present = custody->contains(purpose);
    ASSERT_TRUE(present.has_value());
    EXPECT_FALSE(*present);
    EXPECT_EQ(custody->load(purpose).error().kind, CustodyErrorKind::kNotFound);
  }

  auto pair = NodeKeyPair::generate();
  auto identity = Ed25519SigningKey::generate();
  auto control = Ed25519SigningKey::generate();
  ASSERT_TRUE(pair.has_value() && identity.has_value() && control.has_value());
  ASSERT_TRUE(store_node_key_pair(*custody, *pair).has_value());
  ASSERT_TRUE(store_signing_key(*custody, KeyPurpose::kNodeIdentity, *identity).has_value());
  ASSERT_TRUE(store_signing_key(*custody, KeyPurpose::kControlSigning, *control).has_value());
  EXPECT_EQ(store_signing_key(*custody, KeyPurpose::kNodeTunnel, *identity).error().kind,
            CustodyErrorKind::kInvalidKey);

  // A fresh custody object (a restart) reads them back.
  custody = open();
  ASSERT_NE(custody, nullptr);
  auto loaded_pair = load_node_key_pair(*custody);
  ASSERT_TRUE(loaded_pair.has_value()) << loaded_pair.error();
  EXPECT_EQ(loaded_pair->public_key(), pair->public_key());
  EXPECT_TRUE(loaded_pair->secret_key() == pair->secret_key());
  auto loaded_identity = load_signing_key(*custody, KeyPurpose::kNodeIdentity);
  ASSERT_TRUE(loaded_identity.has_value()) << loaded_identity.error();
  EXPECT_EQ(loaded_identity->public_key(), identity->public_key());
  auto loaded_control = load_signing_key(*custody, KeyPurpose::kControlSigning);
  ASSERT_TRUE(loaded_control.has_value());
  EXPECT_EQ(loaded_control->public_key(), control->public_key());
  EXPECT_EQ(load_signing_key(*custody, KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kInvalidKey);

  auto stored = custody->load(KeyPurpose::kNodeTunnel);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->key_id, pair->key_id());
  EXPECT_EQ(stored->purpose, KeyPurpose::kNodeTunnel);

  EXPECT_EQ(mode_of(dir_), 0700U);
  EXPECT_EQ(mode_of(custody->salt_path()), 0600U);
  EXPECT_EQ(read_bytes(custody->salt_path()).size(), 16U);
  for (KeyPurpose purpose : {KeyPurpose::kNodeIdentity, KeyPurpose::kNodeTunnel, KeyPurpose::kControlSigning}) {
    EXPECT_EQ(mode_of(custody->path_for(purpose)), 0600U);
    EXPECT_EQ(read_bytes(custody->path_for(purpose)).size(), kBlobSize);
    auto present = custody->contains(purpose);
    ASSERT_TRUE(present.has_value());
    EXPECT_TRUE(*present);
  }
  EXPECT_EQ(custody->path_for(KeyPurpose::kNodeTunnel), dir_ + "/node-tunnel.key");
}

TEST_F(EncryptedFileCustodyTest, BlobNeverContainsThePlaintextKey) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  ASSERT_TRUE(store_node_key_pair(*custody, *pair).has_value());
  const auto blob = read_bytes(custody->path_for(KeyPurpose::kNodeTunnel));
  const auto secret = pair->secret_key().expose();
  EXPECT_EQ(std::search(blob.begin(), blob.end(), secret.begin(), secret.end()), blob.end());
  const std::string text(blob.begin(), blob.end());
  EXPECT_EQ(text.find(base64_encode(secret)), std::string::npos);
  EXPECT_EQ(text.find(hex_encode(secret)), std::string::npos);
  // Two seals of the same key differ (fresh nonce every time).
  ASSERT_TRUE(store_node_key_pair(*custody, *pair).has_value());
  EXPECT_NE(read_bytes(custody->path_for(KeyPurpose::kNodeTunnel)), blob);
}

TEST_F(EncryptedFileCustodyTest, WrongOperatorSecretIsRefused) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  store_tunnel_key(*custody);
  auto other = open(fast_options(), "a different operator secret");
  ASSERT_NE(other, nullptr);
  auto loaded = other->load(KeyPurpose::kNodeTunnel);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().kind, CustodyErrorKind::kAuthenticationFailed);
  EXPECT_EQ(loaded.error().describe().find("different operator secret"), std::string::npos);
  EXPECT_EQ(loaded.error().describe().find("correct horse"), std::string::npos);
}

TEST_F(EncryptedFileCustodyTest, EveryByteFlipIsRejected) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  store_tunnel_key(*custody);
  const std::string path = custody->path_for(KeyPurpose::kNodeTunnel);
  const auto original = read_bytes(path);
  ASSERT_EQ(original.size(), kBlobSize);
  std::map<CustodyErrorKind, int> kinds;
  for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
    for (std::size_t i = 0; i < original.size(); ++i) {
      auto corrupted = original;
      corrupted[i] = static_cast<std::uint8_t>(corrupted[i] ^ mask);
      write_bytes(path, corrupted);
      auto loaded = custody->load(KeyPurpose::kNodeTunnel);
      ASSERT_FALSE(loaded.has_value()) << "byte " << i << " mask " << int{mask};
      ++kinds[loaded.error().kind];
    }
  }
  // The header fields each have their own refusal, the rest fails authentication.
  EXPECT_GT(kinds[CustodyErrorKind::kBadMagic], 0);
  EXPECT_GT(kinds[CustodyErrorKind::kUnsupportedVersion], 0);
  EXPECT_GT(kinds[CustodyErrorKind::kPurposeMismatch], 0);
  EXPECT_GT(kinds[CustodyErrorKind::kUnsupportedAlgorithm], 0);
  EXPECT_GT(kinds[CustodyErrorKind::kInvalidParameters], 0);
  EXPECT_GT(kinds[CustodyErrorKind::kHostSaltMismatch], 0);
  EXPECT_GT(kinds[CustodyErrorKind::kAuthenticationFailed], 0);
  // The untouched blob still loads: the refusals were caused by the flips alone.
  write_bytes(path, original);
  EXPECT_TRUE(custody->load(KeyPurpose::kNodeTunnel).has_value());
}

TEST_F(EncryptedFileCustodyTest, EveryTruncationAndExtensionIsRejected) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  store_tunnel_key(*custody);
  const std::string path = custody->path_for(KeyPurpose::kNodeTunnel);
  const auto original = read_bytes(path);
  for (std::size_t length = 0; length < original.size(); ++length) {
    write_bytes(path, std::vector<std::uint8_t>(original.begin(), original.begin() + static_cast<long>(length)));
    auto loaded = custody->load(KeyPurpose::kNodeTunnel);
    ASSERT_FALSE(loaded.has_value()) << length;
    EXPECT_EQ(loaded.error().kind, CustodyErrorKind::kTruncated) << length;
  }
  auto extended = original;
  extended.push_back(0);
  write_bytes(path, extended);
  EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kTruncated);
  // Oversized files are refused before parsing.
  write_bytes(path, std::vector<std::uint8_t>(4096, 0x41));
  EXPECT_FALSE(custody->load(KeyPurpose::kNodeTunnel).has_value());
}

TEST_F(EncryptedFileCustodyTest, BlobForAnotherPurposeOrHostIsRejected) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  store_tunnel_key(*custody);
  // Renamed into another purpose's slot.
  std::filesystem::copy_file(custody->path_for(KeyPurpose::kNodeTunnel), custody->path_for(KeyPurpose::kNodeIdentity));
  ::chmod(custody->path_for(KeyPurpose::kNodeIdentity).c_str(), 0600);
  EXPECT_EQ(custody->load(KeyPurpose::kNodeIdentity).error().kind, CustodyErrorKind::kPurposeMismatch);

  // Another host salt (blob copied from another machine, or the salt replaced).
  const auto salt = read_bytes(custody->salt_path());
  auto other_salt = salt;
  other_salt[0] = static_cast<std::uint8_t>(other_salt[0] ^ 1U);
  write_bytes(custody->salt_path(), other_salt);
  EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kHostSaltMismatch);
  write_bytes(custody->salt_path(), std::vector<std::uint8_t>(salt.begin(), salt.begin() + 15));
  EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kTruncated);
  ASSERT_EQ(::unlink(custody->salt_path().c_str()), 0);
  EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kHostSaltMismatch);
}

TEST_F(EncryptedFileCustodyTest, KdfParametersOutsideBoundsAreRefused) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  store_tunnel_key(*custody);
  // The default (production) limits refuse a blob sealed with weak parameters.
  EncryptedFileCustodyOptions strict = fast_options();
  strict.limits = default_envelope_limits();
  strict.params = default_envelope_params();
  auto strict_custody = open(strict);
  ASSERT_NE(strict_custody, nullptr);
  EXPECT_EQ(strict_custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kInvalidParameters);
  // Writing with parameters outside the limits is refused at open.
  EncryptedFileCustodyOptions weak = fast_options();
  weak.params.mem_limit_kib = 4;
  EXPECT_EQ(try_open(weak).error().kind, CustodyErrorKind::kInvalidParameters);
  weak = fast_options();
  weak.params.ops_limit = 0;
  weak.limits.min_ops_limit = 0;
  EXPECT_EQ(try_open(weak).error().kind, CustodyErrorKind::kInvalidParameters);
  EXPECT_EQ(default_envelope_params().ops_limit, 2U);
  EXPECT_EQ(default_envelope_params().mem_limit_kib, 65536U);
}

TEST_F(EncryptedFileCustodyTest, DirectoryChecksRefuse) {
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  EXPECT_EQ(try_open().error().kind, CustodyErrorKind::kBadPermissions);
  ASSERT_EQ(::chmod(dir_.c_str(), 0750), 0);
  EXPECT_EQ(try_open().error().kind, CustodyErrorKind::kBadPermissions);
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  EXPECT_EQ(try_open().error().kind, CustodyErrorKind::kBadPermissions);
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  ASSERT_TRUE(try_open().has_value());

  EncryptedFileCustodyOptions other_owner = fast_options();
  other_owner.expected_owner = ::geteuid() + 1;
  EXPECT_EQ(try_open(other_owner).error().kind, CustodyErrorKind::kOwnerMismatch);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(dir_.c_str(), 12345, 12345), 0);
    EXPECT_EQ(try_open().error().kind, CustodyErrorKind::kOwnerMismatch);
    ASSERT_EQ(::chown(dir_.c_str(), 0, 0), 0);
  }

  const std::string link = temp_.file("link");
  ASSERT_EQ(::symlink(dir_.c_str(), link.c_str()), 0);
  EXPECT_EQ(EncryptedFileCustody::open(link, operator_secret(), fast_options()).error().kind,
            CustodyErrorKind::kSymlink);

  const std::string file = temp_.file("plain-file");
  write_text(file, "x", 0700);
  EXPECT_EQ(EncryptedFileCustody::open(file, operator_secret(), fast_options()).error().kind,
            CustodyErrorKind::kNotDirectory);

  const std::string missing = temp_.file("missing");
  EXPECT_EQ(EncryptedFileCustody::open(missing, operator_secret(), fast_options()).error().kind,
            CustodyErrorKind::kNotFound);
  EXPECT_EQ(EncryptedFileCustody::open("", operator_secret(), fast_options()).error().kind,
            CustodyErrorKind::kNotFound);
  EncryptedFileCustodyOptions create = fast_options();
  create.create_directory = true;
  auto created = EncryptedFileCustody::open(missing, operator_secret(), create);
  ASSERT_TRUE(created.has_value()) << created.error();
  EXPECT_EQ(mode_of(missing), 0700U);
  // create_directory never repairs an existing insecure directory.
  ASSERT_EQ(::chmod(missing.c_str(), 0777), 0);
  EXPECT_EQ(EncryptedFileCustody::open(missing, operator_secret(), create).error().kind,
            CustodyErrorKind::kBadPermissions);

  // A directory that goes bad after open is caught on the next operation.
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  ASSERT_EQ(::chmod(dir_.c_str(), 0711), 0);
  EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kBadPermissions);
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(store_node_key_pair(*custody, *pair).error().kind, CustodyErrorKind::kBadPermissions);
  EXPECT_EQ(custody->contains(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kBadPermissions);
}

TEST_F(EncryptedFileCustodyTest, KeyFileChecksRefuse) {
  auto custody = open();
  ASSERT_NE(custody, nullptr);
  store_tunnel_key(*custody);
  const std::string path = custody->path_for(KeyPurpose::kNodeTunnel);
  for (mode_t bad : {0644U, 0640U, 0604U, 0400U, 0700U, 0660U, 0666U}) {
    ASSERT_EQ(::chmod(path.c_str(), bad), 0);
    auto loaded = custody->load(KeyPurpose::kNodeTunnel);
    ASSERT_FALSE(loaded.has_value()) << std::oct << bad;
    EXPECT_EQ(loaded.error().kind, CustodyErrorKind::kBadPermissions) << std::oct << bad;
    EXPECT_EQ(custody->contains(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kBadPermissions);
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_TRUE(custody->load(KeyPurpose::kNodeTunnel).has_value());

  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);
    EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kOwnerMismatch);
    ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
  }
  EncryptedFileCustodyOptions other_owner = fast_options();
  other_owner.expected_owner = ::geteuid() + 1;
  // (Directory owner is checked first; the file check is covered by the chown above when root.)
  EXPECT_EQ(try_open(other_owner).error().kind, CustodyErrorKind::kOwnerMismatch);

  // A symlink in place of the key file is refused for load and for store.
  const std::string real = temp_.file("real.key");
  std::filesystem::rename(path, real);
  ASSERT_EQ(::symlink(real.c_str(), path.c_str()), 0);
  EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kSymlink);
  auto pair = NodeKeyPair::generate();
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(store_node_key_pair(*custody, *pair).error().kind, CustodyErrorKind::kSymlink);
  ASSERT_EQ(::unlink(path.c_str()), 0);

  // A directory in place of the key file.
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  EXPECT_EQ(custody->load(KeyPurpose::kNodeTunnel).error().kind, CustodyErrorKind::kNotRegularFile);
  ASSERT_EQ(::rmdir(path.c_str()), 0);

  // A symlinked or loose host salt.
  const std::string salt = custody->salt_path();
  ASSERT_EQ(::chmod(salt.c_str(), 0644), 0);
  EXPECT_EQ(try_open().error().kind, CustodyErrorKind::kBadPermissions);
  ASSERT_EQ(::chmod(salt.c_str(), 0600), 0);
  const std::string real_salt = temp_.file("real.salt");
  std::filesystem::rename(salt, real_salt);
  ASSERT_EQ(::symlink(real_salt.c_str(), salt.c_str()), 0);
  EXPECT_EQ(try_open().error().kind, CustodyErrorKind::kSymlink);
}

TEST_F(EncryptedFileCustodyTest, CrashDuringRotationKeepsACompleteKey) {
  const std::vector<base::AtomicWriteStep> steps = {
      base::AtomicWriteStep::kCreateTemp, base::AtomicWriteStep::kWriteTemp, base::AtomicWriteStep::kSyncTemp,
      base::AtomicWriteStep::kRename, base::AtomicWriteStep::kSyncDirectory};
  for (base::AtomicWriteStep crash_at : steps) {
    SCOPED_TRACE(static_cast<int>(crash_at));
    auto custody = open();
    ASSERT_NE(custody, nullptr);
    const PublicKey old_key = store_tunnel_key(*custody);

    EncryptedFileCustodyOptions crashing = fast_options();
    crashing.write_options.observer = [crash_at](base::AtomicWriteStep step) { return step != crash_at; };
    auto crashing_custody = open(crashing);
    ASSERT_NE(crashing_custody, nullptr);
    auto next = NodeKeyPair::generate();
    ASSERT_TRUE(next.has_value());
    auto stored = store_node_key_pair(*crashing_custody, *next);
    ASSERT_FALSE(stored.has_value());
    EXPECT_EQ(stored.error().kind, CustodyErrorKind::kInterrupted);

    // "Restart": the key file holds the old key (crash before the rename) or the new one (after).
    auto restarted = open();
    ASSERT_NE(restarted, nullptr);
    auto loaded = load_node_key_pair(*restarted);
    ASSERT_TRUE(loaded.has_value()) << loaded.error();
    if (crash_at == base::AtomicWriteStep::kSyncDirectory) {
      EXPECT_EQ(loaded->public_key(), next->public_key());
    } else {
      EXPECT_EQ(loaded->public_key(), old_key);
    }
    // Leftover temporary files do not stop the next rotation.
    const PublicKey rotated = store_tunnel_key(*restarted);
    auto reloaded = load_node_key_pair(*restarted);
    ASSERT_TRUE(reloaded.has_value());
    EXPECT_EQ(reloaded->public_key(), rotated);
  }
}

TEST(OperatorSecretTest, FromFdStripsOneNewlineAndBoundsLength) {
  auto read_via_pipe = [](const std::string& text) {
    int fds[2] = {-1, -1};
    if (::pipe(fds) != 0) {
      std::abort();
    }
    EXPECT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    auto secret = OperatorSecret::from_fd(fds[0]);
    ::close(fds[0]);
    return secret;
  };
  auto plain = read_via_pipe("0123456789abcdef");
  auto newline = read_via_pipe("0123456789abcdef\n");
  auto crlf = read_via_pipe("0123456789abcdef\r\n");
  ASSERT_TRUE(plain.has_value() && newline.has_value() && crlf.has_value());
  EXPECT_TRUE(
      std::equal(plain->expose().begin(), plain->expose().end(), newline->expose().begin(), newline->expose().end()));
  EXPECT_TRUE(std::equal(plain->expose().begin(), plain->expose().end(), crlf->expose().begin(), crlf->expose().end()));
  EXPECT_EQ(read_via_pipe("short\n").error().kind, CustodyErrorKind::kOperatorSecretInvalid);
  EXPECT_EQ(read_via_pipe("").error().kind, CustodyErrorKind::kOperatorSecretInvalid);
  EXPECT_EQ(read_via_pipe(std::string(5000, 'x')).error().kind, CustodyErrorKind::kOperatorSecretInvalid);
  EXPECT_TRUE(read_via_pipe(std::string(4096, 'x')).has_value());
  EXPECT_EQ(OperatorSecret::from_fd(-1).error().kind, CustodyErrorKind::kOperatorSecretInvalid);
  // A short secret's text never appears in the error.
  EXPECT_EQ(read_via_pipe("hunter2\n").error().describe().find("hunter2"), std::string::npos);
}

TEST(OperatorSecretTest, FromFileRequiresOwnerOnlyRegularFile) {
  rustynet::testing::TempDir temp;
  const std::string path = temp.file("secret");
  write_text(path, "a sufficiently long operator secret\n", 0600);
  EXPECT_TRUE(OperatorSecret::from_file(path).has_value());
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(OperatorSecret::from_file(path).has_value());
  for (mode_t bad : {0640U, 0604U, 0644U}) {
    ASSERT_EQ(::chmod(path.c_str(), bad), 0);
    EXPECT_EQ(OperatorSecret::from_file(path).error().kind, CustodyErrorKind::kBadPermissions);
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  const std::string link = temp.file("link");
  ASSERT_EQ(::symlink(path.c_str(), link.c_str()), 0);
  EXPECT_EQ(OperatorSecret::from_file(link).error().kind, CustodyErrorKind::kSymlink);
  EXPECT_EQ(OperatorSecret::from_file(temp.file("missing")).error().kind, CustodyErrorKind::kNotFound);
  EXPECT_EQ(OperatorSecret::from_file(temp.path().string()).error().kind, CustodyErrorKind::kNotRegularFile);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);
    EXPECT_EQ(OperatorSecret::from_file(path).error().kind, CustodyErrorKind::kOwnerMismatch);
  }
  EXPECT_TRUE(OperatorSecret::from_credential(temp.path().string(), "../secret").error().kind ==
              CustodyErrorKind::kOperatorSecretInvalid);
  EXPECT_TRUE(OperatorSecret::from_credential(temp.path().string(), "").error().kind ==
              CustodyErrorKind::kOperatorSecretInvalid);
}

}  // namespace
}  // namespace rustynet::crypto
