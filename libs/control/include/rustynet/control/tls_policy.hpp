// SPDX-License-Identifier: Apache-2.0
// TlsPolicy: the control plane's transport policy (TLS 1.3 only, spec section 5.5) and its validator.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"

namespace rustynet::control {

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

// What docs/crypto-policy.md's baseline allows on the control-plane transport, and nothing else:
// its compatibility names (aes-128-gcm, ffdhe*, ecdsa-p256, rsa-*) need an exception, and the
// control plane takes none.
// TLS 1.3 suites (RFC 8446 names), strongest first: aes-256-gcm, chacha20-poly1305.
[[nodiscard]] const std::vector<std::string>& allowed_tls13_suites();
// Key-exchange groups (OpenSSL names): x25519 only.
[[nodiscard]] const std::vector<std::string>& allowed_tls13_groups();
// Signature schemes for the handshake, which fixes the certificate key type: ed25519 only.
[[nodiscard]] const std::vector<std::string>& allowed_tls13_signature_schemes();

struct TlsPolicy {
  TlsVersion min_version = TlsVersion::kTls13;
  TlsVersion max_version = TlsVersion::kTls13;
  std::vector<std::string> cipher_suites = allowed_tls13_suites();
  std::vector<std::string> groups = allowed_tls13_groups();
  std::vector<std::string> signature_schemes = allowed_tls13_signature_schemes();
};

struct TlsPolicyError {
  std::string message;
};

// Accepts only min == max == TLS 1.3 and non-empty subsets of the allowed suites, groups and
// signature schemes: any attempt to allow an older version or anything else refuses startup.
[[nodiscard]] base::Status<TlsPolicyError> validate(const TlsPolicy& policy);

// "1.3" -> kTls13 etc.; anything else is an error (config loading).
[[nodiscard]] base::Result<TlsVersion, TlsPolicyError> parse_tls_version(std::string_view text);

// The algorithm-policy names (docs/crypto-policy.md) a valid `policy` puts on the wire, e.g.
// {"tls1.3", "aes-256-gcm", "chacha20-poly1305", "x25519", "ed25519"}: what a program checks
// against its crypto policy at startup.
[[nodiscard]] std::vector<std::string> tls_algorithm_names(const TlsPolicy& policy);
// Only the key-exchange group and signature scheme names of tls_algorithm_names: what a live
// OpenSSL 3.0 context cannot report (algorithms_in_force reads the rest back).
[[nodiscard]] std::vector<std::string> tls_key_exchange_and_signature_names(const TlsPolicy& policy);

}  // namespace rustynet::control
