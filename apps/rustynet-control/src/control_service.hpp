// SPDX-License-Identifier: Apache-2.0
// ControlService: composition of store, limiters, lockout, validator, events, chain and server.
#pragma once

#include <memory>
#include <string>

#include "control_server.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "service_config.hpp"

namespace rustynet::apps::control_server {

// Owns every control wired into the running server. Fails closed at startup: bad TLS material,
// unusable state directory (must be 0700, ours), unopenable store or event log all refuse to start.
class ControlService {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<ControlService>, ConfigError> start(const ServiceConfig& config,
                                                                                        const base::Clock& clock);
  ~ControlService();
  ControlService(const ControlService&) = delete;
  ControlService& operator=(const ControlService&) = delete;
  ControlService(ControlService&&) = delete;
  ControlService& operator=(ControlService&&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  void stop();

  struct Parts;
  explicit ControlService(std::unique_ptr<Parts> parts);

 private:
  std::unique_ptr<Parts> parts_;
};

}  // namespace rustynet::apps::control_server
