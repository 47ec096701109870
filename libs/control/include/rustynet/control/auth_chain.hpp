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
  bool write = false;             // changes state (charged to AuthChainParts::write_limiter too)
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
// Whether a claimed subject is one this service knows (a registered node, the admin). An error
// means the registry could not be read: the chain denies.
using KnownSubject = std::function<base::Result<bool, StateError>(std::string_view subject)>;

// The collaborators; all must outlive the chain and be thread-safe. The optional ones may be null.
struct AuthChainParts {
  const base::Clock* clock = nullptr;
  // Requests that prove no registered key, per source (IPv6 per /64) or per source plus claimed
  // known identity (spec 5.3 per-IP defaults).
  RateLimiter* ip_limiter = nullptr;
  // Requests of an identity whose token signature verified: its job budget.
  RateLimiter* identity_limiter = nullptr;
  // Backoff per source, per source plus claimed identity and per proven identity (keys apart).
  Lockout* lockout = nullptr;
  const TokenValidator* validator = nullptr;
  EndpointPolicy policy;
  EventSink* events = nullptr;
  // Optional: charged in addition to identity_limiter for write requests.
  RateLimiter* write_limiter = nullptr;
  // Optional: spec 5.3 per-identity authentication-attempt budget, charged for every request of
  // a proven identity that is failing (a failure on record, no success since) or removed.
  RateLimiter* failure_limiter = nullptr;
  // Optional: a bad signature claiming a known subject is then keyed by source plus subject (a
  // mis-keyed node neither locks its neighbours behind the same address nor lets a forger lock
  // the real identity); without it, by source alone.
  KnownSubject known_subject{};
  // Optional: verifies tokens of removed identities (their last registered keys), so that a
  // removed node's retries lock that identity rather than its source.
  const TokenValidator* former_validator = nullptr;
};

// What a request proves decides the key of every limit and lockout it meets (docs/control-server.md
// "Rate limits"). The signature is checked first (TokenValidator::verify_signer: no state touched):
//  a  proven identity (signed by its registered key), key "id:<sub>", abuse_key "identity":
//     lockout -> kLockedOut "locked_out"; failure budget while failing -> kRateLimited
//     "rate_limited_identity"; job budget (and write budget) -> kRateLimited "rate_limited_identity";
//     full validation (lifetime, skew, audience, revocation, nonce) -> kUnauthenticated "<rejection>"
//     recorded against the identity, or kUnavailable for clock/state/nonce-capacity errors (not
//     counted); policy -> kForbidden "policy_denied".
//  b  removed identity (former_validator), key "id:<sub>": lockout, failure budget, then
//     kUnauthenticated "node_removed" recorded against the identity.
//  c  nothing proven (no token, malformed, unknown version, bad signature): per-source bucket ->
//     kRateLimited "rate_limited_ip", lockout -> kLockedOut, then kUnauthenticated recorded. Keyed
//     by the source ("ip:", abuse_key "source"), or by source plus claimed subject when
//     known_subject says it is known ("src:<source>|<sub>", abuse_key "source_identity").
// Requests without a token requirement (health) meet only the per-source bucket. Exactly one
// SecurityEvent is emitted per evaluate() call.
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
