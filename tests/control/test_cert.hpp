// SPDX-License-Identifier: Apache-2.0
// Throwaway self-signed certificates and raw OpenSSL loopback clients for the TLS tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rustynet/control/tls_context.hpp"

namespace rustynet::testing {

struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

enum class TestKeyType { kEd25519, kEcdsaP256, kRsa2048 };

// A fresh key (Ed25519 unless asked otherwise) and a self-signed certificate for CN=localhost,
// valid for one day.
[[nodiscard]] TestCertificate make_self_signed_certificate(TestKeyType type = TestKeyType::kEd25519);

// A TLS 1.3-only server config around a fresh self-signed certificate.
[[nodiscard]] control::TlsServerConfig make_test_tls_config();

enum class ClientTlsCap { kTls13, kTls12, kTls11 };

struct HandshakeResult {
  bool succeeded = false;
  std::string negotiated_version;  // e.g. "TLSv1.3" when succeeded
  std::string error;               // OpenSSL reason when failed
};

// Connects to 127.0.0.1:port with a client whose maximum protocol version is `cap` and runs the
// handshake (no certificate verification: the tests are about protocol versions).
[[nodiscard]] HandshakeResult client_handshake(std::uint16_t port, ClientTlsCap cap);

// What a probing TLS 1.3 client offers (OpenSSL list syntax; empty = OpenSSL's default).
struct ClientOffer {
  std::string cipher_suites;
  std::string groups;
  std::string signature_schemes;
};

// A TLS 1.3 handshake with 127.0.0.1:port offering exactly `offer`, so the server's answer shows
// whether it accepts that suite, group or signature scheme. On success `negotiated_version`
// holds the suite OpenSSL agreed on.
[[nodiscard]] HandshakeResult client_handshake_offering(std::uint16_t port, const ClientOffer& offer);

// A TLS 1.3 server context that is NOT the project's: OpenSSL's defaults, limited only to what
// `offer` names, with `certificate` loaded. It stands in for a control server (or an attacker in
// the middle) outside the policy, to show what the project's clients refuse.
struct ServerContextFree {
  void operator()(ssl_ctx_st* ctx) const noexcept;
};
using ForeignServerContext = std::unique_ptr<ssl_ctx_st, ServerContextFree>;
[[nodiscard]] ForeignServerContext make_foreign_server_context(const TestCertificate& certificate,
                                                               const ClientOffer& offer);

// pin_sha256 of a PEM certificate (SHA-256 of its DER, lowercase hex), as clients configure it.
[[nodiscard]] std::string certificate_pin(const std::string& certificate_pem);

}  // namespace rustynet::testing
