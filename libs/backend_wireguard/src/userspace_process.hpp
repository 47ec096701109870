// SPDX-License-Identifier: Apache-2.0
// Starts and stops one userspace WireGuard daemon (wireguard-go) for one interface.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/base/unique_fd.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard {

struct UserspaceProcessOptions {
  std::string binary_path = "/usr/bin/wireguard-go";
  std::string interface_name;
  std::string socket_path;                // where the daemon will listen (it chooses; we wait for it)
  std::optional<std::string> netns_path;  // e.g. /var/run/netns/NAME: the child enters it before exec
  std::chrono::milliseconds start_timeout = std::chrono::seconds(10);
  // PR_SET_PDEATHSIG(SIGTERM): the daemon dies with the thread that spawned it (tests).
  bool terminate_with_owner = false;
};

// Why spawn() failed, so the adapter can map it to a typed error kind.
enum class SpawnFailure {
  kBinaryMissing,  // binary absent or not executable
  kNamespace,      // cannot open/enter the network namespace
  kExitedEarly,    // the daemon started and exited (e.g. the tun device could not be created)
  kTimeout,        // the control socket never appeared
  kSystem,         // fork/pipe/etc.
};

struct SpawnError {
  SpawnFailure failure = SpawnFailure::kSystem;
  WgError error;
};

// A running daemon in its own process group, started without a shell (fork + execve with an
// explicit argv and a minimal environment: WG_PROCESS_FOREGROUND=1, LOG_LEVEL=error). Move-only; the
// destructor stops the daemon. Not thread-safe.
class UserspaceProcess {
 public:
  // Starts the daemon and returns once its control socket accepts connections.
  [[nodiscard]] static base::Result<UserspaceProcess, SpawnError> spawn(const UserspaceProcessOptions& options);

  UserspaceProcess(UserspaceProcess&& other) noexcept;
  UserspaceProcess& operator=(UserspaceProcess&& other) noexcept;
  UserspaceProcess(const UserspaceProcess&) = delete;
  UserspaceProcess& operator=(const UserspaceProcess&) = delete;
  ~UserspaceProcess();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // A pidfd that becomes readable when the daemon exits (for a watchdog's poll()).
  [[nodiscard]] int exit_fd() const noexcept { return pidfd_.get(); }
  // Reaps without blocking; false once the daemon has exited.
  [[nodiscard]] bool alive();
  // SIGTERM to the process group, then SIGKILL after `grace`; reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(3)) noexcept;

 private:
  UserspaceProcess(pid_t pid, base::UniqueFd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)), reaped_(false) {}

  pid_t pid_ = -1;
  base::UniqueFd pidfd_;
  bool reaped_ = true;
};

}  // namespace rustynet::backend_wireguard
