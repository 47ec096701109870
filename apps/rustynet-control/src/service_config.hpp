// SPDX-License-Identifier: Apache-2.0
// rustynet-control configuration: strict, versioned JSON; refuses any non-TLS-1.3 transport policy.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay_config.hpp"
#include "rustynet/base/log.hpp"
#include "rustynet/base/metrics_server.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/lockout.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/tls_policy.hpp"
#include "rustynet/control/token.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::apps::control_server {

inline constexpr std::int64_t kConfigVersion = 1;

// {
//   "version": 1,
//   "listen": {"address": "0.0.0.0", "port": 8443},
//   "tls": {"min_version": "1.3", "max_version": "1.3", "certificate_file": "...", "private_key_file": "..."},
//   "state_dir": "/var/lib/rustynet-control",          (holds control.db, mode 0700)
//   "security_event_log": "/var/log/rustynet-control/security-events.log",
//   "audience": "rustynet-control",
//   "custody": {"key_directory": "/var/lib/rustynet-control/keys",   (encrypted fallback, 0700)
//               "operator_secret_file": "...",          (optional; else the systemd credential)
//               "operator_secret_credential": "..."},   (optional; default rustynet.custody-secret)
//   "admin_public_keys": ["<base64 Ed25519>", ...],     (verify admin tokens, sub "admin")
//   "node_state_lifetime_seconds": 86400,               (optional, 600..2592000)
//   "long_poll_max_wait_seconds": 55,                   (optional, 1..55)
//   "max_connections": 4096,                            (optional, 1..1000000; long-polls hold one each)
//   "nonce_capacity": 1000000,                          (optional)
//   "relays": [{"relay_id": "r1", "address": "198.51.100.7:4600", "nodes": ["n1"],     (optional; always relayed)
//               "candidate_nodes": ["n5"]}],  (optional; relayed when direct fails; one of the two lists needed)
//   "abuse_control": {                                  (optional, every member optional; AbuseControlConfig)
//     "unproven_per_source": <bucket>, "failing_identity": <bucket>, "node": <bucket>,
//     "admin": <bucket>, "admin_write": <bucket>,
//     "lockout": {"initial_seconds": 30, "max_seconds": 900, "reset_cooldown_seconds": 900},
//     "clock_skew_seconds": 90, "max_tracked_keys": 65536}
//   <bucket> = {"burst": 1..100000, "refill_tokens": 1..100000, "refill_period_seconds": 1..86400}
// }

// Node traffic: a long-poll re-requests at least once per wait period and at once after every
// answer, plus relay tickets; 30 back to back and one every 2 s carries a busy node.
inline constexpr control::RateLimitConfig kNodeRequestBudget{30, 30, std::chrono::seconds(60), 65'536};
// Every admin request (an operator's bursts of reads: list, show, scripts polling).
inline constexpr control::RateLimitConfig kAdminRequestBudget{120, 120, std::chrono::seconds(60), 65'536};
// Additionally for each admin write (add, remove, policy, revoke); a batch is one write.
inline constexpr control::RateLimitConfig kAdminWriteBudget{30, 10, std::chrono::seconds(60), 65'536};

// Every limit, burst, lockout and skew of the control plane (docs/control-server.md "Rate
// limits"). The spec 5.3 defaults are the defaults where they apply; the budgets of proven
// identities are ours.
struct AbuseControlConfig {
  control::RateLimitConfig unproven_per_source = control::kPerIpRateLimit;     // requests proving no key
  control::RateLimitConfig failing_identity = control::kPerIdentityRateLimit;  // attempts of failing identities
  control::RateLimitConfig node = kNodeRequestBudget;
  control::RateLimitConfig admin = kAdminRequestBudget;
  control::RateLimitConfig admin_write = kAdminWriteBudget;
  control::LockoutConfig lockout = control::kDefaultLockout;
  std::chrono::seconds clock_skew = control::kClockSkewTolerance;
  std::size_t max_tracked_keys = 65'536;  // per limiter and per lockout table
};
struct ServiceConfig {
  std::string listen_address;
  std::uint16_t port = 0;
  control::TlsPolicy tls_policy;
  std::string certificate_file;
  std::string private_key_file;
  std::string state_dir;
  std::string security_event_log;
  // "crypto_policy_file": the operator's algorithm policy (docs/crypto-policy.md); absent: baseline.
  std::optional<std::string> crypto_policy_file;
  std::string audience;
  std::string key_directory;
  std::optional<std::string> operator_secret_file;
  std::string operator_secret_credential = "rustynet.custody-secret";
  std::vector<crypto::Ed25519PublicKey> admin_keys;
  std::chrono::seconds node_state_lifetime{86'400};
  std::chrono::seconds long_poll_max_wait{55};
  std::size_t max_connections = 4096;
  std::size_t nonce_capacity = 1'000'000;
  std::vector<RelaySite> relays;  // relays, the nodes always relayed and those that may fall back
  // "metrics": {"listen": "127.0.0.1:9103"}: the Prometheus endpoint (docs/observability.md);
  // absent: off. Only loopback addresses parse (kInvalidValue otherwise).
  std::optional<base::LoopbackEndpoint> metrics_listen;
  base::LogLevel log_level = base::LogLevel::kInfo;  // "log_level": the service log on stderr
  AbuseControlConfig abuse;
};

// Every refusal has a kind (stable, for tests and exit diagnostics) and names the JSON path.
enum class ConfigErrorKind : std::uint8_t {
  kUnreadable,    // file missing, too large, unreadable
  kSyntax,        // not strict JSON, unknown/missing field, wrong type, unknown version
  kInvalidValue,  // a value out of range or malformed (key, port, TLS version, lifetime)
  kStartup,       // a startup resource failed (state dir, store, custody, TLS material, listen)
  kCryptoPolicy,  // the crypto policy is unreadable/invalid or refuses an algorithm in use (exit 11)
};

struct ConfigError {
  std::string message;
  ConfigErrorKind kind = ConfigErrorKind::kStartup;
};

// Errors name the offending JSON path; TLS versions other than 1.3 are refused here (startup fails).
[[nodiscard]] base::Result<ServiceConfig, ConfigError> parse_service_config(std::string_view json_text);
[[nodiscard]] base::Result<ServiceConfig, ConfigError> load_service_config(const std::string& path);

}  // namespace rustynet::apps::control_server
