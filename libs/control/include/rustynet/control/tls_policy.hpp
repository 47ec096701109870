// SPDX-License-Identifier: Apache-2.0
// TlsPolicy: the control plane's transport policy (TLS 1.3 only, spec section 5.5) and its validator.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"

namespace rustynet::control {

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

// The TLS 1.3 suites we allow (RFC 8446 names), strongest first.
[[nodiscard]] const std::vector<std::string>& allowed_tls13_suites();

struct TlsPolicy {
  TlsVersion min_version = TlsVersion::kTls13;
  TlsVersion max_version = TlsVersion::kTls13;
  std::vector<std::string> cipher_suites = allowed_tls13_suites();
};

struct TlsPolicyError {
  std::string message;
};

// Accepts only min == max == TLS 1.3 and a non-empty list of allowed TLS 1.3 suites: any attempt
// to allow an older version or another suite refuses startup.
[[nodiscard]] base::Status<TlsPolicyError> validate(const TlsPolicy& policy);

// "1.3" -> kTls13 etc.; anything else is an error (config loading).
[[nodiscard]] base::Result<TlsVersion, TlsPolicyError> parse_tls_version(std::string_view text);

}  // namespace rustynet::control
