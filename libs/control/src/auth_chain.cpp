// SPDX-License-Identifier: Apache-2.0
// The control-plane middleware chain; every path ends in exactly one security event.
#include "rustynet/control/auth_chain.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace rustynet::control {
namespace {

std::string ip_key(std::string_view ip) { return "ip:" + source_limit_key(ip); }
std::string identity_key(std::string_view identity) { return "id:" + std::string(identity); }

// Rejections caused by our own state or clock, not by the client: deny, but do not count them
// as authentication failures (an outage must not lock every client out).
bool is_service_fault(TokenRejection kind) {
  return kind == TokenRejection::kClockUnavailable || kind == TokenRejection::kStateUnavailable ||
         kind == TokenRejection::kNonceStoreFull;
}

}  // namespace

std::string source_limit_key(std::string_view source_ip) {
  if (source_ip.find(':') == std::string_view::npos || source_ip.size() >= INET6_ADDRSTRLEN) {
    return std::string(source_ip);
  }
  std::string text(source_ip);
  std::array<unsigned char, 16> address{};
  if (::inet_pton(AF_INET6, text.c_str(), address.data()) != 1) {
    return text;
  }
  // One subscriber usually holds a whole /64: per-address buckets would hand an attacker 2^64 of
  // them. IPv4-mapped addresses keep their full IPv4 identity.
  const bool v4_mapped = std::all_of(address.begin(), address.begin() + 10, [](unsigned char b) { return b == 0; }) &&
                         address[10] == 0xff && address[11] == 0xff;
  if (v4_mapped) {
    return std::to_string(address[12]) + "." + std::to_string(address[13]) + "." + std::to_string(address[14]) + "." +
           std::to_string(address[15]);
  }
  std::fill(address.begin() + 8, address.end(), static_cast<unsigned char>(0));
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (::inet_ntop(AF_INET6, address.data(), out.data(), static_cast<socklen_t>(out.size())) == nullptr) {
    return text;
  }
  return std::string(out.data()) + "/64";
}

std::string_view to_string(AuthStatus status) noexcept {
  switch (status) {
    case AuthStatus::kAllowed: return "allowed";
    case AuthStatus::kRateLimited: return "rate_limited";
    case AuthStatus::kLockedOut: return "locked_out";
    case AuthStatus::kUnauthenticated: return "unauthenticated";
    case AuthStatus::kForbidden: return "forbidden";
    case AuthStatus::kUnavailable: return "unavailable";
  }
  return "unknown";
}

unsigned http_status(AuthStatus status) noexcept {
  switch (status) {
    case AuthStatus::kAllowed: return 200;
    case AuthStatus::kRateLimited:  // a lockout is a rate limit to the client: same status, no oracle
    case AuthStatus::kLockedOut: return 429;
    case AuthStatus::kUnauthenticated: return 401;
    case AuthStatus::kForbidden: return 403;
    case AuthStatus::kUnavailable: return 503;
  }
  return 503;
}

AuthChain::AuthChain(AuthChainParts parts) : parts_(std::move(parts)) {
  if (parts_.clock == nullptr || parts_.ip_limiter == nullptr || parts_.identity_limiter == nullptr ||
      parts_.lockout == nullptr || parts_.validator == nullptr || !parts_.policy || parts_.events == nullptr) {
    static_cast<void>(std::fputs("AuthChain: missing part\n", stderr));
    std::abort();
  }
}

AuthOutcome AuthChain::evaluate(const AuthRequest& request) const {
  const base::MonotonicTime now = parts_.clock->monotonic_now();
  SecurityEvent event;
  if (auto wall = parts_.clock->wall_now(); wall.has_value()) {
    event.timestamp = *wall;
  }
  event.source_ip = request.source_ip;
  event.endpoint = request.endpoint;

  AuthOutcome outcome;
  auto finish = [&](AuthStatus status, std::string failure_class, std::chrono::milliseconds retry_after) {
    outcome.status = status;
    outcome.failure_class = std::move(failure_class);
    outcome.retry_after = retry_after;
    event.allowed = status == AuthStatus::kAllowed;
    event.failure_class = outcome.failure_class;
    event.retry_after = retry_after;
    parts_.events->emit(event);
    return outcome;
  };
  constexpr std::chrono::milliseconds kNoRetry{0};

  // 1: per-IP bucket.
  auto by_ip = parts_.ip_limiter->acquire(source_limit_key(request.source_ip), now);
  if (!by_ip.has_value()) {
    event.limiter_decision = "error";
    return finish(AuthStatus::kUnavailable, "limiter_state_unavailable", kNoRetry);
  }
  if (!by_ip->allowed) {
    event.limiter_decision = "deny_ip";
    return finish(AuthStatus::kRateLimited, "rate_limited_ip", by_ip->retry_after);
  }
  if (!request.requires_token) {
    event.limiter_decision = "allow";
    return finish(AuthStatus::kAllowed, "none", kNoRetry);
  }

  // 2: per-identity bucket, keyed by the claimed identity (verified at step 4).
  std::string claimed;
  if (!request.bearer_token.empty()) {
    if (auto peeked = peek_claims(request.bearer_token); peeked.has_value()) {
      claimed = std::move(peeked->subject);
    }
  }
  event.identity = claimed;
  if (!claimed.empty()) {
    auto by_identity = parts_.identity_limiter->acquire(identity_key(claimed), now);
    if (!by_identity.has_value()) {
      event.limiter_decision = "error";
      return finish(AuthStatus::kUnavailable, "limiter_state_unavailable", kNoRetry);
    }
    if (!by_identity->allowed) {
      event.limiter_decision = "deny_identity";
      return finish(AuthStatus::kRateLimited, "rate_limited_identity", by_identity->retry_after);
    }
  }
  event.limiter_decision = "allow";

  // 3: lockout of the source and of the claimed identity.
  std::vector<std::string> lockout_keys{ip_key(request.source_ip)};
  if (!claimed.empty()) {
    lockout_keys.push_back(identity_key(claimed));
  }
  for (const auto& key : lockout_keys) {
    auto locked = parts_.lockout->check(key, now);
    if (!locked.has_value()) {
      event.lockout_decision = "error";
      return finish(AuthStatus::kUnavailable, "lockout_state_unavailable", kNoRetry);
    }
    if (!locked->allowed) {
      event.lockout_decision = "locked";
      return finish(AuthStatus::kLockedOut, "locked_out", locked->retry_after);
    }
  }
  event.lockout_decision = "allow";

  auto record = [&](bool success) -> bool {
    for (const auto& key : lockout_keys) {
      auto recorded = success ? parts_.lockout->record_success(key, now) : parts_.lockout->record_failure(key, now);
      if (!recorded.has_value()) {
        return false;
      }
    }
    return true;
  };

  // 4: token, revocation and nonce.
  if (request.bearer_token.empty()) {
    if (!record(false)) {
      event.lockout_decision = "error";
      return finish(AuthStatus::kUnavailable, "lockout_state_unavailable", kNoRetry);
    }
    return finish(AuthStatus::kUnauthenticated, "missing_token", kNoRetry);
  }
  auto claims = parts_.validator->validate(request.bearer_token);
  if (!claims.has_value()) {
    const TokenRejection kind = claims.error().kind;
    if (is_service_fault(kind)) {
      return finish(AuthStatus::kUnavailable, std::string(to_string(kind)), kNoRetry);
    }
    if (!record(false)) {
      event.lockout_decision = "error";
      return finish(AuthStatus::kUnavailable, "lockout_state_unavailable", kNoRetry);
    }
    return finish(AuthStatus::kUnauthenticated, std::string(to_string(kind)), kNoRetry);
  }
  event.identity = claims->subject;
  event.identity_verified = true;
  if (!record(true)) {
    event.lockout_decision = "error";
    return finish(AuthStatus::kUnavailable, "lockout_state_unavailable", kNoRetry);
  }

  // 5: policy on the verified identity (default deny).
  const policy::Decision decision = parts_.policy(claims->subject, request.endpoint);
  if (!decision.allowed()) {
    return finish(AuthStatus::kForbidden, "policy_denied", kNoRetry);
  }
  outcome.identity = claims->subject;
  return finish(AuthStatus::kAllowed, "none", kNoRetry);
}

}  // namespace rustynet::control
