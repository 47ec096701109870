// SPDX-License-Identifier: Apache-2.0
// TlsServerContext: OpenSSL 3 server context for the control plane, built only from a valid TlsPolicy.
#pragma once

#include <string>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "rustynet/control/tls_policy.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX (opaque here; OpenSSL headers stay out of public headers)

namespace rustynet::control {

struct TlsServerConfig {
  TlsPolicy policy;
  std::string certificate_chain_pem;  // leaf first
  base::SecretBytes private_key_pem;
};

struct TlsError {
  std::string message;  // OpenSSL reason strings; never key material
};

// Owns one SSL_CTX configured with: min = max protocol TLS 1.3, only the policy's TLS 1.3 suites,
// renegotiation and compression disabled, no early data, certificate and matching key loaded.
class TlsServerContext {
 public:
  // Errors: policy invalid (validate()), certificate/key unreadable or mismatched, OpenSSL failure.
  [[nodiscard]] static base::Result<TlsServerContext, TlsError> create(const TlsServerConfig& config);

  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;
  TlsServerContext(TlsServerContext&& other) noexcept;
  TlsServerContext& operator=(TlsServerContext&& other) noexcept;

  [[nodiscard]] ssl_ctx_st* native_handle() const noexcept { return ctx_; }
  // Gives up ownership (e.g. to boost::asio::ssl::context, which frees it).
  [[nodiscard]] ssl_ctx_st* release() noexcept;

 private:
  explicit TlsServerContext(ssl_ctx_st* ctx) noexcept : ctx_(ctx) {}
  ssl_ctx_st* ctx_ = nullptr;
};

// The algorithm-policy names (docs/crypto-policy.md) `ctx` will actually negotiate, for the
// program's startup check: protocol versions, TLS 1.3 suites and the certificate's key type are
// read back from the live context; key-exchange groups and signature schemes, which OpenSSL 3.0
// cannot report for a context, are the ones `policy` had restrict_to_tls13 set (it fails when
// OpenSSL refuses them). A suite or key type the policy has no name for comes back under its own
// name (e.g. "aes-128-ccm"), so the check refuses it as unknown instead of passing it over.
[[nodiscard]] std::vector<std::string> algorithms_in_force(ssl_ctx_st* ctx, const TlsPolicy& policy);

}  // namespace rustynet::control
