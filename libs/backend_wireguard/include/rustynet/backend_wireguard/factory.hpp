// SPDX-License-Identifier: Apache-2.0
// The WireGuard backend's entry points: the tunnel (TunnelBackend) and the mesh-interface packet
// filter (PacketFilterBackend, nftables).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rustynet/backend_api/packet_filter.hpp"
#include "rustynet/backend_api/tunnel_backend.hpp"
#include "rustynet/backend_wireguard/driver_kind.hpp"

namespace rustynet::backend_wireguard {

struct WireGuardBackendOptions {
  // nullopt: detect at start(). This build implements the userspace driver; an explicit kKernel
  // request fails start() with kUnsupported until the kernel driver is linked in.
  std::optional<DriverKind> driver;
  // The userspace implementation to supervise (Debian: package wireguard-go).
  std::string userspace_binary = "/usr/bin/wireguard-go";
  // Crash cleanup deletes a leftover interface only if its name starts with this prefix AND it
  // carries the ownership alias this backend writes on every interface it creates.
  std::string owned_interface_prefix = "rn";
  // Operate inside this network namespace (e.g. "/var/run/netns/NAME"); nullopt: the caller's.
  // Netlink sockets are opened inside it and the daemon is started inside it; the calling
  // threads never change namespace.
  std::optional<std::string> network_namespace_path;
  std::chrono::milliseconds daemon_start_timeout = std::chrono::seconds(10);
  // Let the daemon die (SIGTERM) when the thread that started it exits: for tests, so a crashed
  // test run leaves no daemon behind. Off by default: a daemon whose start() runs on a
  // short-lived thread would lose its tunnel, and after a crash start() cleans up anyway.
  bool terminate_daemon_with_owner = false;
};

// A new, not running backend. Thread-compatible like every TunnelBackend; internally it also runs
// a watchdog thread (started by start(), joined by shutdown()) that restarts a dead userspace
// daemon and re-applies the whole configuration.
// The algorithm-policy names (docs/crypto-policy.md) the WireGuard data plane uses, whichever
// driver runs it: the Noise IKpsk2 handshake over X25519, ChaCha20-Poly1305 transport, BLAKE2s
// hashing and MACs. The daemon checks them against its crypto policy before it starts a tunnel.
[[nodiscard]] std::vector<std::string> wireguard_algorithms();

[[nodiscard]] std::unique_ptr<backend_api::TunnelBackend> make_wireguard_backend(
    const WireGuardBackendOptions& options);

struct NftablesFilterOptions {
  // The mesh interface to filter: 1..15 bytes of [A-Za-z0-9_.-]. It need not exist yet (the
  // table matches it by name). The table is "inet rustynet_<name>", non-alphanumerics hex-escaped.
  std::string interface_name;
  // Operate inside this network namespace (e.g. "/var/run/netns/NAME"): every nft process enters
  // it before exec. nullopt: the caller's. The calling thread never changes namespace.
  std::optional<std::string> network_namespace_path;
  // Debian package nftables; run as a separate program, never linked (libnftables is GPL-2.0-only).
  std::string nft_binary = "/usr/sbin/nft";
  // Per nft invocation; on overrun the process is killed and the operation fails with kInternal
  // (an apply that times out is aborted by the kernel as a whole or not at all).
  std::chrono::milliseconds command_timeout{5000};
};

// A PacketFilterBackend keeping table inet rustynet_<interface> with the nft program
// (docs/packet-filter.md). Needs CAP_NET_ADMIN in the target namespace, passed on to nft (for a
// non-root daemon: as an ambient capability), plus CAP_SYS_ADMIN to enter another namespace.
// Each operation spawns nft one to three times and blocks until it is done (milliseconds; an
// apply of 10,000 rules takes longer, see docs). Invalid options (interface name) do not fail
// here: every operation of the returned object then fails with kInvalidInput.
[[nodiscard]] std::unique_ptr<backend_api::PacketFilterBackend> make_nftables_filter(
    const NftablesFilterOptions& options);

}  // namespace rustynet::backend_wireguard
