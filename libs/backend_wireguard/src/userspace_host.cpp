// SPDX-License-Identifier: Apache-2.0
// Userspace device host: probe the control socket, spawn the daemon, hand out its UAPI driver.
#include "userspace_host.hpp"

#include <unistd.h>

#include <cerrno>
#include <thread>

#include "rustynet/base/unix_socket.hpp"

namespace rustynet::backend_wireguard {

base::Status<HostError> UserspaceHost::create(const std::string& interface_name) {
  destroy();
  const std::string socket_path = uapi_socket_path(options_.socket_dir, interface_name);
  // The socket directory is shared by every network namespace: a daemon answering there serves an
  // interface of this name somewhere on the host, and starting a second one would steal its socket.
  auto probe = base::connect_unix_stream(socket_path);
  if (probe.has_value()) {
    return base::unexpected(HostError{
        .failure = HostFailure::kNameInUse,
        .error = WgError{.operation = "connect " + socket_path,
                         .error_number = EEXIST,
                         .detail = "a userspace WireGuard daemon already serves interface " + interface_name}});
  }
  const int probe_errno = probe.error().error_number;
  if (probe_errno == EACCES || probe_errno == EPERM) {
    return base::unexpected(HostError{.failure = HostFailure::kPermissionDenied,
                                      .error = WgError{.operation = probe.error().operation,
                                                       .error_number = probe_errno,
                                                       .detail = "permission denied on the daemon control socket"}});
  }
  auto process =
      UserspaceProcess::spawn(UserspaceProcessOptions{.binary_path = options_.binary_path,
                                                      .interface_name = interface_name,
                                                      .socket_path = socket_path,
                                                      .netns_path = options_.netns_path,
                                                      .start_timeout = options_.start_timeout,
                                                      .terminate_with_owner = options_.terminate_with_owner});
  if (!process.has_value()) {
    SpawnError error = std::move(process).error();
    const HostFailure failure =
        error.failure == SpawnFailure::kBinaryMissing ? HostFailure::kImplementationMissing : HostFailure::kFailed;
    return base::unexpected(HostError{.failure = failure, .error = std::move(error.error)});
  }
  process_.emplace(std::move(process).value());
  socket_path_ = socket_path;
  driver_ = std::make_unique<UapiDriver>(socket_path);
  return {};
}

bool UserspaceHost::wait_socket_released(const std::string& interface_name, std::chrono::milliseconds timeout) {
  const std::string socket_path = uapi_socket_path(options_.socket_dir, interface_name);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (base::connect_unix_stream(socket_path).has_value()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void UserspaceHost::destroy() noexcept {
  if (process_.has_value()) {
    // SIGTERM: the daemon removes its tun device and socket. With many peers it can need a few
    // seconds; after SIGKILL its socket file stays behind, so remove a file nobody answers on.
    process_->stop(std::chrono::seconds(10));
    process_.reset();
    if (!socket_path_.empty()) {
      auto probe = base::connect_unix_stream(socket_path_);
      if (!probe.has_value() && probe.error().error_number == ECONNREFUSED) {
        ::unlink(socket_path_.c_str());
      }
    }
  }
  driver_.reset();
}

}  // namespace rustynet::backend_wireguard
