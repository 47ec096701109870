// SPDX-License-Identifier: Apache-2.0
// DaemonError: why rustynetd refused to start (or a runtime operation failed), with its exit code.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"

namespace rustynet::apps::daemon {

// One kind per startup step, in startup order (docs/daemon.md). The numeric value is the process
// exit code: stable, never renumbered or reused. 64 (usage) and 70 (internal) follow sysexits.
enum class DaemonErrorKind : std::uint8_t {
  kConfig = 10,        // config file missing, unreadable, malformed, unknown version, bad value
  kCryptoPolicy = 11,  // crypto policy file invalid, or an algorithm the daemon uses is not allowed
  kKeyCustody = 12,    // no secure key store, wrong key file/dir mode or owner, key missing/invalid
  kTrustState = 13,    // trust state corrupt/insecure/unwritable, or cannot be initialised
  kBackend = 14,       // backend construction or start failed
  kLocalApi = 15,      // local API socket cannot be created (path, group, permissions)
  kControl = 16,       // control client cannot be configured (address, pin, CA file)
  kApply = 17,         // a verified state could not be applied (runtime; rolled back)
  kRejected = 18,      // control data refused (signature, rollback, expiry, digest...) (runtime)
  kMetrics = 19,       // the metrics endpoint cannot be bound (port taken)
  kUsage = 64,
  kInternal = 70,
};

[[nodiscard]] std::string_view to_string(DaemonErrorKind kind) noexcept;

struct DaemonError {
  DaemonErrorKind kind = DaemonErrorKind::kInternal;
  std::string message;  // operator-facing; never secrets

  [[nodiscard]] int exit_code() const noexcept { return static_cast<int>(kind); }
  // "kind: message"
  [[nodiscard]] std::string describe() const;
};

std::ostream& operator<<(std::ostream& out, const DaemonError& error);

template <class T>
using DaemonResult = base::Result<T, DaemonError>;
using DaemonStatus = base::Status<DaemonError>;

[[nodiscard]] inline base::Unexpected<DaemonError> daemon_fail(DaemonErrorKind kind, std::string message) {
  return base::unexpected(DaemonError{kind, std::move(message)});
}

}  // namespace rustynet::apps::daemon
