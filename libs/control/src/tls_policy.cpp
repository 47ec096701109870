// SPDX-License-Identifier: Apache-2.0
// TLS policy validation: TLS 1.3 only; allowlisted suites, groups and signature schemes only.
#include "rustynet/control/tls_policy.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace rustynet::control {

namespace {

// Each allowed wire name with its algorithm-policy name.
struct WireName {
  std::string_view wire;
  std::string_view algorithm;
};
constexpr std::array kSuiteNames{WireName{"TLS_AES_256_GCM_SHA384", "aes-256-gcm"},
                                 WireName{"TLS_CHACHA20_POLY1305_SHA256", "chacha20-poly1305"}};
constexpr std::array kGroupNames{WireName{"X25519", "x25519"}};
constexpr std::array kSignatureNames{WireName{"ed25519", "ed25519"}};

template <std::size_t N>
std::vector<std::string> wire_names(const std::array<WireName, N>& names) {
  std::vector<std::string> out;
  out.reserve(N);
  for (const auto& name : names) {
    out.emplace_back(name.wire);
  }
  return out;
}

template <std::size_t N>
std::optional<std::string_view> algorithm_of(const std::array<WireName, N>& names, std::string_view wire) {
  const auto* found = std::find_if(names.begin(), names.end(), [&](const WireName& n) { return n.wire == wire; });
  return found == names.end() ? std::nullopt : std::optional<std::string_view>(found->algorithm);
}

template <std::size_t N>
base::Status<TlsPolicyError> check_subset(const std::vector<std::string>& chosen, const std::array<WireName, N>& names,
                                          std::string_view what) {
  if (chosen.empty()) {
    return base::unexpected(TlsPolicyError{"control-plane transport needs at least one TLS 1.3 " + std::string(what)});
  }
  for (const auto& item : chosen) {
    if (!algorithm_of(names, item)) {
      return base::unexpected(TlsPolicyError{std::string(what) + " not allowed for the control plane: " + item});
    }
  }
  return {};
}

// Appends the policy names of the `chosen` wire names (each is in `table`: validate() checked).
template <std::size_t N>
void append_algorithms(std::vector<std::string>& names, const std::vector<std::string>& chosen,
                       const std::array<WireName, N>& table) {
  for (const auto& item : chosen) {
    if (auto algorithm = algorithm_of(table, item)) {
      names.emplace_back(*algorithm);
    }
  }
}

}  // namespace

const std::vector<std::string>& allowed_tls13_suites() {
  static const std::vector<std::string> kSuites = wire_names(kSuiteNames);
  return kSuites;
}

const std::vector<std::string>& allowed_tls13_groups() {
  static const std::vector<std::string> kGroups = wire_names(kGroupNames);
  return kGroups;
}

const std::vector<std::string>& allowed_tls13_signature_schemes() {
  static const std::vector<std::string> kSchemes = wire_names(kSignatureNames);
  return kSchemes;
}

base::Status<TlsPolicyError> validate(const TlsPolicy& policy) {
  if (policy.min_version != TlsVersion::kTls13 || policy.max_version != TlsVersion::kTls13) {
    return base::unexpected(TlsPolicyError{"control-plane transport must be TLS 1.3 only (min = max = 1.3)"});
  }
  RUSTYNET_RETURN_IF_ERROR(check_subset(policy.cipher_suites, kSuiteNames, "cipher suite"));
  RUSTYNET_RETURN_IF_ERROR(check_subset(policy.groups, kGroupNames, "key-exchange group"));
  return check_subset(policy.signature_schemes, kSignatureNames, "signature scheme");
}

std::vector<std::string> tls_key_exchange_and_signature_names(const TlsPolicy& policy) {
  std::vector<std::string> names;
  append_algorithms(names, policy.groups, kGroupNames);
  append_algorithms(names, policy.signature_schemes, kSignatureNames);
  return names;
}

std::vector<std::string> tls_algorithm_names(const TlsPolicy& policy) {
  std::vector<std::string> names{"tls1.3"};
  append_algorithms(names, policy.cipher_suites, kSuiteNames);
  const auto rest = tls_key_exchange_and_signature_names(policy);
  names.insert(names.end(), rest.begin(), rest.end());
  return names;
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
