// SPDX-License-Identifier: Apache-2.0
// DaemonConfig: /etc/rustynet/rustynetd.json, strict and versioned (docs/daemon.md "Config reference").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connection_slots.hpp"
#include "daemon_error.hpp"
#include "rustynet/base/log.hpp"
#include "rustynet/base/metrics_server.hpp"

namespace rustynet::apps::daemon {

inline constexpr std::int64_t kDaemonConfigVersion = 1;
inline constexpr const char* kDefaultConfigPath = "/etc/rustynet/rustynetd.json";
inline constexpr std::size_t kMaxConfigBytes = std::size_t{256} * 1024U;
inline constexpr std::size_t kMaxAdvertisedEndpoints = 16;

struct KeyCustodyConfig {
  std::string key_dir;                                    // encrypted fallback store (0700)
  std::optional<std::string> operator_secret_file;        // private file (0600)
  std::optional<std::string> operator_secret_credential;  // systemd credential name
};

struct ControlConfig {
  std::string host;  // from "url": "host:port" (an "https://" prefix is accepted)
  std::uint16_t port = 0;
  std::string pin_sha256;  // exactly one of pin_sha256 / ca_file
  std::string ca_file;
  std::string server_name;  // default: host
  std::string audience = "rustynet-control";
  // Trust bootstrap only: written into a NEW trust state on first start; ignored afterwards.
  std::vector<std::string> signing_public_keys;  // base64 Ed25519
  std::uint32_t long_poll_seconds = 25;          // 1..55
};

enum class BackendKind : std::uint8_t { kWireGuard, kMemory };
enum class DriverChoice : std::uint8_t { kAuto, kUserspace, kKernel };

struct BackendConfig {
  BackendKind kind = BackendKind::kWireGuard;
  DriverChoice driver = DriverChoice::kAuto;
  std::string userspace_binary = "/usr/bin/wireguard-go";
  std::optional<std::string> network_namespace;  // e.g. /var/run/netns/NAME
};

struct LocalApiConfig {
  std::string socket_path = "/run/rustynet/rustynetd.sock";
  std::optional<std::string> group;        // read access; default: the daemon's primary group
  std::optional<std::string> admin_group;  // mutating methods (root always may)
  LocalApiLimits limits;                   // caps and request deadline (validate_limits' ranges)
};

struct DaemonConfig {
  std::string node_id;
  std::string interface_name = "rn0";
  std::uint16_t listen_port = 51820;
  std::uint32_t mtu = 1420;
  KeyCustodyConfig key_custody;
  std::string trust_state_path;
  std::string last_state_path;  // default: trust_state_path + ".last"
  ControlConfig control;
  BackendConfig backend;
  LocalApiConfig local_api;
  std::vector<std::string> advertised_endpoints;  // canonical "addr:port"
  std::uint16_t persistent_keepalive_seconds = 25;
  std::optional<std::string> crypto_policy_file;
  // "metrics": {"listen": "127.0.0.1:9101"}: the Prometheus endpoint (docs/observability.md);
  // absent: off. Only loopback addresses parse.
  std::optional<base::LoopbackEndpoint> metrics_listen;
  base::LogLevel log_level = base::LogLevel::kInfo;  // "log_level"; changeable by reload
};

// Parses and validates a config document. Errors: kConfig with the JSON path.
[[nodiscard]] DaemonResult<DaemonConfig> parse_daemon_config(std::string_view text);
// Reads (bounded, no symlink) and parses. Errors: kConfig.
[[nodiscard]] DaemonResult<DaemonConfig> load_daemon_config(const std::string& path);

// Empty when `next` may replace `current` at runtime (SIGHUP); otherwise the first field whose
// change needs a restart (identity, keys, trust state, interface, backend, control, socket,
// metrics).
[[nodiscard]] std::optional<std::string> reload_blocker(const DaemonConfig& current, const DaemonConfig& next);

}  // namespace rustynet::apps::daemon
