// SPDX-License-Identifier: Apache-2.0
// `rustynet keys`: create, show and rotate this host's keys in custody; never prints a secret.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "rustynet/crypto/custody_file.hpp"

namespace rustynet::apps::cli {

// Knobs the command line does not expose (tests lower the Argon2id cost).
struct KeysCommandConfig {
  crypto::EnvelopeParams params = crypto::default_envelope_params();
  crypto::EnvelopeLimits limits = crypto::default_envelope_limits();
};

// Runs `rustynet keys ARGS...` (args exclude "keys"). Returns 0, 64 (usage) or 1 (refused).
// The operator secret comes only from --secret-fd N or --secret-file PATH; a secret on the
// command line is refused.
[[nodiscard]] int run_keys(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                           const KeysCommandConfig& config = {});

}  // namespace rustynet::apps::cli
