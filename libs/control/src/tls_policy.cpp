// SPDX-License-Identifier: Apache-2.0
// TLS policy validation: TLS 1.3 only, allowlisted suites only.
#include "rustynet/control/tls_policy.hpp"

#include <algorithm>

namespace rustynet::control {

const std::vector<std::string>& allowed_tls13_suites() {
  static const std::vector<std::string> kSuites{"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                                "TLS_AES_128_GCM_SHA256"};
  return kSuites;
}

base::Status<TlsPolicyError> validate(const TlsPolicy& policy) {
  if (policy.min_version != TlsVersion::kTls13 || policy.max_version != TlsVersion::kTls13) {
    return base::unexpected(TlsPolicyError{"control-plane transport must be TLS 1.3 only (min = max = 1.3)"});
  }
  if (policy.cipher_suites.empty()) {
    return base::unexpected(TlsPolicyError{"control-plane transport needs at least one TLS 1.3 cipher suite"});
  }
  const auto& allowed = allowed_tls13_suites();
  for (const auto& suite : policy.cipher_suites) {
    if (std::find(allowed.begin(), allowed.end(), suite) == allowed.end()) {
      return base::unexpected(TlsPolicyError{"cipher suite not allowed for the control plane: " + suite});
    }
  }
  return {};
}

base::Result<TlsVersion, TlsPolicyError> parse_tls_version(std::string_view text) {
  if (text == "1.3") {
    return TlsVersion::kTls13;
  }
  if (text == "1.2") {
    return TlsVersion::kTls12;
  }
  if (text == "1.1") {
    return TlsVersion::kTls11;
  }
  if (text == "1.0") {
    return TlsVersion::kTls10;
  }
  return base::unexpected(TlsPolicyError{"unknown TLS version (expected 1.0, 1.1, 1.2 or 1.3)"});
}

}  // namespace rustynet::control
