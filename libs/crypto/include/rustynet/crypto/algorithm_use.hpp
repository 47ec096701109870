// SPDX-License-Identifier: Apache-2.0
// The algorithm-policy names each cryptographic facility of this library puts to use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/crypto/algorithm_policy.hpp"

namespace rustynet::crypto {

// Each list is defined in the file that implements the facility, beside the libsodium calls it
// names, so a program's startup check (check_algorithms_in_use) is assembled from the facilities
// it runs instead of from a list kept somewhere else (docs/crypto-policy.md, "Startup check").
using AlgorithmNames = std::vector<std::string>;

[[nodiscard]] AlgorithmNames key_custody_algorithms();      // custody_file.cpp: Argon2id, XChaCha20-Poly1305
[[nodiscard]] AlgorithmNames ed25519_algorithms();          // ed25519.cpp: Ed25519, BLAKE2b key ids
[[nodiscard]] AlgorithmNames x25519_algorithms();           // x25519.cpp: X25519
[[nodiscard]] AlgorithmNames signed_envelope_algorithms();  // signed_envelope.cpp: Ed25519, SHA-256
[[nodiscard]] AlgorithmNames trust_state_algorithms();      // trust_state_codec.cpp, subkey.cpp
[[nodiscard]] AlgorithmNames relay_ticket_algorithms();     // relay_ticket.cpp: Ed25519

// Appends the names of `more` that `names` does not hold yet (order kept).
void add_algorithms(AlgorithmNames& names, const AlgorithmNames& more);

struct AlgorithmCheck {
  std::optional<AlgorithmPolicy> policy;  // the operator's file; nullopt: the baseline was used
  std::vector<std::string> warnings;      // one per exception in force (log them at startup)
};

// The startup check every program runs: loads `policy_file` (bounded read, strict parse; nullopt:
// the baseline) and checks `in_use` against it at the clock's now. Errors: the file unreadable
// (kMalformed, path = the file), its parse error, or the first algorithm not allowed.
[[nodiscard]] base::Result<AlgorithmCheck, AlgorithmPolicyError> check_algorithms_in_use(
    const std::optional<std::string>& policy_file, const AlgorithmNames& in_use, const base::Clock& clock);

}  // namespace rustynet::crypto
