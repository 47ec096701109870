// SPDX-License-Identifier: Apache-2.0
// The one place an OpenSSL context is restricted to the TLS 1.3 policy, for server and client alike.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "rustynet/base/result.hpp"
#include "rustynet/control/tls_policy.hpp"

namespace rustynet::control {

// TLS 1.3 as both minimum and maximum (plus the NO_* options for every older version, in case a
// later change loosens min/max), exactly `policy`'s cipher suites, key-exchange groups and
// signature schemes (so a certificate of another key type cannot be used), no compression, no
// renegotiation, no 0-RTT early data (replayable by design). `policy` must have passed
// validate(). On failure returns which step OpenSSL refused; its error queue holds the detail.
[[nodiscard]] base::Status<std::string> restrict_to_tls13(SSL_CTX* ctx, const TlsPolicy& policy);

}  // namespace rustynet::control
