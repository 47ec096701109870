// SPDX-License-Identifier: Apache-2.0
// Bounded reads, private-file checks and crash safety of atomic writes.
#include "rustynet/base/file_io.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "temp_dir.hpp"

namespace rustynet::base {
namespace {

using rustynet::testing::TempDir;

TEST(FileIoTest, AtomicWriteCreatesFileWithExactMode) {
  TempDir dir;
  const auto path = dir.file("state");
  ASSERT_TRUE(atomic_write_file(path, std::string("hello")).has_value());
  EXPECT_EQ(read_file_bounded(path, 100).value(), "hello");
  EXPECT_TRUE(check_private_file(path, 0600, ::geteuid()).has_value());
}

TEST(FileIoTest, ReadRefusesOversizeSymlinkAndMissing) {
  TempDir dir;
  const auto path = dir.file("big");
  ASSERT_TRUE(atomic_write_file(path, std::string(64, 'x')).has_value());
  EXPECT_EQ(read_file_bounded(path, 63).error().kind, FileErrorKind::kTooLarge);
  const auto link = dir.file("link");
  std::filesystem::create_symlink(path, link);
  EXPECT_EQ(read_file_bounded(link, 100).error().kind, FileErrorKind::kIsSymlink);
  EXPECT_EQ(read_file_bounded(dir.file("absent"), 100).error().kind, FileErrorKind::kNotFound);
  EXPECT_EQ(read_file_bounded(dir.path().string(), 100).error().kind, FileErrorKind::kNotRegularFile);
}

TEST(FileIoTest, PrivateChecksRejectModeOwnerSymlinkAndType) {
  TempDir dir;
  const auto path = dir.file("key");
  ASSERT_TRUE(atomic_write_file(path, std::string("k")).has_value());
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_EQ(check_private_file(path, 0600, ::geteuid()).error().kind, FileErrorKind::kPermissionMismatch);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(check_private_file(path, 0600, ::geteuid() + 1).error().kind, FileErrorKind::kOwnerMismatch);
  const auto link = dir.file("link");
  std::filesystem::create_symlink(path, link);
  EXPECT_EQ(check_private_file(link, 0600, ::geteuid()).error().kind, FileErrorKind::kIsSymlink);
  EXPECT_EQ(check_private_file(dir.path().string(), 0700, ::geteuid()).error().kind, FileErrorKind::kNotRegularFile);
  EXPECT_TRUE(check_private_dir(dir.path().string(), 0700, ::geteuid()).has_value());
  EXPECT_EQ(check_private_dir(path, 0700, ::geteuid()).error().kind, FileErrorKind::kNotDirectory);
}

// A crash before any step must leave the previous contents complete and readable.
TEST(FileIoTest, CrashAtAnyStepKeepsOldOrNewContents) {
  const AtomicWriteStep steps[] = {AtomicWriteStep::kCreateTemp, AtomicWriteStep::kWriteTemp,
                                   AtomicWriteStep::kSyncTemp, AtomicWriteStep::kRename,
                                   AtomicWriteStep::kSyncDirectory};
  for (const auto crash_at : steps) {
    TempDir dir;
    const auto path = dir.file("trust");
    ASSERT_TRUE(atomic_write_file(path, std::string("old-state")).has_value());
    AtomicWriteOptions options;
    options.observer = [crash_at](AtomicWriteStep step) { return step != crash_at; };
    const auto result = atomic_write_file(path, std::string("new-state"), options);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, FileErrorKind::kInterrupted);
    const auto contents = read_file_bounded(path, 100).value();
    if (crash_at == AtomicWriteStep::kSyncDirectory) {
      EXPECT_EQ(contents, "new-state");  // rename already happened: the new file is complete
    } else {
      EXPECT_EQ(contents, "old-state");
    }
  }
}

TEST(FileIoTest, WriteIntoMissingDirectoryFailsWithoutSideEffects) {
  TempDir dir;
  const auto path = dir.file("missing/state");
  const auto result = atomic_write_file(path, std::string("x"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, FileErrorKind::kIo);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace rustynet::base
