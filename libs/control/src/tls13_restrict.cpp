// SPDX-License-Identifier: Apache-2.0
// restrict_to_tls13: protocol version, suites, groups, signature schemes and options shared by
// server and client contexts.
#include "tls13_restrict.hpp"

namespace rustynet::control {
namespace {

std::string colon_joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out.push_back(':');
    }
    out.append(item);
  }
  return out;
}

}  // namespace

base::Status<std::string> restrict_to_tls13(SSL_CTX* ctx, const TlsPolicy& policy) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return base::unexpected(std::string("setting TLS 1.3 as min and max version"));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 |
                               SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_ciphersuites(ctx, colon_joined(policy.cipher_suites).c_str()) != 1) {
    return base::unexpected(std::string("setting TLS 1.3 cipher suites"));
  }
  // Without these OpenSSL offers and accepts its defaults (X25519 but also P-256..P-521, X448 and
  // ffdhe2048..8192; ECDSA, RSA-PSS and RSA signatures), several of them outside the policy.
  // Both setters are macros that cast their argument to char*: hand them mutable strings.
  std::string groups = colon_joined(policy.groups);
  if (SSL_CTX_set1_groups_list(ctx, groups.data()) != 1) {
    return base::unexpected(std::string("setting TLS 1.3 key-exchange groups"));
  }
  std::string schemes = colon_joined(policy.signature_schemes);
  if (SSL_CTX_set1_sigalgs_list(ctx, schemes.data()) != 1) {
    return base::unexpected(std::string("setting TLS 1.3 signature schemes"));
  }
  if (SSL_CTX_set_max_early_data(ctx, 0) != 1) {
    return base::unexpected(std::string("disabling early data"));
  }
  return {};
}

}  // namespace rustynet::control
