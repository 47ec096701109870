// SPDX-License-Identifier: Apache-2.0
// `rustynet-control init`: control signing key into custody, self-signed TLS certificate, config file.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "rustynet/crypto/custody_file.hpp"

namespace rustynet::apps::control_server {

struct InitOptions {
  // Argon2id parameters for the encrypted key files (tests may not go below the library floor).
  crypto::EnvelopeParams params = crypto::default_envelope_params();
};

// Runs `init` with the arguments after "init". Exit codes: 0 done, 64 usage, 73 (EX_CANTCREAT) a
// key, certificate or config already exists (never overwritten), 1 any other failure. Prints the
// control signing public key and the certificate pin; never prints a secret.
[[nodiscard]] int run_init(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                           const InitOptions& options = {});

// Lowercase hex SHA-256 of the DER encoding of the first certificate in `pem` (the pin daemons
// and the CLI configure); empty if `pem` holds no certificate.
[[nodiscard]] std::string certificate_pin(const std::string& pem);

}  // namespace rustynet::apps::control_server
