// SPDX-License-Identifier: Apache-2.0
// Throwaway self-signed certificates and raw OpenSSL loopback clients for the TLS tests.
#pragma once

#include <cstdint>
#include <string>

#include "rustynet/control/tls_context.hpp"

namespace rustynet::testing {

struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

// A fresh P-256 key and a self-signed certificate for CN=localhost, valid for one day.
[[nodiscard]] TestCertificate make_self_signed_certificate();

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

}  // namespace rustynet::testing
