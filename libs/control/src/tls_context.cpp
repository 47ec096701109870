// SPDX-License-Identifier: Apache-2.0
// OpenSSL 3 server context for the control plane: TLS 1.3 only, no renegotiation, no compression.
#include "rustynet/control/tls_context.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>
#include <utility>

#include "tls13_restrict.hpp"

namespace rustynet::control {
namespace {

struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct CtxFree {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};

// The OpenSSL error queue as text (reason strings only; never buffers we passed in).
std::string openssl_errors(std::string_view what) {
  std::string message(what);
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    message.append(": ");
    message.append(buffer.data());
  }
  return message;
}

std::unique_ptr<BIO, BioFree> memory_bio(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return nullptr;
  }
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

const char* key_type_name(const EVP_PKEY* key) {
  const char* name = EVP_PKEY_get0_type_name(key);
  return name != nullptr ? name : "unknown";
}

}  // namespace

base::Result<TlsServerContext, TlsError> TlsServerContext::create(const TlsServerConfig& config) {
  if (auto valid = validate(config.policy); !valid.has_value()) {
    return base::unexpected(TlsError{valid.error().message});
  }
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    return base::unexpected(TlsError{openssl_errors("SSL_CTX_new")});
  }
  if (auto restricted = restrict_to_tls13(ctx.get(), config.policy); !restricted.has_value()) {
    return base::unexpected(TlsError{openssl_errors(restricted.error())});
  }
  // The server's cipher preference decides (the policy lists its order of preference).
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Clients never resume (each connection re-checks the pin), so tickets would only cost a
  // ticket encryption per handshake and a cached session per connection.
  if (SSL_CTX_set_num_tickets(ctx.get(), 0) != 1) {
    return base::unexpected(TlsError{openssl_errors("disabling session tickets")});
  }
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  // An idle connection (a parked long-poll, a flood) holds no 16 KiB read/write buffers.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);

  const std::string& chain = config.certificate_chain_pem;
  auto cert_bio = memory_bio(std::span<const std::uint8_t>(
      static_cast<const std::uint8_t*>(static_cast<const void*>(chain.data())), chain.size()));
  if (!cert_bio) {
    return base::unexpected(TlsError{"certificate chain too large"});
  }
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!leaf || SSL_CTX_use_certificate(ctx.get(), leaf.get()) != 1) {
    return base::unexpected(TlsError{openssl_errors("loading the server certificate")});
  }
  // Intermediates, if any, follow the leaf.
  while (true) {
    X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
    if (extra == nullptr) {
      ERR_clear_error();  // end of input
      break;
    }
    if (SSL_CTX_add0_chain_cert(ctx.get(), extra) != 1) {
      X509_free(extra);
      return base::unexpected(TlsError{openssl_errors("adding a chain certificate")});
    }
  }

  auto key_bio = memory_bio(config.private_key_pem.view());
  if (!key_bio) {
    return base::unexpected(TlsError{"private key too large"});
  }
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return base::unexpected(TlsError{openssl_errors("loading the server private key")});
  }
  // Checked here with a clear message: OpenSSL would load the key and then fail every handshake.
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return base::unexpected(TlsError{std::string("server key type ") + key_type_name(key.get()) +
                                     " is not allowed by the crypto policy: the control plane's TLS key must "
                                     "be Ed25519 (rustynet-control init creates one)"});
  }
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
    return base::unexpected(TlsError{openssl_errors("loading the server private key")});
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return base::unexpected(TlsError{openssl_errors("private key does not match the certificate")});
  }
  return TlsServerContext(ctx.release());
}

TlsServerContext::~TlsServerContext() {
  if (ctx_ != nullptr) {
    SSL_CTX_free(ctx_);
  }
}

TlsServerContext::TlsServerContext(TlsServerContext&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

TlsServerContext& TlsServerContext::operator=(TlsServerContext&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) {
      SSL_CTX_free(ctx_);
    }
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

ssl_ctx_st* TlsServerContext::release() noexcept { return std::exchange(ctx_, nullptr); }

}  // namespace rustynet::control
