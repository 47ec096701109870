// SPDX-License-Identifier: Apache-2.0
// Error types shared by the control library's abuse-control, store and configuration APIs.
#pragma once

#include <string>

namespace rustynet::control {

// Abuse-control, revocation or nonce state could not be read or updated. Every caller must treat
// it as a denial (spec 5.3 fail-closed rule), never as "no limit" or "not revoked".
struct StateError {
  std::string message;  // never contains tokens or other secrets
};

// A configuration value is out of its allowed range; the component refuses to start.
struct ConfigError {
  std::string message;
};

}  // namespace rustynet::control
