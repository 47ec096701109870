// SPDX-License-Identifier: Apache-2.0
// DaemonError names and formatting.
#include "daemon_error.hpp"

#include <ostream>

namespace rustynet::apps::daemon {

std::string_view to_string(DaemonErrorKind kind) noexcept {
  switch (kind) {
    case DaemonErrorKind::kConfig: return "config";
    case DaemonErrorKind::kCryptoPolicy: return "crypto_policy";
    case DaemonErrorKind::kKeyCustody: return "key_custody";
    case DaemonErrorKind::kTrustState: return "trust_state";
    case DaemonErrorKind::kBackend: return "backend";
    case DaemonErrorKind::kLocalApi: return "local_api";
    case DaemonErrorKind::kControl: return "control";
    case DaemonErrorKind::kApply: return "apply";
    case DaemonErrorKind::kRejected: return "rejected";
    case DaemonErrorKind::kMetrics: return "metrics";
    case DaemonErrorKind::kUsage: return "usage";
    case DaemonErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

std::string DaemonError::describe() const { return std::string(to_string(kind)) + ": " + message; }

std::ostream& operator<<(std::ostream& out, const DaemonError& error) { return out << error.describe(); }

}  // namespace rustynet::apps::daemon
