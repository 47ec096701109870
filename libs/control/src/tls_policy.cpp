// SPDX-License-Identifier: Apache-2.0
// TLS policy validation.
#include "rustynet/control/tls_policy.hpp"

namespace rustynet::control {

base::Status<TlsPolicyError> validate(const TlsPolicy& policy) {
  if (policy.min_version != TlsVersion::kTls13 || policy.max_version != TlsVersion::kTls13) {
    return base::unexpected(TlsPolicyError{"control-plane transport must be TLS 1.3 only (min = max = 1.3)"});
  }
  return {};
}

}  // namespace rustynet::control
