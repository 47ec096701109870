// SPDX-License-Identifier: Apache-2.0
// Relay counters and security events (a minimal schema of its own: the relay cannot use libs/control).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rustynet::relay {

// Monotonic counters since start. Plain integers, read and written by the relay's one thread.
struct RelayCounters {
  std::uint64_t rx_datagrams = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t forwarded_datagrams = 0;
  std::uint64_t forwarded_bytes = 0;
  std::uint64_t dropped_unknown_source = 0;  // not a control message, source not bound
  std::uint64_t dropped_malformed = 0;       // control message that does not parse
  std::uint64_t dropped_oversize = 0;        // larger than max_datagram_bytes (truncated by the kernel)
  std::uint64_t dropped_hello_rate = 0;      // per-source hello limit (pre-authentication)
  std::uint64_t dropped_session_rate = 0;    // per-side packet or byte limit
  std::uint64_t dropped_peer_unbound = 0;    // bound side, peer side not bound yet
  std::uint64_t cookies_sent = 0;
  std::uint64_t cookies_invalid = 0;          // hello with a non-zero cookie that does not verify
  std::uint64_t verify_budget_exhausted = 0;  // cookie fine, verification budget spent: kBusy
  std::uint64_t tickets_verified = 0;         // Ed25519 verifications performed
  std::uint64_t tickets_rejected = 0;         // any reject after verification
  std::uint64_t tickets_replayed = 0;
  std::uint64_t sessions_created = 0;
  std::uint64_t sides_bound = 0;
  std::uint64_t sides_rebound = 0;  // same side, new ticket, new address (roaming)
  std::uint64_t sessions_expired_idle = 0;
  std::uint64_t sessions_expired_lifetime = 0;
  std::uint64_t session_limit_hits = 0;
  std::uint64_t node_limit_hits = 0;
  std::uint64_t replay_store_full = 0;
  std::uint64_t keepalives = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t events_suppressed = 0;  // security events over the per-second budget
};

// Stable kinds; append only.
enum class SecurityEventKind : std::uint8_t {
  kTicketRejected = 1,
  kTicketReplayed = 2,
  kSessionBound = 3,
  kSessionRebound = 4,
  kSessionExpired = 5,
  kLimitReached = 6,  // session cap, node cap, replay store full, verification budget
  kCookieInvalid = 7,
  kHelloRateLimited = 8,
};

[[nodiscard]] std::string_view to_string(SecurityEventKind kind) noexcept;

// One event. Never carries ticket bytes or any key: only ids, addresses and the decision.
struct SecurityEvent {
  SecurityEventKind kind = SecurityEventKind::kTicketRejected;
  std::string source;    // "ip:port" of the datagram, or empty
  std::string node_id;   // ticket holder when known
  std::string session;   // hex session id when known
  std::string decision;  // e.g. "reject:replayed", "bound", "expired:idle"

  // One JSON object line (keys: event, source, node, session, decision).
  [[nodiscard]] std::string to_json_line() const;
};

// Receives security events. Called on the relay thread; implementations must not block for long.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void record(const SecurityEvent& event) = 0;
};

}  // namespace rustynet::relay
