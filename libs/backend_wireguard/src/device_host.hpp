// SPDX-License-Identifier: Apache-2.0
// DeviceHost: creates, watches and destroys the WireGuard device for one interface name. The
// adapter drives every implementation (userspace daemon, kernel module) through this seam and
// configures the device only through the WgDriver it exposes.
#pragma once

#include <string>

#include "rustynet/base/result.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard {

enum class HostFailure {
  kImplementationMissing,  // e.g. wireguard-go not installed, kernel module absent
  kNameInUse,              // another device/daemon already serves this interface name
  kPermissionDenied,       // control socket / netlink refused us
  kFailed,                 // anything else (see the WgError)
};

struct HostError {
  HostFailure failure = HostFailure::kFailed;
  WgError error;
};

class DeviceHost {
 public:
  virtual ~DeviceHost() = default;
  // Creates the device `interface_name` in the host's network namespace. Precondition: no device
  // exists (destroy() first).
  [[nodiscard]] virtual base::Status<HostError> create(const std::string& interface_name) = 0;
  // Valid between a successful create() and destroy().
  [[nodiscard]] virtual WgDriver& driver() = 0;
  // A descriptor that becomes readable when the device dies on its own (a userspace daemon
  // exiting); -1 when nothing can die independently (kernel device).
  [[nodiscard]] virtual int exit_fd() const = 0;
  // False once the device died on its own.
  [[nodiscard]] virtual bool alive() = 0;
  // Removes the device. Idempotent, never fails: leftovers are the adapter's to verify.
  virtual void destroy() noexcept = 0;
};

}  // namespace rustynet::backend_wireguard
