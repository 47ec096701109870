// SPDX-License-Identifier: Apache-2.0
// Bounded file reads, permission checks and crash-safe atomic writes for state and key files.
#pragma once

#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::base {

enum class FileErrorKind : std::uint8_t {
  kNotFound,            // path does not exist
  kIsSymlink,           // the final component is a symbolic link (refused, never followed)
  kNotRegularFile,      // a directory, device, fifo... where a regular file is required
  kNotDirectory,        // a directory was required
  kPermissionMismatch,  // mode bits differ from the required ones
  kOwnerMismatch,       // not owned by the effective uid
  kTooLarge,            // larger than the caller's bound
  kIo,                  // any other system call failure (errno in the message)
  kInterrupted,         // an atomic write was stopped by its observer (crash simulation)
};

struct FileError {
  FileErrorKind kind = FileErrorKind::kIo;
  std::string path;
  std::string detail;  // human-readable; never contains file contents

  [[nodiscard]] std::string describe() const;
};

[[nodiscard]] const char* to_string(FileErrorKind kind) noexcept;

// Reads a regular file of at most `max_bytes` without following a final symlink.
[[nodiscard]] Result<std::string, FileError> read_file_bounded(const std::string& path, std::size_t max_bytes);

// Requires `path` to be a regular file (not a symlink) owned by `owner` with exactly `mode`
// permission bits (e.g. 0600).
[[nodiscard]] Status<FileError> check_private_file(const std::string& path, mode_t mode, uid_t owner);

// Requires `path` to be a directory (not a symlink) owned by `owner` with exactly `mode` (e.g. 0700).
[[nodiscard]] Status<FileError> check_private_dir(const std::string& path, mode_t mode, uid_t owner);

// The steps of an atomic write, in order. Observers can stop a write before any step to simulate a
// crash at that point.
enum class AtomicWriteStep : std::uint8_t {
  kCreateTemp,
  kWriteTemp,
  kSyncTemp,
  kRename,
  kSyncDirectory,
};

struct AtomicWriteOptions {
  mode_t mode = 0600;
  // Called before each step; returning false stops the write right there, like a crash would
  // (the temporary file is left behind exactly as a crash would leave it). Tests only.
  std::function<bool(AtomicWriteStep)> observer;
};

// Replaces `path` with `contents` so that after a crash at any point the file holds either the
// complete old or the complete new contents: temp file in the same directory (O_EXCL, mode set at
// creation), write, fsync, rename over `path`, fsync the directory.
[[nodiscard]] Status<FileError> atomic_write_file(const std::string& path, std::span<const std::uint8_t> contents,
                                                  const AtomicWriteOptions& options = {});
[[nodiscard]] Status<FileError> atomic_write_file(const std::string& path, const std::string& contents,
                                                  const AtomicWriteOptions& options = {});

}  // namespace rustynet::base
