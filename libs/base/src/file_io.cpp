// SPDX-License-Identifier: Apache-2.0
// Bounded reads, private-file checks and atomic writes.
#include "rustynet/base/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <random>

#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::base {
namespace {

FileError sys_failure(FileErrorKind kind, const std::string& path, const char* operation) {
  return FileError{kind, path, last_sys_error(operation).describe()};
}

FileError from_errno(const std::string& path, const char* operation) {
  const int saved = errno;
  if (saved == ENOENT) {
    return FileError{FileErrorKind::kNotFound, path, "does not exist"};
  }
  if (saved == ELOOP) {
    return FileError{FileErrorKind::kIsSymlink, path, "is a symbolic link; refusing to follow it"};
  }
  errno = saved;
  return sys_failure(FileErrorKind::kIo, path, operation);
}

std::string octal(mode_t mode) {
  std::string out;
  for (int shift = 9; shift >= 0; shift -= 3) {
    out.push_back(static_cast<char>('0' + ((mode >> static_cast<unsigned>(shift)) & 07U)));
  }
  return out;
}

Status<FileError> check_stat(const std::string& path, const struct stat& st, mode_t mode, uid_t owner) {
  const mode_t actual = st.st_mode & 07777U;
  if (actual != mode) {
    return unexpected(
        FileError{FileErrorKind::kPermissionMismatch, path, "mode is " + octal(actual) + ", required " + octal(mode)});
  }
  if (st.st_uid != owner) {
    return unexpected(
        FileError{FileErrorKind::kOwnerMismatch, path,
                  "owned by uid " + std::to_string(st.st_uid) + ", required uid " + std::to_string(owner)});
  }
  return {};
}

Status<FileError> lstat_path(const std::string& path, struct stat& st) {
  if (::lstat(path.c_str(), &st) != 0) {
    return unexpected(from_errno(path, "lstat"));
  }
  if (S_ISLNK(st.st_mode)) {
    return unexpected(FileError{FileErrorKind::kIsSymlink, path, "is a symbolic link; refusing to follow it"});
  }
  return {};
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string temp_name_for(const std::string& path) {
  std::random_device entropy;
  std::uniform_int_distribution<unsigned> digit(0, 35);
  std::string suffix;
  for (int i = 0; i < 12; ++i) {
    const unsigned d = digit(entropy);
    suffix.push_back(static_cast<char>(d < 10 ? '0' + d : 'a' + (d - 10)));
  }
  return path + ".tmp-" + suffix;
}

bool proceed(const AtomicWriteOptions& options, AtomicWriteStep step) {
  return !options.observer || options.observer(step);
}

FileError interrupted(const std::string& path) {
  return FileError{FileErrorKind::kInterrupted, path, "write stopped by observer"};
}

}  // namespace

const char* to_string(FileErrorKind kind) noexcept {
  switch (kind) {
    case FileErrorKind::kNotFound: return "not_found";
    case FileErrorKind::kIsSymlink: return "is_symlink";
    case FileErrorKind::kNotRegularFile: return "not_regular_file";
    case FileErrorKind::kNotDirectory: return "not_directory";
    case FileErrorKind::kPermissionMismatch: return "permission_mismatch";
    case FileErrorKind::kOwnerMismatch: return "owner_mismatch";
    case FileErrorKind::kTooLarge: return "too_large";
    case FileErrorKind::kIo: return "io";
    case FileErrorKind::kInterrupted: return "interrupted";
  }
  return "unknown";
}

std::string FileError::describe() const { return path + ": " + detail + " [" + to_string(kind) + "]"; }

Result<std::string, FileError> read_file_bounded(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
  if (!fd.valid()) {
    return unexpected(from_errno(path, "open"));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return unexpected(sys_failure(FileErrorKind::kIo, path, "fstat"));
  }
  if (!S_ISREG(st.st_mode)) {
    return unexpected(FileError{FileErrorKind::kNotRegularFile, path, "is not a regular file"});
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return unexpected(FileError{FileErrorKind::kTooLarge, path,
                                "is " + std::to_string(st.st_size) + " bytes, limit " + std::to_string(max_bytes)});
  }
  std::string contents;
  std::array<char, 8192> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return unexpected(sys_failure(FileErrorKind::kIo, path, "read"));
    }
    if (n == 0) {
      break;
    }
    // The file may grow between fstat and read; the bound holds regardless.
    if (contents.size() + static_cast<std::size_t>(n) > max_bytes) {
      return unexpected(FileError{FileErrorKind::kTooLarge, path, "grew past limit " + std::to_string(max_bytes)});
    }
    contents.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return contents;
}

Status<FileError> check_private_file(const std::string& path, mode_t mode, uid_t owner) {
  struct stat st {};
  RUSTYNET_RETURN_IF_ERROR(lstat_path(path, st));
  if (!S_ISREG(st.st_mode)) {
    return unexpected(FileError{FileErrorKind::kNotRegularFile, path, "is not a regular file"});
  }
  return check_stat(path, st, mode, owner);
}

Status<FileError> check_private_dir(const std::string& path, mode_t mode, uid_t owner) {
  struct stat st {};
  RUSTYNET_RETURN_IF_ERROR(lstat_path(path, st));
  if (!S_ISDIR(st.st_mode)) {
    return unexpected(FileError{FileErrorKind::kNotDirectory, path, "is not a directory"});
  }
  return check_stat(path, st, mode, owner);
}

Status<FileError> atomic_write_file(const std::string& path, std::span<const std::uint8_t> contents,
                                    const AtomicWriteOptions& options) {
  const std::string temp = temp_name_for(path);
  if (!proceed(options, AtomicWriteStep::kCreateTemp)) {
    return unexpected(interrupted(path));
  }
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, options.mode));
  if (!fd.valid()) {
    return unexpected(sys_failure(FileErrorKind::kIo, temp, "create temporary file"));
  }
  // The umask may have narrowed the creation mode; set it exactly.
  if (::fchmod(fd.get(), options.mode) != 0) {
    auto error = sys_failure(FileErrorKind::kIo, temp, "fchmod");
    static_cast<void>(::unlink(temp.c_str()));
    return unexpected(std::move(error));
  }
  auto fail = [&](const char* operation) {
    auto error = sys_failure(FileErrorKind::kIo, temp, operation);
    static_cast<void>(::unlink(temp.c_str()));
    return unexpected(std::move(error));
  };
  if (!proceed(options, AtomicWriteStep::kWriteTemp)) {
    return unexpected(interrupted(path));
  }
  std::size_t written = 0;
  while (written < contents.size()) {
    const auto chunk = contents.subspan(written);
    const ssize_t n = ::write(fd.get(), chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (!proceed(options, AtomicWriteStep::kSyncTemp)) {
    return unexpected(interrupted(path));
  }
  if (::fsync(fd.get()) != 0) {
    return fail("fsync");
  }
  fd.reset();
  if (!proceed(options, AtomicWriteStep::kRename)) {
    return unexpected(interrupted(path));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return fail("rename");
  }
  if (!proceed(options, AtomicWriteStep::kSyncDirectory)) {
    return unexpected(interrupted(path));
  }
  const std::string dir = directory_of(path);
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid() || ::fsync(dir_fd.get()) != 0) {
    return unexpected(sys_failure(FileErrorKind::kIo, dir, "fsync directory"));
  }
  return {};
}

Status<FileError> atomic_write_file(const std::string& path, const std::string& contents,
                                    const AtomicWriteOptions& options) {
  return atomic_write_file(
      path,
      std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(static_cast<const void*>(contents.data())),
                                    contents.size()),
      options);
}

}  // namespace rustynet::base
