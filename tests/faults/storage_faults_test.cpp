// SPDX-License-Identifier: Apache-2.0
// Disk full and read-only state directory while writing trust state, key blobs and the control store.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fault_support.hpp"
#include "manual_clock.hpp"
#include "rustynet/control/sqlite_store.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "temp_dir.hpp"

namespace rustynet::faults {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

std::size_t entries_in(const std::string& directory) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) {
    ++count;
  }
  return count;
}

base::SecretBytes mac_key() {
  std::array<std::uint8_t, 32> key{};
  key.fill(0x5A);
  return base::SecretBytes(std::span<const std::uint8_t>(key));
}

crypto::Ed25519SigningKey signing_key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(fill);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

// ---- trust state -------------------------------------------------------------------------------

class TrustStateFaultTest : public ::testing::Test {
 protected:
  TrustStateFaultTest() : signer_(signing_key(1)), state_dir_(dir_.file("state")) {}
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::create_directory(state_dir_));
    path_ = state_dir_ + "/trust.state";
    auto store = crypto::TrustStore::initialize(options(), mac_key(), {signer_.public_key()});
    ASSERT_TRUE(store.has_value()) << store.error().describe();
    auto first = store->verify(envelope(1), crypto::ArtifactType::kNodeState, "node-a", clock_);
    ASSERT_TRUE(first.has_value()) << first.error().describe();
    ASSERT_TRUE(store->commit(*first).has_value());
    on_disk_ = read_all(path_);
    ASSERT_FALSE(on_disk_.empty());
  }

  crypto::TrustStore::Options options() const { return crypto::TrustStore::Options{path_, true, {}}; }
  std::vector<std::uint8_t> envelope(std::uint64_t generation) const {
    return crypto::sign_envelope(
               signer_,
               crypto::EnvelopeHeader{crypto::ArtifactType::kNodeState, "node-a", kNow - 10, kNow + 3600, generation},
               bytes_of("{\"peers\":[]}"))
        .value();
  }
  // The file on disk is the generation-1 state, byte for byte, and reopening it works.
  void expect_previous_state_intact() {
    EXPECT_EQ(read_all(path_), on_disk_);
    EXPECT_EQ(entries_in(state_dir_), 1U) << "a temporary file was left behind";
    auto reopened = crypto::TrustStore::open(options(), mac_key());
    ASSERT_TRUE(reopened.status().has_value()) << reopened.status().error().describe();
    const auto* record = reopened.state().find_accepted(crypto::ArtifactType::kNodeState, "node-a");
    ASSERT_NE(record, nullptr);
    EXPECT_EQ(record->generation, 1U);
  }
  // After a failed write the store refuses trust until reload(); then generation 2 is accepted.
  void expect_fail_closed_then_recovers(crypto::TrustStore& store) {
    auto verified = store.verify(envelope(3), crypto::ArtifactType::kNodeState, "node-a", clock_);
    ASSERT_FALSE(verified.has_value());
    EXPECT_EQ(verified.error().kind, crypto::SignedStateErrorKind::kTrustStateUnwritable);
    ASSERT_TRUE(store.reload().has_value());
    auto again = store.verify(envelope(2), crypto::ArtifactType::kNodeState, "node-a", clock_);
    ASSERT_TRUE(again.has_value()) << again.error().describe();
    EXPECT_TRUE(store.commit(*again).has_value());
    EXPECT_EQ(store.state().find_accepted(crypto::ArtifactType::kNodeState, "node-a")->generation, 2U);
  }

  testing::TempDir dir_;
  testing::ManualClock clock_{kNow};
  crypto::Ed25519SigningKey signer_;
  std::string state_dir_;
  std::string path_;
  std::vector<std::uint8_t> on_disk_;
};

TEST_F(TrustStateFaultTest, DiskFullDuringCommitKeepsPreviousFileAndFailsClosed) {
  auto store = crypto::TrustStore::open(options(), mac_key());
  ASSERT_TRUE(store.status().has_value());
  auto second = store.verify(envelope(2), crypto::ArtifactType::kNodeState, "node-a", clock_);
  ASSERT_TRUE(second.has_value());
  {
    testing::DiskFull full(16);
    ASSERT_TRUE(full.ok());
    auto committed = store.commit(*second);
    ASSERT_FALSE(committed.has_value());
    EXPECT_EQ(committed.error().kind, crypto::SignedStateErrorKind::kTrustStateUnwritable);
    EXPECT_NE(committed.error().describe().find("errno"), std::string::npos) << committed.error().describe();
    // A signer change is refused the same way (the store is in its failed state).
    EXPECT_EQ(store.add_signer(signing_key(9).public_key()).error().kind,
              crypto::SignedStateErrorKind::kTrustStateUnwritable);
  }
  EXPECT_EQ(store.state().find_accepted(crypto::ArtifactType::kNodeState, "node-a")->generation, 1U);
  expect_previous_state_intact();
  expect_fail_closed_then_recovers(store);
}

TEST_F(TrustStateFaultTest, ReadOnlyStateDirectoryDuringCommitKeepsPreviousFileAndFailsClosed) {
  auto store = crypto::TrustStore::open(options(), mac_key());
  ASSERT_TRUE(store.status().has_value());
  auto second = store.verify(envelope(2), crypto::ArtifactType::kNodeState, "node-a", clock_);
  ASSERT_TRUE(second.has_value());
  {
    testing::ReadOnlyDirectory read_only(state_dir_);
    ASSERT_TRUE(read_only.ok());
    auto committed = store.commit(*second);
    ASSERT_FALSE(committed.has_value());
    EXPECT_EQ(committed.error().kind, crypto::SignedStateErrorKind::kTrustStateUnwritable);
    // Reading still works while the directory is read-only: the old state is there.
    auto reader = crypto::TrustStore::open(options(), mac_key());
    EXPECT_TRUE(reader.status().has_value());
  }
  expect_previous_state_intact();
  expect_fail_closed_then_recovers(store);
}

// ---- key custody (encrypted key blobs) ---------------------------------------------------------

class CustodyFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_dir_ = dir_.file("keys");
    auto custody = crypto::EncryptedFileCustody::open(keys_dir_, secret(), options());
    ASSERT_TRUE(custody.has_value()) << custody.error();
    custody_ = std::move(custody).value();
    std::array<std::uint8_t, 32> first{};
    first.fill(0x11);
    ASSERT_TRUE(custody_->store(crypto::KeyPurpose::kNodeTunnel, first).has_value());
    blob_ = read_all(custody_->path_for(crypto::KeyPurpose::kNodeTunnel));
    ASSERT_FALSE(blob_.empty());
    key_id_ = custody_->load(crypto::KeyPurpose::kNodeTunnel).value().key_id;
  }

  static crypto::EncryptedFileCustodyOptions options() {
    crypto::EncryptedFileCustodyOptions options;
    options.params = crypto::EnvelopeParams{1, 8};  // libsodium's minimum: fast tests
    options.limits = crypto::EnvelopeLimits{1, 4, 8, 64U * 1024};
    options.create_directory = true;
    return options;
  }
  static crypto::OperatorSecret secret() {
    return crypto::OperatorSecret::from_bytes(bytes_of("correct horse battery staple")).value();
  }
  static std::array<std::uint8_t, 32> replacement() {
    std::array<std::uint8_t, 32> next{};
    next.fill(0x22);
    return next;
  }
  void expect_previous_blob_intact() {
    EXPECT_EQ(read_all(custody_->path_for(crypto::KeyPurpose::kNodeTunnel)), blob_);
    EXPECT_EQ(entries_in(keys_dir_), 2U) << "a temporary file was left behind";  // host.salt + one blob
    // A restart (new custody object) loads the previous key.
    auto reopened = crypto::EncryptedFileCustody::open(keys_dir_, secret(), options());
    ASSERT_TRUE(reopened.has_value()) << reopened.error();
    auto loaded = (*reopened)->load(crypto::KeyPurpose::kNodeTunnel);
    ASSERT_TRUE(loaded.has_value()) << loaded.error();
    EXPECT_EQ(loaded->key_id, key_id_);
  }

  testing::TempDir dir_;
  std::string keys_dir_;
  std::unique_ptr<crypto::EncryptedFileCustody> custody_;
  std::vector<std::uint8_t> blob_;
  std::string key_id_;
};

TEST_F(CustodyFaultTest, DiskFullDuringKeyRotationKeepsPreviousBlob) {
  {
    testing::DiskFull full(8);
    ASSERT_TRUE(full.ok());
    auto stored = custody_->store(crypto::KeyPurpose::kNodeTunnel, replacement());
    ASSERT_FALSE(stored.has_value());
    EXPECT_EQ(stored.error().kind, crypto::CustodyErrorKind::kIo) << stored.error();
  }
  expect_previous_blob_intact();
  // The same custody object works again once space is back.
  ASSERT_TRUE(custody_->store(crypto::KeyPurpose::kNodeTunnel, replacement()).has_value());
  EXPECT_NE(custody_->load(crypto::KeyPurpose::kNodeTunnel).value().key_id, key_id_);
}

TEST_F(CustodyFaultTest, ReadOnlyKeyDirectoryRefusesStoreAndKeepsPreviousBlob) {
  {
    testing::ReadOnlyDirectory read_only(keys_dir_);
    ASSERT_TRUE(read_only.ok());
    auto stored = custody_->store(crypto::KeyPurpose::kNodeTunnel, replacement());
    ASSERT_FALSE(stored.has_value());
    // The directory no longer has mode 0700: custody refuses before trying to write.
    EXPECT_EQ(stored.error().kind, crypto::CustodyErrorKind::kBadPermissions) << stored.error();
    // Loading is refused too (fail closed): a key directory with unexpected permissions is suspect.
    EXPECT_FALSE(custody_->load(crypto::KeyPurpose::kNodeTunnel).has_value());
  }
  expect_previous_blob_intact();
}

// ---- control store (SQLite registry, revocations, nonces) --------------------------------------

class ControlStoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = dir_.file("state");
    ASSERT_TRUE(std::filesystem::create_directory(state_dir_));
    std::filesystem::permissions(state_dir_, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    path_ = state_dir_ + "/control.db";
    auto store = control::SqliteControlStore::open(path_);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    store_ = std::move(store).value();
    ASSERT_EQ(store_->store_policy(kFirstPolicy).value(), 1U);
    ASSERT_TRUE(store_->revoke_token("token-1", base::UnixTime{kNow + 600}).has_value());
  }

  void expect_previous_state(control::SqliteControlStore& store) {
    auto policy = store.load_policy();
    ASSERT_TRUE(policy.has_value());
    ASSERT_TRUE(policy->has_value());
    EXPECT_EQ((*policy)->document, kFirstPolicy);
    EXPECT_EQ((*policy)->generation, 1U);
    EXPECT_TRUE(store.is_revoked("token-1", "node-a").value());
    EXPECT_FALSE(store.is_revoked("token-2", "node-a").value());
  }

  static constexpr const char* kFirstPolicy = R"({"version":1,"rules":[]})";
  testing::TempDir dir_;
  std::string state_dir_;
  std::string path_;
  std::unique_ptr<control::SqliteControlStore> store_;
};

TEST_F(ControlStoreFaultTest, DiskFullDuringWritesIsATypedErrorAndCommittedDataSurvives) {
  const std::string big_policy =
      std::string(R"({"version":1,"rules":[],"pad":")") + std::string(64 * 1024, 'x') + "\"}";
  {
    testing::DiskFull full(1024);
    ASSERT_TRUE(full.ok());
    auto stored = store_->store_policy(big_policy);
    ASSERT_FALSE(stored.has_value());
    EXPECT_FALSE(stored.error().message.empty());
    auto revoked = store_->revoke_token("token-2", base::UnixTime{kNow + 600});
    ASSERT_FALSE(revoked.has_value());
    auto nonce = store_->record_once("nonce-1", base::UnixTime{kNow + 600}, base::UnixTime{kNow});
    // A nonce that could not be recorded is never reported fresh (the token would be accepted).
    if (nonce.has_value()) {
      EXPECT_NE(*nonce, control::NonceOutcome::kFresh);
    }
  }
  expect_previous_state(*store_);
  // The open connection keeps working once space is back, and a restart sees only committed data.
  EXPECT_EQ(store_->store_policy(big_policy).value(), 2U);
  store_.reset();
  auto reopened = control::SqliteControlStore::open(path_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  EXPECT_EQ((*reopened)->load_policy().value()->generation, 2U);
  EXPECT_FALSE((*reopened)->is_revoked("token-2", "node-a").value());
  EXPECT_EQ((*reopened)->record_once("nonce-1", base::UnixTime{kNow + 600}, base::UnixTime{kNow}).value(),
            control::NonceOutcome::kFresh);
}

TEST_F(ControlStoreFaultTest, ReadOnlyStateDirectoryRefusesStartupAndKeepsDatabase) {
  store_.reset();  // clean shutdown: the WAL is checkpointed into the database and removed
  const auto database = read_all(path_);
  {
    testing::ReadOnlyDirectory read_only(state_dir_);
    ASSERT_TRUE(read_only.ok());
    // WAL mode needs to create control.db-wal next to the database: refused with a typed error,
    // never a silent fallback to a non-durable journal.
    auto reopened = control::SqliteControlStore::open(path_);
    ASSERT_FALSE(reopened.has_value());
    EXPECT_FALSE(reopened.error().message.empty());
    // A fresh database can not be created there either.
    EXPECT_FALSE(control::SqliteControlStore::open(state_dir_ + "/other.db").has_value());
  }
  EXPECT_EQ(read_all(path_), database);
  auto reopened = control::SqliteControlStore::open(path_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  expect_previous_state(**reopened);
}

}  // namespace
}  // namespace rustynet::faults
