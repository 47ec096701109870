// SPDX-License-Identifier: Apache-2.0
// Nonce and revocation stores: bounded (deny when full), durable across restarts (SQLite, WAL).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>

#include "rustynet/base/file_io.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/control/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace rustynet::control {
namespace {

constexpr base::UnixTime kNow{1'800'000'000};
constexpr base::UnixTime at(std::int64_t offset) { return base::UnixTime{kNow.seconds + offset}; }

// The same contract for both nonce store implementations.
void check_nonce_contract(NonceStore& store) {
  EXPECT_EQ(store.record_once("n1", at(100), kNow).value(), NonceOutcome::kFresh);
  EXPECT_EQ(store.record_once("n1", at(100), at(50)).value(), NonceOutcome::kReplayed);
  EXPECT_EQ(store.record_once("n1", at(100), at(100)).value(), NonceOutcome::kReplayed);  // inclusive
  EXPECT_EQ(store.record_once("n2", at(10), kNow).value(), NonceOutcome::kFresh);
  // Capacity 3: the third unexpired nonce fits, the fourth is refused, nothing unexpired evicted.
  EXPECT_EQ(store.record_once("n3", at(100), kNow).value(), NonceOutcome::kFresh);
  EXPECT_EQ(store.record_once("n4", at(100), kNow).value(), NonceOutcome::kFull);
  EXPECT_EQ(store.record_once("n1", at(100), kNow).value(), NonceOutcome::kReplayed);
  // Once n2 has expired it makes room.
  EXPECT_EQ(store.record_once("n4", at(100), at(11)).value(), NonceOutcome::kFresh);
  EXPECT_EQ(store.record_once("n5", at(100), at(11)).value(), NonceOutcome::kFull);
}

// A wall clock stepped a day forward (expired entries dropped to make room) and then corrected
// must not re-open a token that is valid again: its nonce is below the anti-replay floor. A token
// issued after the correction still passes, so the step costs no outage.
void check_clock_step_cannot_reopen_replay(NonceStore& store) {
  constexpr std::int64_t kDay = 86'400;
  EXPECT_EQ(store.record_once("a", at(390), kNow).value(), NonceOutcome::kFresh);
  EXPECT_EQ(store.record_once("b", at(390), kNow).value(), NonceOutcome::kFresh);
  // A day later (capacity 2 is full): a and b are dropped to make room for c.
  EXPECT_EQ(store.record_once("c", at(kDay + 390), at(kDay)).value(), NonceOutcome::kFresh);
  // The clock is corrected: a's token would pass its validity check again.
  EXPECT_EQ(store.record_once("a", at(390), at(10)).value(), NonceOutcome::kReplayed);
  EXPECT_EQ(store.record_once("b", at(390), at(10)).value(), NonceOutcome::kReplayed);
  EXPECT_EQ(store.record_once("d", at(400), at(10)).value(), NonceOutcome::kFresh);
}

TEST(NonceStoreTest, MemoryStoreClockStepCannotReopenReplay) {
  MemoryNonceStore store(2);
  check_clock_step_cannot_reopen_replay(store);
}

TEST(NonceStoreTest, SqliteStoreClockStepCannotReopenReplayEvenAfterRestart) {
  testing::TempDir dir;
  const std::string path = dir.file("control.db");
  {
    auto store = SqliteControlStore::open(path, SqliteStoreOptions{2});
    ASSERT_TRUE(store.has_value()) << store.error().message;
    check_clock_step_cannot_reopen_replay(**store);
  }
  auto reopened = SqliteControlStore::open(path, SqliteStoreOptions{2});
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  EXPECT_EQ((*reopened)->record_once("a", at(390), at(10)).value(), NonceOutcome::kReplayed);
}

TEST(NonceStoreTest, MemoryStoreBoundedDeniesWhenFull) {
  MemoryNonceStore store(3);
  check_nonce_contract(store);
  EXPECT_EQ(store.size(), 3U);
}

TEST(NonceStoreTest, SqliteStoreBoundedDeniesWhenFull) {
  testing::TempDir dir;
  auto store = SqliteControlStore::open(dir.file("control.db"), SqliteStoreOptions{3});
  ASSERT_TRUE(store.has_value()) << store.error().message;
  check_nonce_contract(**store);
}

TEST(SqliteStoreTest, WalModePrivateFileSchemaVersion) {
  testing::TempDir dir;
  const std::string path = dir.file("control.db");
  auto store = SqliteControlStore::open(path);
  ASSERT_TRUE(store.has_value()) << store.error().message;
  EXPECT_EQ((*store)->journal_mode().value(), "wal");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777U, 0600U);
}

TEST(SqliteStoreTest, RefusesWorldReadableFileAndNonDatabase) {
  testing::TempDir dir;
  const std::string path = dir.file("control.db");
  ASSERT_TRUE(SqliteControlStore::open(path).has_value());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_FALSE(SqliteControlStore::open(path).has_value());
  const std::string garbage = dir.file("garbage.db");
  {
    auto written = base::atomic_write_file(garbage, std::string(4096, 'x'));
    ASSERT_TRUE(written.has_value());
  }
  EXPECT_FALSE(SqliteControlStore::open(garbage).has_value());
}

// The restart decision (docs/token-model.md): used nonces are persisted before a token is
// accepted, so a replay after a restart is still a replay.
TEST(SqliteStoreTest, NoncesSurviveRestart) {
  testing::TempDir dir;
  const std::string path = dir.file("control.db");
  {
    auto store = SqliteControlStore::open(path);
    ASSERT_TRUE(store.has_value());
    EXPECT_EQ((*store)->record_once("nonce-a", at(390), kNow).value(), NonceOutcome::kFresh);
  }
  auto reopened = SqliteControlStore::open(path);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ((*reopened)->record_once("nonce-a", at(390), at(5)).value(), NonceOutcome::kReplayed);
  EXPECT_EQ((*reopened)->record_once("nonce-b", at(390), at(5)).value(), NonceOutcome::kFresh);
}

TEST(SqliteStoreTest, RevocationsSurviveRestart) {
  testing::TempDir dir;
  const std::string path = dir.file("control.db");
  {
    auto store = SqliteControlStore::open(path);
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->revoke_token("jti-1", at(390)).has_value());
    ASSERT_TRUE((*store)->revoke_subject("mallory").has_value());
  }
  auto store = SqliteControlStore::open(path);
  ASSERT_TRUE(store.has_value());
  EXPECT_TRUE((*store)->is_revoked("jti-1", "alice").value());
  EXPECT_TRUE((*store)->is_revoked("jti-2", "mallory").value());
  EXPECT_FALSE((*store)->is_revoked("jti-2", "alice").value());
  ASSERT_TRUE((*store)->unrevoke_subject("mallory").has_value());
  EXPECT_FALSE((*store)->is_revoked("jti-2", "mallory").value());
  // Pruning drops token revocations only after they could matter.
  ASSERT_TRUE((*store)->prune(at(390)).has_value());
  EXPECT_TRUE((*store)->is_revoked("jti-1", "alice").value());
  ASSERT_TRUE((*store)->prune(at(391)).has_value());
  EXPECT_FALSE((*store)->is_revoked("jti-1", "alice").value());
}

TEST(SqliteStoreTest, CapacityCountsPersistedNonces) {
  testing::TempDir dir;
  const std::string path = dir.file("control.db");
  {
    auto store = SqliteControlStore::open(path, SqliteStoreOptions{2});
    ASSERT_TRUE(store.has_value());
    EXPECT_EQ((*store)->record_once("a", at(100), kNow).value(), NonceOutcome::kFresh);
    EXPECT_EQ((*store)->record_once("b", at(100), kNow).value(), NonceOutcome::kFresh);
  }
  auto store = SqliteControlStore::open(path, SqliteStoreOptions{2});
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ((*store)->record_once("c", at(100), kNow).value(), NonceOutcome::kFull);
}

TEST(RevocationStoreTest, MemoryStoreByTokenAndSubject) {
  MemoryRevocationStore store;
  ASSERT_TRUE(store.revoke_token("jti-1", at(10)).has_value());
  ASSERT_TRUE(store.revoke_subject("mallory").has_value());
  EXPECT_TRUE(store.is_revoked("jti-1", "alice").value());
  EXPECT_TRUE(store.is_revoked("jti-9", "mallory").value());
  EXPECT_FALSE(store.is_revoked("jti-9", "alice").value());
}

}  // namespace
}  // namespace rustynet::control
