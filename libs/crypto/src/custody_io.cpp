// SPDX-License-Identifier: Apache-2.0
// Secret reads on descriptors: fstat checks on the open descriptor leave no check/use race.
#include "custody_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::crypto::detail {

base::Result<base::SecretBytes, CustodyError> read_secret_fd(int fd, std::size_t max_bytes, const std::string& label) {
  base::SecretBytes buffer(max_bytes + 1);
  auto view = buffer.mutable_view();
  std::size_t total = 0;
  while (total < view.size()) {
    const ssize_t got = ::read(fd, view.data() + total, view.size() - total);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return base::unexpected(CustodyError{CustodyErrorKind::kIo, label, base::last_sys_error("read").describe()});
    }
    if (got == 0) {
      break;
    }
    total += static_cast<std::size_t>(got);
  }
  if (total > max_bytes) {
    return base::unexpected(CustodyError{CustodyErrorKind::kOperatorSecretInvalid, label, "secret input too long"});
  }
  return base::SecretBytes(buffer.view().first(total));
}

base::Result<base::SecretBytes, CustodyError> read_owner_only_file(const std::string& path, uid_t owner,
                                                                   std::size_t max_bytes) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    const int error = errno;
    if (error == ELOOP) {
      return base::unexpected(CustodyError{CustodyErrorKind::kSymlink, path, "refusing to follow a symbolic link"});
    }
    if (error == ENOENT) {
      return base::unexpected(CustodyError{CustodyErrorKind::kNotFound, path, "does not exist"});
    }
    errno = error;
    return base::unexpected(CustodyError{CustodyErrorKind::kIo, path, base::last_sys_error("open").describe()});
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return base::unexpected(CustodyError{CustodyErrorKind::kIo, path, base::last_sys_error("fstat").describe()});
  }
  if (!S_ISREG(info.st_mode)) {
    return base::unexpected(CustodyError{CustodyErrorKind::kNotRegularFile, path, "not a regular file"});
  }
  if (info.st_uid != owner) {
    return base::unexpected(CustodyError{CustodyErrorKind::kOwnerMismatch, path, "not owned by the expected user"});
  }
  if ((info.st_mode & 077U) != 0) {
    return base::unexpected(
        CustodyError{CustodyErrorKind::kBadPermissions, path, "group or other permission bits are set"});
  }
  return read_secret_fd(fd.get(), max_bytes, path);
}

base::SecretBytes strip_trailing_newline(base::SecretBytes bytes) {
  auto view = bytes.view();
  std::size_t size = view.size();
  if (size > 0 && view[size - 1] == '\n') {
    --size;
    if (size > 0 && view[size - 1] == '\r') {
      --size;
    }
  }
  if (size == view.size()) {
    return bytes;
  }
  return base::SecretBytes(view.first(size));
}

}  // namespace rustynet::crypto::detail
