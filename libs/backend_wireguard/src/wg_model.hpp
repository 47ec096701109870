// SPDX-License-Identifier: Apache-2.0
// The WireGuard device model shared by both drivers (kernel netlink, userspace UAPI) and the
// translation layer. Internal to libs/backend_wireguard: nothing here leaves the library.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"

namespace rustynet::backend_wireguard {

inline constexpr std::size_t kWgKeySize = 32;

// A Curve25519 public key (peer identity on the wire). Not secret.
struct WgPublicKey {
  std::array<std::uint8_t, kWgKeySize> bytes{};
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend bool operator==(const WgPublicKey&, const WgPublicKey&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend auto operator<=>(const WgPublicKey&, const WgPublicKey&) = default;
};

// IPv4 or IPv6 address in network byte order; IPv4 uses the first 4 bytes.
struct WgAddress {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend bool operator==(const WgAddress&, const WgAddress&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend auto operator<=>(const WgAddress&, const WgAddress&) = default;
};

struct WgEndpoint {
  WgAddress address;
  std::uint16_t port = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend bool operator==(const WgEndpoint&, const WgEndpoint&) = default;
};

struct WgAllowedIp {
  WgAddress address;
  std::uint8_t cidr = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend bool operator==(const WgAllowedIp&, const WgAllowedIp&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend auto operator<=>(const WgAllowedIp&, const WgAllowedIp&) = default;
};

// One peer change. Fields left empty are not touched on the device.
struct WgPeerUpdate {
  WgPublicKey public_key;
  bool remove = false;       // remove this peer (all other fields ignored)
  bool update_only = false;  // fail/skip if the peer does not exist already
  std::optional<WgEndpoint> endpoint;
  std::optional<std::uint16_t> persistent_keepalive_seconds;  // 0 disables
  bool replace_allowed_ips = true;                            // the list below is the complete set
  std::vector<WgAllowedIp> allowed_ips;
};

// One device change, applied as a unit by a driver (split into several messages if it must be).
// replace_peers is deliberately absent: replacing the peer set drops every live session even for
// unchanged peers, so drivers only ever add, update or remove individual peers.
struct WgDeviceUpdate {
  std::optional<base::SecretBytes> private_key;
  std::optional<std::uint16_t> listen_port;
  std::optional<std::uint32_t> fwmark;
  std::vector<WgPeerUpdate> peers;
};

struct WgPeerState {
  WgPublicKey public_key;
  std::optional<WgEndpoint> endpoint;
  std::uint16_t persistent_keepalive_seconds = 0;
  std::vector<WgAllowedIp> allowed_ips;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::int64_t last_handshake_unix_seconds = 0;  // 0 = never
  std::int64_t last_handshake_nanoseconds = 0;
};

// What a driver reads back from the device. The private key is never read back into memory.
struct WgDeviceState {
  std::optional<WgPublicKey> public_key;
  std::uint16_t listen_port = 0;
  std::uint32_t fwmark = 0;
  std::vector<WgPeerState> peers;
};

struct WgError {
  std::string operation;  // e.g. "WG_CMD_SET_DEVICE wgrn0" or "uapi set /var/run/wireguard/x.sock"
  int error_number = 0;   // errno (netlink error or UAPI errno=); 0 if not applicable
  std::string detail;     // operator-readable; never contains keys

  [[nodiscard]] std::string describe() const;
};

// One WireGuard device as seen by a driver. Not thread-safe; the adapter serialises calls.
class WgDriver {
 public:
  virtual ~WgDriver() = default;
  [[nodiscard]] virtual base::Status<WgError> set_device(const WgDeviceUpdate& update) = 0;
  [[nodiscard]] virtual base::Result<WgDeviceState, WgError> get_device() = 0;
};

}  // namespace rustynet::backend_wireguard
