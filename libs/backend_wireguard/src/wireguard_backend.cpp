// SPDX-License-Identifier: Apache-2.0
// WireGuardBackend: the generic tunnel contract on top of a WireGuard device.
#include "wireguard_backend.hpp"

#include <linux/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <set>

#include "kernel/kernel_host.hpp"
#include "peer_table.hpp"
#include "rustynet/backend_api/validation.hpp"
#include "translate.hpp"
#include "userspace_host.hpp"

namespace rustynet::backend_wireguard {

namespace api = backend_api;

struct WireGuardBackend::Desired {
  api::RuntimeContext context;    // owns the private key (SecretBytes), never printed
  std::uint16_t listen_port = 0;  // pinned to the port the device chose, so a restart keeps it
  PeerTable peers;
  std::vector<api::Route> routes;  // sorted by destination
};

namespace {

constexpr auto kLinkGoneTimeout = std::chrono::seconds(5);
constexpr auto kRestartRetry = std::chrono::milliseconds(500);

api::BackendError internal(std::string_view call, const WgError& error) {
  return api::BackendError::internal(std::string(call) + ": " + error.describe());
}

api::BackendError from_host_error(std::string_view call, const HostError& error) {
  switch (error.failure) {
    case HostFailure::kNameInUse:
      return api::BackendError::invalid_input(std::string(call) +
                                              ": interface name collision: " + error.error.describe());
    case HostFailure::kImplementationMissing:
      return api::BackendError::internal(std::string(call) +
                                         ": WireGuard implementation unavailable: " + error.error.describe());
    case HostFailure::kPermissionDenied:
      return api::BackendError::internal(std::string(call) + ": " + error.error.describe());
    case HostFailure::kFailed: break;
  }
  return internal(call, error.error);
}

std::vector<RouteEntry> route_entries(std::span<const api::Route> routes) {
  std::vector<RouteEntry> entries;
  entries.reserve(routes.size());
  for (const api::Route& route : routes) {
    entries.push_back(RouteEntry{.destination = to_net_prefix(route.destination), .gateway = std::nullopt});
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

bool owned(const LinkInfo& link, const std::string& prefix) {
  return !prefix.empty() && link.name.starts_with(prefix) && link.alias == kOwnershipAlias;
}

}  // namespace

WireGuardBackend::WireGuardBackend(WireGuardBackendOptions options) : options_(std::move(options)) {}

WireGuardBackend::~WireGuardBackend() {
  bool running = false;
  {
    const std::lock_guard lock(mutex_);
    running = running_;
  }
  if (running) {
    (void)shutdown();
  }
}

api::BackendCapabilities WireGuardBackend::capabilities() const {
  // Exit nodes need policy routing (fwmark rules, a separate table, suppress_prefixlength) that
  // this adapter does not install yet: reported false so set_exit_mode(via) fails closed.
  return api::BackendCapabilities{
      .supports_roaming = true, .supports_exit_nodes = false, .supports_lan_routes = true, .supports_ipv6 = true};
}

int WireGuardBackend::daemon_pid() {
  const std::lock_guard lock(mutex_);
  return userspace_ != nullptr ? userspace_->daemon_pid() : -1;
}

DriverKind WireGuardBackend::active_driver() {
  const std::lock_guard lock(mutex_);
  return active_driver_;
}

int WireGuardBackend::interface_index() {
  const std::lock_guard lock(mutex_);
  return ifindex_;
}

api::BackendStatus WireGuardBackend::start(const api::RuntimeContext& context) {
  const std::lock_guard lock(mutex_);
  if (running_) {  // checked here: the failure path below tears down, which must not hit a live tunnel
    return api::fail(
        api::BackendError::already_running("start: already running on " + desired_->context.interface_name));
  }
  auto status = start_locked(context);
  if (!status.has_value()) {
    teardown_locked();
  }
  return status;
}

api::BackendStatus WireGuardBackend::start_locked(const api::RuntimeContext& context) {
  RUSTYNET_RETURN_IF_ERROR(api::validate_runtime_context(context, capabilities()));
  desired_ = std::make_unique<Desired>(
      Desired{.context = context.clone(), .listen_port = context.listen_port, .peers = PeerTable(), .routes = {}});
  auto rtnl = Rtnl::open(options_.network_namespace_path);
  if (!rtnl.has_value()) {
    return api::fail(internal("start: opening rtnetlink", rtnl.error()));
  }
  rtnl_.emplace(std::move(rtnl).value());

  const std::string& name = context.interface_name;
  auto existing = rtnl_->find_link(name);
  if (!existing.has_value()) {
    return api::fail(internal("start: RTM_GETLINK", existing.error()));
  }
  const bool stale = existing->has_value();
  if (stale) {
    if (!owned(**existing, options_.owned_interface_prefix)) {
      return api::fail(api::BackendError::invalid_input(
          "start: interface name collision: " + name +
          " already exists and was not created by this backend (no ownership marker); refusing to touch it"));
    }
    // A leftover of a crashed run: provably ours (name prefix + ownership alias), so remove it.
    auto deleted = rtnl_->delete_link((*existing)->index);
    if (!deleted.has_value() && deleted.error().error_number != ENODEV) {
      return api::fail(internal("start: removing stale interface " + name, deleted.error()));
    }
    RUSTYNET_RETURN_IF_ERROR(wait_link_gone_locked("start: removing stale interface " + name));
  }
  // Driver selection: explicit, or the kernel module when its generic-netlink family resolves in
  // the target namespace (the lookup lets the kernel autoload it), else the userspace daemon.
  DriverKind driver = DriverKind::kUserspace;
  if (options_.driver.has_value()) {
    driver = *options_.driver;
  } else if (auto available = kernel::kernel_wireguard_available(options_.network_namespace_path);
             available.has_value() && *available) {
    driver = DriverKind::kKernel;
  }
  active_driver_ = driver;
  if (driver == DriverKind::kKernel) {
    host_ = std::make_unique<kernel::KernelHost>(
        kernel::KernelHostOptions{.netns_path = options_.network_namespace_path, .driver = {}});
  } else {
    auto userspace = std::make_unique<UserspaceHost>(
        UserspaceHostOptions{.binary_path = options_.userspace_binary,
                             .socket_dir = std::string(kDefaultUapiSocketDir),
                             .netns_path = options_.network_namespace_path,
                             .start_timeout = options_.daemon_start_timeout,
                             .terminate_with_owner = options_.terminate_daemon_with_owner});
    userspace_ = userspace.get();
    host_ = std::move(userspace);
    if (stale && !userspace_->wait_socket_released(name, kLinkGoneTimeout)) {
      return api::fail(api::BackendError::internal("start: the daemon of stale interface " + name +
                                                   " still answers on its control socket"));
    }
  }
  RUSTYNET_RETURN_IF_ERROR(bring_up_locked(false));

  auto wake = ::eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    return api::fail(api::BackendError::internal("start: eventfd: errno " + std::to_string(errno)));
  }
  wake_fd_.reset(wake);
  running_ = true;
  stopping_ = false;
  watchdog_ = std::thread([this] { watchdog_loop(); });
  return {};
}

api::BackendStatus WireGuardBackend::bring_up_locked(bool restart) {
  const std::string call = restart ? "restart" : "start";
  if (auto created = host_->create(desired_->context.interface_name); !created.has_value()) {
    return api::fail(from_host_error(call, created.error()));
  }
  device_created_ = true;
  RUSTYNET_RETURN_IF_ERROR(configure_link_locked());

  WgDeviceUpdate update;
  update.private_key = desired_->context.tunnel_private_key.clone();
  if (desired_->listen_port != 0) {
    update.listen_port = desired_->listen_port;
  }
  if (restart) {
    for (const auto& [node, peer] : desired_->peers.peers()) {
      update.peers.push_back(full_peer_update(peer));
    }
  }
  if (auto set = host_->driver().set_device(update); !set.has_value()) {
    return api::fail(internal(call + ": configuring device key and port", set.error()));
  }
  auto state = host_->driver().get_device();
  if (!state.has_value()) {
    return api::fail(internal(call + ": reading the device back", state.error()));
  }
  if (desired_->listen_port != 0 && state->listen_port != desired_->listen_port) {
    return api::fail(api::BackendError::internal(call + ": device listens on port " +
                                                 std::to_string(state->listen_port) + " instead of " +
                                                 std::to_string(desired_->listen_port)));
  }
  desired_->listen_port = state->listen_port;
  if (restart) {
    RUSTYNET_RETURN_IF_ERROR(sync_routes_locked(route_entries(desired_->routes)));
  }
  return {};
}

api::BackendStatus WireGuardBackend::configure_link_locked() {
  const api::RuntimeContext& context = desired_->context;
  auto link = rtnl_->find_link(context.interface_name);
  if (!link.has_value()) {
    return api::fail(internal("start: RTM_GETLINK", link.error()));
  }
  if (!link->has_value()) {
    return api::fail(api::BackendError::internal("start: interface " + context.interface_name +
                                                 " did not appear after the device was created"));
  }
  ifindex_ = (*link)->index;
  auto changed = rtnl_->change_link(
      LinkChange{.index = ifindex_, .up = std::nullopt, .mtu = context.mtu, .alias = std::string(kOwnershipAlias)});
  if (!changed.has_value()) {
    return api::fail(internal("start: setting MTU and ownership marker", changed.error()));
  }
  for (const api::InterfaceAddress& address : context.interface_addresses) {
    if (auto added = rtnl_->add_address(ifindex_, to_net_prefix(address)); !added.has_value()) {
      return api::fail(internal("start: adding address " + address.to_string(), added.error()));
    }
  }
  if (auto up =
          rtnl_->change_link(LinkChange{.index = ifindex_, .up = true, .mtu = std::nullopt, .alias = std::nullopt});
      !up.has_value()) {
    return api::fail(internal("start: setting link up", up.error()));
  }
  // Verify by reading the state back rather than trusting the acknowledgements.
  auto after = rtnl_->find_link(context.interface_name);
  if (!after.has_value() || !after->has_value()) {
    return api::fail(api::BackendError::internal("start: interface vanished while being configured"));
  }
  const LinkInfo& info = **after;
  if (info.mtu != context.mtu || (info.flags & IFF_UP) == 0U || info.alias != kOwnershipAlias) {
    return api::fail(api::BackendError::internal("start: link read-back mismatch (mtu " + std::to_string(info.mtu) +
                                                 ", up " + std::to_string((info.flags & IFF_UP) != 0U) + ")"));
  }
  auto addresses = rtnl_->dump_addresses(ifindex_);
  if (!addresses.has_value()) {
    return api::fail(internal("start: RTM_GETADDR", addresses.error()));
  }
  for (const api::InterfaceAddress& address : context.interface_addresses) {
    if (std::find(addresses->begin(), addresses->end(), to_net_prefix(address)) == addresses->end()) {
      return api::fail(api::BackendError::internal("start: address " + address.to_string() +
                                                   " missing from the interface after configuration"));
    }
  }
  return {};
}

api::BackendStatus WireGuardBackend::sync_routes_locked(const std::vector<RouteEntry>& desired) {
  auto current = rtnl_->dump_routes(ifindex_);
  if (!current.has_value()) {
    return api::fail(internal("apply_routes: RTM_GETROUTE", current.error()));
  }
  std::sort(current->begin(), current->end());
  std::vector<RouteEntry> stale;
  std::vector<RouteEntry> missing;
  std::set_difference(current->begin(), current->end(), desired.begin(), desired.end(), std::back_inserter(stale));
  std::set_difference(desired.begin(), desired.end(), current->begin(), current->end(), std::back_inserter(missing));
  for (const RouteEntry& route : stale) {
    if (auto deleted = rtnl_->delete_route(ifindex_, route);
        !deleted.has_value() && deleted.error().error_number != ESRCH) {
      return api::fail(internal("apply_routes", deleted.error()));
    }
  }
  for (const RouteEntry& route : missing) {
    if (auto added = rtnl_->add_route(ifindex_, route); !added.has_value()) {
      WgError error = added.error();
      if (error.error_number == EEXIST) {
        error.detail = "another route for this destination already exists in the main table";
      }
      return api::fail(internal("apply_routes", error));
    }
  }
  auto after = rtnl_->dump_routes(ifindex_);
  if (!after.has_value()) {
    return api::fail(internal("apply_routes: RTM_GETROUTE", after.error()));
  }
  std::sort(after->begin(), after->end());
  if (*after != desired) {
    return api::fail(api::BackendError::internal("apply_routes: routing table read-back has " +
                                                 std::to_string(after->size()) + " of our routes, expected " +
                                                 std::to_string(desired.size())));
  }
  return {};
}

api::BackendStatus WireGuardBackend::configure_peer(const api::PeerConfig& peer) {
  const std::lock_guard lock(mutex_);
  if (!running_) {
    return api::fail(api::BackendError::not_running("configure_peer: not running"));
  }
  // Single peer: checked against the live table directly (no O(N) working copy).
  RUSTYNET_RETURN_IF_ERROR(api::validate_peer_config(peer, capabilities()));
  if (auto conflict = desired_->peers.check(peer, desired_->context.local_node)) {
    return api::fail(std::move(*conflict));
  }
  WgDeviceUpdate update;
  update.peers = peer_changes(peer, desired_->peers.find(peer.node_id));
  if (!update.peers.empty()) {
    if (auto set = host_->driver().set_device(update); !set.has_value()) {
      return api::fail(internal("configure_peer", set.error()));
    }
  }
  desired_->peers.upsert(peer);
  return {};
}

api::BackendStatus WireGuardBackend::configure_peers(std::span<const api::PeerConfig> peers) {
  const std::lock_guard lock(mutex_);
  if (!running_) {
    return api::fail(api::BackendError::not_running("configure_peers: not running"));
  }
  // Validate in order against a working copy (later elements may depend on earlier ones), then
  // apply every accepted change in ONE device update: one round trip for the whole batch.
  PeerTable working = desired_->peers;
  WgDeviceUpdate update;
  std::optional<api::BackendError> failure;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const api::PeerConfig& peer = peers[i];
    auto valid = api::validate_peer_config(peer, capabilities());
    std::optional<api::BackendError> error;
    if (!valid.has_value()) {
      error = valid.error();
    } else {
      error = working.check(peer, desired_->context.local_node);
    }
    if (error.has_value()) {
      error->message = "configure_peers: element " + std::to_string(i) + ": " + error->message;
      failure = std::move(error);
      break;
    }
    for (WgPeerUpdate& change : peer_changes(peer, working.find(peer.node_id))) {
      update.peers.push_back(std::move(change));
    }
    working.upsert(peer);
  }
  if (!update.peers.empty()) {
    if (auto set = host_->driver().set_device(update); !set.has_value()) {
      return api::fail(
          internal("configure_peers (" + std::to_string(update.peers.size()) + " peer changes)", set.error()));
    }
  }
  desired_->peers = std::move(working);
  if (failure.has_value()) {
    return api::fail(std::move(*failure));
  }
  return {};
}

api::BackendStatus WireGuardBackend::remove_peer(const api::NodeId& node_id) {
  const std::lock_guard lock(mutex_);
  if (!running_) {
    return api::fail(api::BackendError::not_running("remove_peer: not running"));
  }
  const api::PeerConfig* peer = desired_->peers.find(node_id);
  if (peer == nullptr) {
    return api::fail(api::BackendError::invalid_input("remove_peer: node " + node_id.value() + " is not configured"));
  }
  for (const api::Route& route : desired_->routes) {
    if (route.via == node_id) {
      return api::fail(api::BackendError::invalid_input("remove_peer: node " + node_id.value() +
                                                        " is the via of route " + route.destination.to_string() +
                                                        "; withdraw routes first"));
    }
  }
  WgDeviceUpdate update;
  update.peers.push_back(peer_removal(peer->public_key));
  if (auto set = host_->driver().set_device(update); !set.has_value()) {
    return api::fail(internal("remove_peer", set.error()));
  }
  desired_->peers.erase(node_id);
  return {};
}

api::BackendStatus WireGuardBackend::apply_routes(std::span<const api::Route> routes) {
  const std::lock_guard lock(mutex_);
  if (!running_) {
    return api::fail(api::BackendError::not_running("apply_routes: not running"));
  }
  RUSTYNET_RETURN_IF_ERROR(api::validate_routes(routes, capabilities()));
  for (const api::Route& route : routes) {
    if (desired_->peers.find(route.via) == nullptr) {
      return api::fail(api::BackendError::invalid_input("apply_routes: route " + route.destination.to_string() +
                                                        " via " + route.via.value() + ": not a configured peer"));
    }
  }
  std::vector<api::Route> sorted(routes.begin(), routes.end());
  std::sort(sorted.begin(), sorted.end(), api::RouteDestinationLess());
  // Record first: on a partial failure stats() reports what the table really holds.
  desired_->routes = sorted;
  return sync_routes_locked(route_entries(sorted));
}

api::BackendStatus WireGuardBackend::set_exit_mode(const api::ExitMode& mode) {
  const std::lock_guard lock(mutex_);
  if (!running_) {
    return api::fail(api::BackendError::not_running("set_exit_mode: not running"));
  }
  return api::validate_exit_mode(mode, capabilities());
}

api::BackendResult<api::TunnelStats> WireGuardBackend::stats() {
  const std::lock_guard lock(mutex_);
  if (!running_) {
    return api::fail(api::BackendError::not_running("stats: not running"));
  }
  auto state = host_->driver().get_device();
  if (!state.has_value()) {
    return api::fail(internal("stats", state.error()));
  }
  api::TunnelStats stats;
  for (const WgPeerState& device_peer : state->peers) {
    api::PeerPublicKey key;
    std::copy(device_peer.public_key.bytes.begin(), device_peer.public_key.bytes.end(), key.bytes.begin());
    const api::NodeId* node = desired_->peers.owner_of_key(key);
    if (node == nullptr) {
      continue;  // not ours to report (cannot happen unless someone else edits the device)
    }
    stats.peers.push_back(peer_stats_from_device(*node, device_peer));
    stats.total_rx_bytes += device_peer.rx_bytes;
    stats.total_tx_bytes += device_peer.tx_bytes;
  }
  std::sort(stats.peers.begin(), stats.peers.end(),
            [](const api::PeerStats& a, const api::PeerStats& b) { return a.node_id < b.node_id; });
  auto routes = rtnl_->dump_routes(ifindex_);
  if (!routes.has_value()) {
    return api::fail(internal("stats: RTM_GETROUTE", routes.error()));
  }
  const std::set<RouteEntry> present(routes->begin(), routes->end());
  for (const api::Route& route : desired_->routes) {
    if (present.contains(RouteEntry{.destination = to_net_prefix(route.destination), .gateway = std::nullopt})) {
      stats.routes.push_back(route);
    }
  }
  return stats;
}

api::BackendStatus WireGuardBackend::shutdown() {
  {
    const std::lock_guard lock(mutex_);
    if (!running_) {
      return api::fail(api::BackendError::not_running("shutdown: not running"));
    }
    stopping_ = true;
  }
  stop_watchdog();
  const std::lock_guard lock(mutex_);
  const std::string name = desired_->context.interface_name;
  teardown_locked();
  running_ = false;
  stopping_ = false;
  // Verify: nothing of ours is left behind.
  auto check = Rtnl::open(options_.network_namespace_path);
  if (check.has_value()) {
    auto link = check->find_link(name);
    if (link.has_value() && link->has_value()) {
      return api::fail(api::BackendError::internal("shutdown: interface " + name + " is still present"));
    }
  }
  return {};
}

api::BackendStatus WireGuardBackend::wait_link_gone_locked(const std::string& operation) {
  const auto deadline = std::chrono::steady_clock::now() + kLinkGoneTimeout;
  while (true) {
    auto link = rtnl_->find_link(desired_->context.interface_name);
    if (!link.has_value()) {
      return api::fail(internal(operation, link.error()));
    }
    if (!link->has_value()) {
      return {};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return api::fail(api::BackendError::internal(operation + ": interface still present after " +
                                                   std::to_string(kLinkGoneTimeout.count()) + " s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void WireGuardBackend::teardown_locked() noexcept {
  if (host_) {
    host_->destroy();
  }
  if (rtnl_.has_value() && desired_ && device_created_) {
    // The daemon removes its device on exit; if it is still there (or the daemon was killed), an
    // interface that carries our marker is deleted. Anything else is left alone.
    if (!wait_link_gone_locked("shutdown").has_value()) {
      auto link = rtnl_->find_link(desired_->context.interface_name);
      if (link.has_value() && link->has_value() && (*link)->alias == kOwnershipAlias) {
        (void)rtnl_->delete_link((*link)->index);
        (void)wait_link_gone_locked("shutdown");
      }
    }
  }
  userspace_ = nullptr;
  host_.reset();
  device_created_ = false;
  rtnl_.reset();
  desired_.reset();
  ifindex_ = 0;
}

void WireGuardBackend::stop_watchdog() {
  if (!watchdog_.joinable()) {
    return;
  }
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
  watchdog_.join();
  wake_fd_.reset();
}

void WireGuardBackend::restart_locked() {
  host_->destroy();
  if (!wait_link_gone_locked("restart").has_value()) {
    return;
  }
  if (bring_up_locked(true).has_value()) {
    restarts_.fetch_add(1);
  } else {
    host_->destroy();  // retried by the watchdog
  }
}

void WireGuardBackend::watchdog_loop() {
  while (true) {
    int exit_fd = -1;
    bool alive = true;
    {
      const std::lock_guard lock(mutex_);
      if (stopping_ || !running_) {
        return;
      }
      exit_fd = host_->exit_fd();
      alive = host_->alive();
    }
    std::array<pollfd, 2> fds{pollfd{.fd = wake_fd_.get(), .events = POLLIN, .revents = 0},
                              pollfd{.fd = exit_fd, .events = POLLIN, .revents = 0}};
    // No exit descriptor: either a kernel device (nothing to watch, sleep until woken) or a failed
    // restart (retry periodically).
    const int timeout = exit_fd < 0 && !alive ? static_cast<int>(kRestartRetry.count()) : -1;
    const int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) {
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      return;
    }
    const std::lock_guard lock(mutex_);
    if (stopping_ || !running_) {
      return;
    }
    if (!host_->alive()) {
      restart_locked();
    }
  }
}

std::vector<std::string> wireguard_algorithms() {
  // The protocol fixes them (no negotiation, no options): WireGuard's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s.
  return {"noise-ikpsk2", "x25519", "chacha20-poly1305", "blake2s"};
}

std::unique_ptr<api::TunnelBackend> make_wireguard_backend(const WireGuardBackendOptions& options) {
  return std::make_unique<WireGuardBackend>(options);
}

}  // namespace rustynet::backend_wireguard
