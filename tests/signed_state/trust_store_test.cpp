// SPDX-License-Identifier: Apache-2.0
// TrustStore: verification order and every rejection; fail-closed trust-state persistence.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "manual_clock.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "temp_dir.hpp"
#include "test_keys.hpp"

namespace rustynet::crypto {
namespace {

using testing::bytes_of;
using testing::mac_key;
using testing::signing_key;

constexpr std::int64_t kNow = 1'800'000'000;

class TrustStoreTest : public ::testing::Test {
 protected:
  TrustStoreTest() : signer_(signing_key(1)), path_(dir_.file("trust.state")) {}

  TrustStore::Options options() const { return TrustStore::Options{path_, true, {}}; }

  TrustStore fresh() {
    auto store = TrustStore::initialize(options(), mac_key(), {signer_.public_key()});
    EXPECT_TRUE(store.has_value()) << store.error().describe();
    return std::move(store).value();
  }

  std::vector<std::uint8_t> envelope(std::uint64_t generation, std::string payload = "{\"v\":1}",
                                     ArtifactType type = ArtifactType::kNodeState, std::string subject = "node-a",
                                     std::int64_t issued = kNow - 10, std::int64_t expires = kNow + 3600,
                                     const Ed25519SigningKey* key = nullptr) {
    return sign_envelope(key != nullptr ? *key : signer_, EnvelopeHeader{type, subject, issued, expires, generation},
                         bytes_of(payload))
        .value();
  }

  SignedStateErrorKind verify_error(const TrustStore& store, const std::vector<std::uint8_t>& bytes,
                                    ArtifactType type = ArtifactType::kNodeState) {
    auto result = store.verify(bytes, type, "node-a", clock_);
    EXPECT_FALSE(result.has_value());
    return result.has_value() ? SignedStateErrorKind::kInvalidArgument : result.error().kind;
  }

  std::vector<std::uint8_t> file_bytes() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void write_bytes(const std::vector<std::uint8_t>& bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(testing::text_of(bytes).data(), static_cast<std::streamsize>(bytes.size()));
  }

  testing::TempDir dir_;
  testing::ManualClock clock_{kNow};
  Ed25519SigningKey signer_;
  std::string path_;
};

TEST_F(TrustStoreTest, AcceptsValidArtifactAndPersistsGeneration) {
  auto store = fresh();
  ASSERT_TRUE(store.status().has_value());
  auto verified = store.verify(envelope(5, "{\"peers\":[]}"), ArtifactType::kNodeState, "node-a", clock_);
  ASSERT_TRUE(verified.has_value()) << verified.error().describe();
  EXPECT_EQ(testing::text_of(verified->payload), "{\"peers\":[]}");
  EXPECT_EQ(verified->header.generation, 5U);
  EXPECT_EQ(verified->signer_key_id, signer_.key_id());
  EXPECT_FALSE(verified->already_accepted);
  ASSERT_TRUE(store.commit(*verified).has_value());

  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);

  // A restart sees the same trust state, rollback protection included.
  auto reopened = TrustStore::open(options(), mac_key());
  ASSERT_TRUE(reopened.status().has_value()) << reopened.status().error().describe();
  EXPECT_EQ(reopened.state(), store.state());
  const auto* record = reopened.state().find_accepted(ArtifactType::kNodeState, "node-a");
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->generation, 5U);
  EXPECT_EQ(verify_error(reopened, envelope(4)), SignedStateErrorKind::kRollback);
}

TEST_F(TrustStoreTest, RejectsEachVerificationFailure) {
  auto store = fresh();
  const auto good = envelope(3);
  ASSERT_TRUE(store.verify(good, ArtifactType::kNodeState, "node-a", clock_).has_value());

  // Unknown signer.
  const auto stranger = signing_key(2);
  EXPECT_EQ(verify_error(store, envelope(3, "{}", ArtifactType::kNodeState, "node-a", kNow, kNow + 60, &stranger)),
            SignedStateErrorKind::kUnknownSigner);

  // Bad signature: any flipped bit in the payload or in the signature.
  auto tampered = good;
  tampered[tampered.size() - kEd25519SignatureSize - 2] ^= 0x01U;
  EXPECT_EQ(verify_error(store, tampered), SignedStateErrorKind::kBadSignature);
  tampered = good;
  tampered.back() ^= 0x80U;
  EXPECT_EQ(verify_error(store, tampered), SignedStateErrorKind::kBadSignature);
  // Header fields are signed too: move the expiry without re-signing.
  tampered = good;
  tampered[25 + 6 + 8 + 3] ^= 0x01U;  // a middle byte of expires_at
  EXPECT_EQ(verify_error(store, tampered), SignedStateErrorKind::kBadSignature);

  // Wrong artifact type (a policy snapshot presented as a node state, and the reverse).
  EXPECT_EQ(verify_error(store, envelope(3, "{}", ArtifactType::kPolicySnapshot)),
            SignedStateErrorKind::kWrongArtifactType);
  EXPECT_EQ(verify_error(store, good, ArtifactType::kPolicySnapshot), SignedStateErrorKind::kWrongArtifactType);

  // Signed for another node.
  EXPECT_EQ(verify_error(store, envelope(3, "{}", ArtifactType::kNodeState, "node-b")),
            SignedStateErrorKind::kWrongSubject);

  // Malformed and oversize.
  EXPECT_EQ(verify_error(store, bytes_of("not an envelope")), SignedStateErrorKind::kMalformed);
  EXPECT_EQ(verify_error(store, std::vector<std::uint8_t>(kMaxEnvelopeBytes + 1, 0)), SignedStateErrorKind::kOversize);
}

TEST_F(TrustStoreTest, ValidityWindowHonoursSkewTolerance) {
  auto store = fresh();
  auto kind_for = [&](std::int64_t issued, std::int64_t expires) {
    auto result = store.verify(envelope(1, "{}", ArtifactType::kNodeState, "node-a", issued, expires),
                               ArtifactType::kNodeState, "node-a", clock_);
    return result.has_value() ? std::optional<SignedStateErrorKind>{} : std::optional(result.error().kind);
  };
  EXPECT_EQ(kind_for(kNow + kClockSkewSeconds, kNow + 3600), std::nullopt);  // at the tolerance: accepted
  EXPECT_EQ(kind_for(kNow + kClockSkewSeconds + 1, kNow + 3600), SignedStateErrorKind::kNotYetValid);
  EXPECT_EQ(kind_for(kNow - 3600, kNow - kClockSkewSeconds + 1), std::nullopt);
  EXPECT_EQ(kind_for(kNow - 3600, kNow - kClockSkewSeconds), SignedStateErrorKind::kExpired);
  EXPECT_EQ(kind_for(kNow - 7200, kNow - 3600), SignedStateErrorKind::kExpired);

  // Time moves: a valid artifact expires later, with no sleeping.
  const auto artifact = envelope(1, "{}", ArtifactType::kNodeState, "node-a", kNow, kNow + 600);
  ASSERT_TRUE(store.verify(artifact, ArtifactType::kNodeState, "node-a", clock_).has_value());
  clock_.advance(std::chrono::seconds(600 + kClockSkewSeconds));
  EXPECT_EQ(verify_error(store, artifact), SignedStateErrorKind::kExpired);
}

TEST_F(TrustStoreTest, UnusableWallClockDenies) {
  auto store = fresh();
  clock_.set_wall_usable(false);
  EXPECT_EQ(verify_error(store, envelope(1)), SignedStateErrorKind::kClockUnavailable);
}

TEST_F(TrustStoreTest, RollbackAndEquivocation) {
  auto store = fresh();
  const auto gen5 = envelope(5, "{\"a\":1}");
  auto verified = store.verify(gen5, ArtifactType::kNodeState, "node-a", clock_);
  ASSERT_TRUE(verified.has_value());
  ASSERT_TRUE(store.commit(*verified).has_value());

  EXPECT_EQ(verify_error(store, envelope(4)), SignedStateErrorKind::kRollback);
  EXPECT_EQ(verify_error(store, envelope(1)), SignedStateErrorKind::kRollback);
  // Same generation, different content: the signer equivocated (or its key leaked).
  EXPECT_EQ(verify_error(store, envelope(5, "{\"a\":2}")), SignedStateErrorKind::kGenerationConflict);
  // The very same bytes again (daemon restart re-applying its cached state): idempotent.
  auto again = store.verify(gen5, ArtifactType::kNodeState, "node-a", clock_);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->already_accepted);
  EXPECT_TRUE(store.commit(*again).has_value());
  // Generations are per (type, subject): a policy snapshot starts its own sequence.
  auto policy =
      store.verify(envelope(1, "{}", ArtifactType::kPolicySnapshot), ArtifactType::kPolicySnapshot, "node-a", clock_);
  ASSERT_TRUE(policy.has_value()) << policy.error().describe();

  // A stale verification result cannot be committed after a newer one.
  auto gen6 = store.verify(envelope(6), ArtifactType::kNodeState, "node-a", clock_).value();
  auto gen7 = store.verify(envelope(7), ArtifactType::kNodeState, "node-a", clock_).value();
  ASSERT_TRUE(store.commit(gen7).has_value());
  auto stale = store.commit(gen6);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().kind, SignedStateErrorKind::kRollback);
}

TEST_F(TrustStoreTest, BatchCommitIsAllOrNothing) {
  auto store = fresh();
  auto state = store.verify(envelope(2), ArtifactType::kNodeState, "node-a", clock_).value();
  auto policy =
      store.verify(envelope(2, "{}", ArtifactType::kPolicySnapshot), ArtifactType::kPolicySnapshot, "node-a", clock_)
          .value();
  auto old_state = store.verify(envelope(1), ArtifactType::kNodeState, "node-a", clock_).value();
  const std::array<const VerifiedArtifact*, 3> bad = {&policy, &state, &old_state};
  auto failed = store.commit(bad);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, SignedStateErrorKind::kRollback);
  EXPECT_TRUE(store.state().accepted.empty());  // nothing recorded
  EXPECT_TRUE(TrustStore::open(options(), mac_key()).state().accepted.empty());
  const std::array<const VerifiedArtifact*, 2> good = {&state, &policy};
  ASSERT_TRUE(store.commit(good).has_value());
  EXPECT_EQ(TrustStore::open(options(), mac_key()).state().accepted.size(), 2U);
}

TEST_F(TrustStoreTest, MissingTrustStateDeniesEverything) {
  auto store = TrustStore::open(options(), mac_key());
  ASSERT_FALSE(store.status().has_value());
  EXPECT_EQ(store.status().error().kind, SignedStateErrorKind::kTrustStateMissing);
  // Even a perfectly signed artifact is refused: there is nothing to check it against.
  EXPECT_EQ(verify_error(store, envelope(1)), SignedStateErrorKind::kTrustStateMissing);
  EXPECT_EQ(store.add_signer(signer_.public_key()).error().kind, SignedStateErrorKind::kTrustStateMissing);
  EXPECT_FALSE(std::filesystem::exists(path_));  // and nothing was created behind the operator's back
}

TEST_F(TrustStoreTest, AnySingleBitFlipInTheFileIsDetected) {
  {
    auto store = fresh();
    auto verified = store.verify(envelope(9), ArtifactType::kNodeState, "node-a", clock_).value();
    ASSERT_TRUE(store.commit(verified).has_value());
  }
  const auto original = file_bytes();
  ASSERT_GT(original.size(), 64U);
  for (std::size_t i = 0; i < original.size(); ++i) {
    for (unsigned bit = 0; bit < 8; bit += 3) {
      auto flipped = original;
      flipped[i] = static_cast<std::uint8_t>(flipped[i] ^ (1U << bit));
      write_bytes(flipped);
      auto store = TrustStore::open(options(), mac_key());
      ASSERT_FALSE(store.status().has_value()) << "byte " << i << " bit " << bit;
      EXPECT_EQ(store.status().error().kind, SignedStateErrorKind::kTrustStateCorrupt);
      EXPECT_EQ(verify_error(store, envelope(10)), SignedStateErrorKind::kTrustStateCorrupt);
    }
  }
  write_bytes(original);
  EXPECT_TRUE(TrustStore::open(options(), mac_key()).status().has_value());
}

TEST_F(TrustStoreTest, TruncatedEmptyOrForeignKeyFilesAreCorrupt) {
  { auto store = fresh(); }
  const auto original = file_bytes();
  for (const std::size_t length : {std::size_t{0}, std::size_t{3}, original.size() - 1}) {
    write_bytes(std::vector<std::uint8_t>(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(length)));
    EXPECT_EQ(TrustStore::open(options(), mac_key()).status().error().kind, SignedStateErrorKind::kTrustStateCorrupt)
        << length;
  }
  auto extended = original;
  extended.push_back(0);
  write_bytes(extended);
  EXPECT_EQ(TrustStore::open(options(), mac_key()).status().error().kind, SignedStateErrorKind::kTrustStateCorrupt);
  write_bytes(original);
  EXPECT_EQ(TrustStore::open(options(), mac_key(0x11)).status().error().kind, SignedStateErrorKind::kTrustStateCorrupt);
}

TEST_F(TrustStoreTest, InsecureFileIsRefused) {
  { auto store = fresh(); }
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_EQ(TrustStore::open(options(), mac_key()).status().error().kind, SignedStateErrorKind::kTrustStateInsecure);
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  const std::string link = dir_.file("link.state");
  std::filesystem::create_symlink(path_, link);
  EXPECT_EQ(TrustStore::open(TrustStore::Options{link, true, {}}, mac_key()).status().error().kind,
            SignedStateErrorKind::kTrustStateInsecure);
}

TEST_F(TrustStoreTest, UnwritableTrustStateStopsTrustAndKeepsPreviousState) {
  auto store = fresh();
  auto first = store.verify(envelope(1), ArtifactType::kNodeState, "node-a", clock_).value();
  ASSERT_TRUE(store.commit(first).has_value());
  const auto before = store.state();
  const auto on_disk = file_bytes();

  // The directory disappears (disk unmounted, operator error): the write fails for real.
  const std::string gone = dir_.file("gone");
  std::filesystem::create_directory(gone);
  std::filesystem::permissions(gone, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  const std::string moved_path = gone + "/trust.state";
  std::filesystem::copy_file(path_, moved_path);
  auto moved = TrustStore::open(TrustStore::Options{moved_path, true, {}}, mac_key());
  ASSERT_TRUE(moved.status().has_value()) << moved.status().error().describe();
  std::filesystem::remove_all(gone);
  auto second = moved.verify(envelope(2), ArtifactType::kNodeState, "node-a", clock_).value();
  auto failed = moved.commit(second);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, SignedStateErrorKind::kTrustStateUnwritable);
  EXPECT_EQ(moved.state(), before);  // previous good state kept
  EXPECT_EQ(verify_error(moved, envelope(3)), SignedStateErrorKind::kTrustStateUnwritable);

  // A simulated crash mid-write: same outcome, and the old file is intact.
  TrustStore::Options crashing = options();
  crashing.write_options.observer = [](base::AtomicWriteStep step) { return step != base::AtomicWriteStep::kRename; };
  auto crashy = TrustStore::open(crashing, mac_key());
  ASSERT_TRUE(crashy.status().has_value());
  auto third = crashy.verify(envelope(3), ArtifactType::kNodeState, "node-a", clock_).value();
  EXPECT_EQ(crashy.commit(third).error().kind, SignedStateErrorKind::kTrustStateUnwritable);
  EXPECT_EQ(crashy.add_signer(signing_key(7).public_key()).error().kind, SignedStateErrorKind::kTrustStateUnwritable);
  EXPECT_EQ(file_bytes(), on_disk);
  // The operator fixes the cause; reload() re-reads the file and trust resumes from it.
  ASSERT_TRUE(crashy.reload().has_value());
  EXPECT_EQ(crashy.state(), before);
  EXPECT_TRUE(crashy.verify(envelope(3), ArtifactType::kNodeState, "node-a", clock_).has_value());
}

TEST_F(TrustStoreTest, InitializeNeverOverwrites) {
  { auto store = fresh(); }
  auto again = TrustStore::initialize(options(), mac_key(), {signer_.public_key()});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, SignedStateErrorKind::kInvalidArgument);
  EXPECT_FALSE(TrustStore::initialize(TrustStore::Options{dir_.file("other"), true, {}}, mac_key(), {}).has_value());
}

TEST_F(TrustStoreTest, BadMacKeyIsRejected) {
  auto store = TrustStore::initialize(options(), base::SecretBytes(16), {signer_.public_key()});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().kind, SignedStateErrorKind::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(TrustStoreTest, KeyRotation) {
  auto store = fresh();
  const auto next_signer = signing_key(2);
  ASSERT_TRUE(store.add_signer(next_signer.public_key()).has_value());
  EXPECT_EQ(store.add_signer(next_signer.public_key()).error().kind, SignedStateErrorKind::kInvalidArgument);
  auto by_new = envelope(1, "{}", ArtifactType::kNodeState, "node-a", kNow, kNow + 60, &next_signer);
  ASSERT_TRUE(store.verify(by_new, ArtifactType::kNodeState, "node-a", clock_).has_value());
  ASSERT_TRUE(store.remove_signer(signer_.key_id()).has_value());
  EXPECT_EQ(verify_error(store, envelope(2)), SignedStateErrorKind::kUnknownSigner);
  EXPECT_EQ(store.remove_signer(next_signer.key_id()).error().kind, SignedStateErrorKind::kInvalidArgument);
  auto reopened = TrustStore::open(options(), mac_key());
  ASSERT_EQ(reopened.state().signers.size(), 1U);
  EXPECT_EQ(reopened.state().signers[0], next_signer.public_key());
}

}  // namespace
}  // namespace rustynet::crypto
