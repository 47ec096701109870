// SPDX-License-Identifier: Apache-2.0
// ControlService: composition of store, custody key, mesh state, limiters, lockout, validator, chains and server.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "control_server.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "service_config.hpp"

namespace rustynet::apps::control_server {

// Startup inputs that are not configuration (tests inject them).
struct ServiceEnvironment {
  // $CREDENTIALS_DIRECTORY (systemd); nullopt: crypto::detect_credentials_directory().
  std::optional<std::string> credentials_directory;
  bool detect_credentials = true;
};

// Owns every control wired into the running server. Fails closed at startup, in this order:
// state directory (0700, ours) -> store -> signing key from custody -> mesh state (registry and
// policy) -> event log -> TLS material -> listener -> metrics listener (if configured). Each
// failure is a kStartup ConfigError.
class ControlService {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<ControlService>, ConfigError> start(
      const ServiceConfig& config, const base::Clock& clock, const ServiceEnvironment& environment = {});
  ~ControlService();
  ControlService(const ControlService&) = delete;
  ControlService& operator=(const ControlService&) = delete;
  ControlService(ControlService&&) = delete;
  ControlService& operator=(ControlService&&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] const crypto::Ed25519PublicKey& control_public_key() const;
  // Long-polls currently held (diagnostics and tests).
  [[nodiscard]] std::size_t waiting() const;
  // The bound metrics port; nullopt when config "metrics" is absent.
  [[nodiscard]] std::optional<std::uint16_t> metrics_port() const;
  void stop();

  struct Parts;
  explicit ControlService(std::unique_ptr<Parts> parts);

 private:
  std::unique_ptr<Parts> parts_;
};

}  // namespace rustynet::apps::control_server
