// SPDX-License-Identifier: Apache-2.0
// AuthChain: the control-plane middleware (rate limit -> lockout -> token/nonce -> policy -> event).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "rustynet/base/clock.hpp"
#include "rustynet/control/lockout.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/security_event.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/policy/decision.hpp"

namespace rustynet::control {

struct AuthRequest {
  std::string source_ip;          // from the socket, never from a header
  std::string endpoint;           // route name, e.g. "/v1/echo"
  bool requires_token = true;     // false only for unauthenticated endpoints (health)
  std::string_view bearer_token;  // empty when absent; never stored or logged
};

enum class AuthStatus : std::uint8_t {
  kAllowed,          // 200
  kRateLimited,      // 429 + Retry-After
  kLockedOut,        // 429 + Retry-After
  kUnauthenticated,  // 401
  kForbidden,        // 403 (policy)
  kUnavailable,      // 503: state unreadable/unwritable or wall clock unusable (fail closed)
};

struct AuthOutcome {
  AuthStatus status = AuthStatus::kUnavailable;
  std::string identity;       // verified subject when allowed
  std::string failure_class;  // same value as the event's
  std::chrono::milliseconds retry_after{0};

  [[nodiscard]] bool allowed() const noexcept { return status == AuthStatus::kAllowed; }
};

// Decides whether a verified identity may use an endpoint (default deny).
using EndpointPolicy = std::function<policy::Decision(std::string_view identity, std::string_view endpoint)>;

// The collaborators; all must outlive the chain and be thread-safe.
struct AuthChainParts {
  const base::Clock* clock = nullptr;
  RateLimiter* ip_limiter = nullptr;
  RateLimiter* identity_limiter = nullptr;
  Lockout* lockout = nullptr;
  const TokenValidator* validator = nullptr;
  EndpointPolicy policy;
  EventSink* events = nullptr;
};

// Stages, each denying on its own state errors (fail closed):
//  1 per-IP token bucket (every request; IPv6 per /64) -> kRateLimited "rate_limited_ip"
//  2 per-identity token bucket, keyed by the identity the token claims (before verification, so
//    a credential-stuffing run against one identity is throttled whatever its sources)
//                                                   -> kRateLimited "rate_limited_identity"
//  3 lockout of the source IP and of the claimed identity -> kLockedOut "locked_out"
//  4 token validation incl. revocation and nonce    -> kUnauthenticated "<rejection>" (a failure,
//    recorded for lockout) or kUnavailable for clock/state/nonce-capacity errors (not counted)
//  5 policy decision on the verified identity       -> kForbidden "policy_denied"
// Exactly one SecurityEvent is emitted per evaluate() call.
class AuthChain {
 public:
  // Aborts if a required part is missing (programming error).
  explicit AuthChain(AuthChainParts parts);

  [[nodiscard]] AuthOutcome evaluate(const AuthRequest& request) const;

 private:
  AuthChainParts parts_;
};

[[nodiscard]] std::string_view to_string(AuthStatus status) noexcept;
// The key the per-IP limiter and lockout use for a source: IPv4 as is (also when IPv4-mapped),
// IPv6 reduced to its /64 ("2001:db8:1:2::/64").
[[nodiscard]] std::string source_limit_key(std::string_view source_ip);
// HTTP status code for an outcome (200, 401, 403, 429, 503).
[[nodiscard]] unsigned http_status(AuthStatus status) noexcept;

}  // namespace rustynet::control
