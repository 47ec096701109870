// SPDX-License-Identifier: Apache-2.0
// KernelHost: link lifecycle over rtnetlink plus the generic-netlink driver.
#include "kernel/kernel_host.hpp"

#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>

#include <cerrno>
#include <string>
#include <thread>
#include <utility>

#include "kernel/wireguard_link.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::backend_wireguard::kernel {
namespace {

HostFailure classify(int error_number) {
  switch (error_number) {
    case EEXIST: return HostFailure::kNameInUse;
    case EOPNOTSUPP:
    case ENOENT: return HostFailure::kImplementationMissing;
    case EPERM:
    case EACCES: return HostFailure::kPermissionDenied;
    default: return HostFailure::kFailed;
  }
}

HostError host_error(WgError error) {
  const HostFailure failure = classify(error.error_number);
  return HostError{failure, std::move(error)};
}

}  // namespace

base::Result<std::unique_ptr<NetlinkSocket>, WgError> open_netlink_socket_in(
    int protocol, const std::optional<std::string>& netns_path) {
  const std::string what = protocol == NETLINK_ROUTE       ? "NETLINK_ROUTE"
                           : protocol == NETLINK_NETFILTER ? "NETLINK_NETFILTER"
                                                           : "NETLINK_GENERIC";
  std::optional<base::Result<std::unique_ptr<NetlinkSocket>, base::SysError>> opened;
  std::optional<WgError> failure;
  auto open = [&]() {
    if (netns_path.has_value()) {
      const base::UniqueFd ns(::open(netns_path->c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns.valid()) {
        failure = WgError{"open " + *netns_path, errno, "network namespace"};
        return;
      }
      if (::setns(ns.get(), CLONE_NEWNET) != 0) {
        failure = WgError{"setns " + *netns_path, errno, ""};
        return;
      }
    }
    opened = open_netlink_socket(protocol);
  };
  if (netns_path.has_value()) {
    // A netlink socket stays in the namespace it was created in; the thread that entered the
    // namespace ends right after.
    std::thread worker(open);
    worker.join();
  } else {
    open();
  }
  if (failure.has_value()) {
    return base::unexpected(std::move(*failure));
  }
  if (!opened.has_value() || !opened->has_value()) {
    const base::SysError error = opened.has_value() ? opened->error() : base::SysError{"open", EIO};
    return base::unexpected(WgError{"socket(" + what + ")", error.error_number, error.operation});
  }
  return std::move(*opened).value();
}

base::Result<bool, WgError> kernel_wireguard_available(std::unique_ptr<NetlinkSocket> genl_socket) {
  // The driver resolves the family before anything else; the interface name is never used.
  KernelWgDriver probe("probe", std::move(genl_socket));
  auto state = probe.get_device();
  if (state.has_value()) {
    return true;
  }
  const int error_number = state.error().error_number;
  if (error_number == ENOENT && state.error().operation.find("CTRL_CMD_GETFAMILY") != std::string::npos) {
    return false;
  }
  if (error_number == ENODEV) {
    return true;  // family resolved; the probe interface simply does not exist
  }
  return base::unexpected(std::move(state).error());
}

base::Result<bool, WgError> kernel_wireguard_available(const std::optional<std::string>& netns_path) {
  auto socket = open_netlink_socket_in(NETLINK_GENERIC, netns_path);
  if (!socket.has_value()) {
    return base::unexpected(std::move(socket).error());
  }
  return kernel_wireguard_available(std::move(socket).value());
}

// options_ is declared before factory_, so the lambda copies the already-moved-in namespace path.
KernelHost::KernelHost(KernelHostOptions options)
    : options_(std::move(options)),
      factory_([netns = options_.netns_path](int protocol) { return open_netlink_socket_in(protocol, netns); }) {}

KernelHost::KernelHost(KernelHostOptions options, NetlinkSocketFactory factory)
    : options_(std::move(options)), factory_(std::move(factory)) {}

base::Status<HostError> KernelHost::create(const std::string& interface_name) {
  destroy();
  auto route = factory_(NETLINK_ROUTE);
  if (!route.has_value()) {
    return base::unexpected(host_error(std::move(route).error()));
  }
  route_ = std::move(route).value();
  if (auto created = create_wireguard_link(*route_, interface_name, ++route_seq_); !created.has_value()) {
    route_.reset();
    return base::unexpected(host_error(std::move(created).error()));
  }
  interface_name_ = interface_name;
  auto genl = factory_(NETLINK_GENERIC);
  if (!genl.has_value()) {
    auto error = host_error(std::move(genl).error());
    destroy();
    return base::unexpected(std::move(error));
  }
  auto driver = std::make_unique<KernelWgDriver>(interface_name, std::move(genl).value(), options_.driver);
  // Resolve the family now so a missing module fails create(), not the first configuration call.
  if (auto probe = driver->get_device(); !probe.has_value()) {
    auto error = host_error(std::move(probe).error());
    destroy();
    return base::unexpected(std::move(error));
  }
  driver_ = std::move(driver);
  return {};
}

void KernelHost::destroy() noexcept {
  driver_.reset();
  if (route_ && !interface_name_.empty()) {
    // Best effort: the adapter verifies leftovers by reading the link table back.
    (void)delete_link(*route_, interface_name_, ++route_seq_);
  }
  interface_name_.clear();
  route_.reset();
}

}  // namespace rustynet::backend_wireguard::kernel
