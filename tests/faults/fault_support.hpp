// SPDX-License-Identifier: Apache-2.0
// Fault injectors for the fault tests: a full disk (RLIMIT_FSIZE) and a read-only directory.
#pragma once

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <string>

namespace rustynet::testing {

// While alive, no file of this process can grow beyond `bytes`: a write past it fails with EFBIG
// exactly as a full disk fails with ENOSPC (SIGXFSZ is ignored so the write returns the error
// instead of killing the process). Applies to root too. Restores the previous limit and handler.
class DiskFull {
 public:
  explicit DiskFull(rlim_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ok_ = ::getrlimit(RLIMIT_FSIZE, &previous_) == 0;
    rlimit limited = previous_;
    limited.rlim_cur = bytes;
    ok_ = ok_ && ::setrlimit(RLIMIT_FSIZE, &limited) == 0;
  }
  ~DiskFull() {
    ::setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  DiskFull(const DiskFull&) = delete;
  DiskFull& operator=(const DiskFull&) = delete;
  DiskFull(DiskFull&&) = delete;
  DiskFull& operator=(DiskFull&&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = SIG_DFL;
  bool ok_ = false;
};

// While alive, `directory` has mode 0500 and the calling thread has no capability that overrides
// file modes (root included), so creating or renaming files in it fails with EACCES like on a
// read-only state directory. Restores the mode and the capabilities.
class ReadOnlyDirectory {
 public:
  explicit ReadOnlyDirectory(std::string directory) : directory_(std::move(directory)) {
    struct stat info {};
    ok_ = ::stat(directory_.c_str(), &info) == 0;
    previous_mode_ = info.st_mode & 07777U;
    ok_ = ok_ && ::chmod(directory_.c_str(), 0500) == 0;
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    header_.pid = 0;
    ok_ = ok_ && ::syscall(SYS_capget, &header_, saved_.data()) == 0;
    std::array<__user_cap_data_struct, 2> dropped = saved_;
    for (const unsigned cap : {unsigned{CAP_DAC_OVERRIDE}, unsigned{CAP_DAC_READ_SEARCH}, unsigned{CAP_FOWNER}}) {
      dropped[0].effective &= ~(1U << cap);
    }
    ok_ = ok_ && ::syscall(SYS_capset, &header_, dropped.data()) == 0;
  }
  ~ReadOnlyDirectory() {
    ::syscall(SYS_capset, &header_, saved_.data());
    ::chmod(directory_.c_str(), previous_mode_);
  }
  ReadOnlyDirectory(const ReadOnlyDirectory&) = delete;
  ReadOnlyDirectory& operator=(const ReadOnlyDirectory&) = delete;
  ReadOnlyDirectory(ReadOnlyDirectory&&) = delete;
  ReadOnlyDirectory& operator=(ReadOnlyDirectory&&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }

 private:
  std::string directory_;
  mode_t previous_mode_ = 0700;
  __user_cap_header_struct header_{};
  std::array<__user_cap_data_struct, 2> saved_{};
  bool ok_ = false;
};

}  // namespace rustynet::testing
