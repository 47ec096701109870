// SPDX-License-Identifier: Apache-2.0
// Helpers for tests that run inside the kernel-WireGuard VM: spawn iproute2, enter a named
// network namespace for the current thread, random keys.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::backend_wireguard::kernel::vm {

// iproute2's ip: a full path, because busybox's shell would prefer its own ip applet.
inline constexpr const char* kIpBinary = "/sbin/ip";

// Runs argv[0] (a full path) with argv, output to the console; returns its exit status or -1.
inline int run_command(std::vector<std::string> argv) {
  std::string line;
  for (const auto& arg : argv) {
    line += arg + " ";
  }
  (void)std::fprintf(stderr, "vm-test$ %s\n", line.c_str());
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& arg : argv) {
    args.push_back(arg.data());
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) {
    return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline int ip(std::vector<std::string> args) {
  args.insert(args.begin(), kIpBinary);
  return run_command(std::move(args));
}

// Moves the calling thread into /run/netns/NAME for the scope's lifetime. Sockets opened inside
// stay in that namespace after the scope ends.
class NetnsScope {
 public:
  explicit NetnsScope(const std::string& name) : original_(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) {
    const base::UniqueFd target(::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    entered_ = original_.valid() && target.valid() && ::setns(target.get(), CLONE_NEWNET) == 0;
  }
  ~NetnsScope() {
    if (entered_) {
      (void)::setns(original_.get(), CLONE_NEWNET);
    }
  }
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;
  [[nodiscard]] bool entered() const noexcept { return entered_; }

 private:
  base::UniqueFd original_;
  bool entered_ = false;
};

inline base::SecretBytes random_key() {
  base::SecretBytes key(32);
  auto bytes = key.mutable_view();
  std::size_t filled = 0;
  for (int attempt = 0; filled < bytes.size() && attempt < 100; ++attempt) {
    const ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got > 0) {
      filled += static_cast<std::size_t>(got);
    }
  }
  return key;
}

}  // namespace rustynet::backend_wireguard::kernel::vm
