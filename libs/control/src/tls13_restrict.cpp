// SPDX-License-Identifier: Apache-2.0
// restrict_to_tls13: protocol version, cipher suites and options shared by server and client contexts.
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
  if (SSL_CTX_set_max_early_data(ctx, 0) != 1) {
    return base::unexpected(std::string("disabling early data"));
  }
  return {};
}

}  // namespace rustynet::control
