// SPDX-License-Identifier: Apache-2.0
// Self-signed certificate generation and raw OpenSSL handshakes (test code only).
#include "test_cert.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <span>
#include <string_view>

#include "rustynet/base/unique_fd.hpp"

namespace rustynet::testing {
namespace {

// Writes to a peer that already closed must fail with EPIPE, not kill the test process.
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;

void require(bool ok) {
  if (!ok) {
    ERR_print_errors_fp(stderr);
    std::abort();
  }
}

std::string drain(BIO* bio) {
  std::string out;
  std::array<char, 4096> chunk{};
  int n = 0;
  while ((n = BIO_read(bio, chunk.data(), static_cast<int>(chunk.size()))) > 0) {
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return out;
}

PkeyPtr generate_key(TestKeyType type) {
  switch (type) {
    case TestKeyType::kEd25519: return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case TestKeyType::kEcdsaP256: {
      // EVP_EC_gen() is a macro that casts its string literal to char*; pass a mutable buffer.
      std::array<char, 6> curve{"P-256"};
      return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.data()));
    }
    case TestKeyType::kRsa2048: return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  }
  return nullptr;
}

// Connects a blocking TCP socket to 127.0.0.1:port (invalid fd on failure).
base::UniqueFd connect_loopback(std::uint16_t port) {
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  require(fd.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr generic{};
  static_assert(sizeof(generic) == sizeof(addr));
  std::copy_n(static_cast<const unsigned char*>(static_cast<const void*>(&addr)), sizeof(addr),
              static_cast<unsigned char*>(static_cast<void*>(&generic)));
  if (::connect(fd.get(), &generic, sizeof(addr)) != 0) {
    return base::UniqueFd();
  }
  return fd;
}

// Runs the client handshake of `ctx` on a fresh loopback connection.
HandshakeResult handshake(SSL_CTX* ctx, std::uint16_t port, bool report_suite) {
  HandshakeResult result;
  const base::UniqueFd fd = connect_loopback(port);
  if (!fd.valid()) {
    result.error = "connect failed";
    return result;
  }
  SslPtr ssl(SSL_new(ctx));
  require(ssl != nullptr);
  require(SSL_set_fd(ssl.get(), fd.get()) == 1);
  ERR_clear_error();
  if (SSL_connect(ssl.get()) == 1) {
    result.succeeded = true;
    result.negotiated_version =
        report_suite ? SSL_CIPHER_standard_name(SSL_get_current_cipher(ssl.get())) : SSL_get_version(ssl.get());
    SSL_shutdown(ssl.get());
  } else {
    const unsigned long code = ERR_peek_error();
    const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
    result.error = reason != nullptr ? reason : "handshake failed";
    ERR_clear_error();
  }
  return result;
}

// Limits `ctx` to what `offer` names. A name this OpenSSL does not know aborts: a probe that
// offers nothing must not pass as refused. (The groups and sigalgs setters are macros that cast
// their argument to char*, hence the mutable copies.)
void limit_to(SSL_CTX* ctx, const ClientOffer& offer) {
  require(offer.cipher_suites.empty() || SSL_CTX_set_ciphersuites(ctx, offer.cipher_suites.c_str()) == 1);
  std::string groups = offer.groups;
  require(groups.empty() || SSL_CTX_set1_groups_list(ctx, groups.data()) == 1);
  std::string schemes = offer.signature_schemes;
  require(schemes.empty() || SSL_CTX_set1_sigalgs_list(ctx, schemes.data()) == 1);
}

}  // namespace

TestCertificate make_self_signed_certificate(TestKeyType type) {
  PkeyPtr key = generate_key(type);
  require(key != nullptr);
  X509Ptr cert(X509_new());
  require(cert != nullptr);
  require(X509_set_version(cert.get(), 2) == 1);
  require(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1);
  require(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr);
  require(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr);
  require(X509_set_pubkey(cert.get(), key.get()) == 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  static constexpr std::array<unsigned char, 10> kCommonName{'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0};
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCommonName.data(), -1, -1, 0) == 1);
  require(X509_set_issuer_name(cert.get(), name) == 1);
  // Ed25519 signs the certificate without a separate digest.
  require(X509_sign(cert.get(), key.get(), type == TestKeyType::kEd25519 ? nullptr : EVP_sha256()) > 0);

  TestCertificate out;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  require(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1);
  out.certificate_pem = drain(cert_bio.get());
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  require(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  out.private_key_pem = drain(key_bio.get());
  return out;
}

control::TlsServerConfig make_test_tls_config() {
  TestCertificate cert = make_self_signed_certificate();
  control::TlsServerConfig config;
  config.certificate_chain_pem = cert.certificate_pem;
  config.private_key_pem = base::SecretBytes(std::span<const std::uint8_t>(
      static_cast<const std::uint8_t*>(static_cast<const void*>(cert.private_key_pem.data())),
      cert.private_key_pem.size()));
  return config;
}

HandshakeResult client_handshake(std::uint16_t port, ClientTlsCap cap) {
  HandshakeResult result;
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  require(ctx != nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  switch (cap) {
    case ClientTlsCap::kTls13: require(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) == 1); break;
    case ClientTlsCap::kTls12: require(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION) == 1); break;
    case ClientTlsCap::kTls11:
      // OpenSSL 3 refuses to even offer TLS 1.1 at the default security level; lower it so the
      // client really sends a TLS 1.1 ClientHello and the refusal comes from the server.
      SSL_CTX_set_security_level(ctx.get(), 0);
      require(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION) == 1);
      require(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_1_VERSION) == 1);
      require(SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0") == 1);
      break;
  }
  return handshake(ctx.get(), port, false);
}

HandshakeResult client_handshake_offering(std::uint16_t port, const ClientOffer& offer) {
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  require(ctx != nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  require(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) == 1);
  limit_to(ctx.get(), offer);
  return handshake(ctx.get(), port, true);
}

void ServerContextFree::operator()(ssl_ctx_st* ctx) const noexcept { SSL_CTX_free(ctx); }

ForeignServerContext make_foreign_server_context(const TestCertificate& certificate, const ClientOffer& offer) {
  ForeignServerContext ctx(SSL_CTX_new(TLS_server_method()));
  require(ctx != nullptr);
  require(SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) == 1);
  limit_to(ctx.get(), offer);
  BioPtr cert_bio(
      BIO_new_mem_buf(certificate.certificate_pem.data(), static_cast<int>(certificate.certificate_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  BioPtr key_bio(
      BIO_new_mem_buf(certificate.private_key_pem.data(), static_cast<int>(certificate.private_key_pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  require(cert != nullptr && key != nullptr);
  require(SSL_CTX_use_certificate(ctx.get(), cert.get()) == 1);
  require(SSL_CTX_use_PrivateKey(ctx.get(), key.get()) == 1);
  return ctx;
}

std::string certificate_pin(const std::string& certificate_pem) {
  BioPtr bio(BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  require(cert != nullptr);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  require(X509_digest(cert.get(), EVP_sha256(), digest.data(), &length) == 1);
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest.at(i) >> 4U]);
    out.push_back(kHex[digest.at(i) & 0x0fU]);
  }
  return out;
}

}  // namespace rustynet::testing
