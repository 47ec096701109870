// SPDX-License-Identifier: Apache-2.0
// TlsPolicy: the control plane's transport policy (TLS 1.3 only, spec section 5.5).
#pragma once

#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::control {

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

struct TlsPolicy {
  TlsVersion min_version = TlsVersion::kTls13;
  TlsVersion max_version = TlsVersion::kTls13;
};

struct TlsPolicyError {
  std::string message;
};

// Accepts only min == max == TLS 1.3: any attempt to allow an older version refuses startup.
[[nodiscard]] base::Status<TlsPolicyError> validate(const TlsPolicy& policy);

}  // namespace rustynet::control
