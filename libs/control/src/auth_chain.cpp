// SPDX-License-Identifier: Apache-2.0
// The control-plane middleware chain; every path ends in exactly one security event.
#include "rustynet/control/auth_chain.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

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
  auto limiter_error = [&] {
    event.limiter_decision = "error";
    return finish(AuthStatus::kUnavailable, "limiter_state_unavailable", kNoRetry);
  };
  auto lockout_error = [&] {
    event.lockout_decision = "error";
    return finish(AuthStatus::kUnavailable, "lockout_state_unavailable", kNoRetry);
  };

  // The lockout's verdict on `key`: an outcome when it ends the request (locked, or its state
  // unreadable), otherwise the decision to go on with.
  auto check_lockout = [&](const std::string& key) -> base::Result<LockoutDecision, AuthOutcome> {
    auto locked = parts_.lockout->check(key, now);
    if (!locked.has_value()) {
      return base::unexpected(lockout_error());
    }
    if (!locked->allowed) {
      event.lockout_decision = "locked";
      return base::unexpected(finish(AuthStatus::kLockedOut, "locked_out", locked->retry_after));
    }
    event.lockout_decision = "allow";
    return *locked;
  };
  // A failed authentication: on `key`'s lockout record first, then refused as `failure_class`.
  auto refuse = [&](const std::string& key, std::string failure_class) {
    if (!parts_.lockout->record_failure(key, now).has_value()) {
      return lockout_error();
    }
    return finish(AuthStatus::kUnauthenticated, std::move(failure_class), kNoRetry);
  };

  if (!request.requires_token) {
    event.abuse_key = "source";
    auto by_ip = parts_.ip_limiter->acquire(source_limit_key(request.source_ip), now);
    if (!by_ip.has_value()) {
      return limiter_error();
    }
    if (!by_ip->allowed) {
      event.limiter_decision = "deny_ip";
      return finish(AuthStatus::kRateLimited, "rate_limited_ip", by_ip->retry_after);
    }
    event.limiter_decision = "allow";
    return finish(AuthStatus::kAllowed, "none", kNoRetry);
  }

  // Who is asking decides whose budget and lockout apply; nothing is charged before this.
  std::string failure = "missing_token";
  std::string proven;
  bool removed = false;
  if (!request.bearer_token.empty()) {
    auto signer = parts_.validator->verify_signer(request.bearer_token);
    if (signer.has_value()) {
      proven = std::move(signer->subject);
    } else if (signer.error().kind == TokenRejection::kStateUnavailable) {
      return finish(AuthStatus::kUnavailable, "state_unavailable", kNoRetry);
    } else {
      failure = std::string(to_string(signer.error().kind));
      if (signer.error().kind == TokenRejection::kBadSignature && parts_.former_validator != nullptr) {
        auto former = parts_.former_validator->verify_signer(request.bearer_token);
        if (former.has_value()) {
          proven = std::move(former->subject);
          removed = true;
        } else if (former.error().kind == TokenRejection::kStateUnavailable) {
          return finish(AuthStatus::kUnavailable, "state_unavailable", kNoRetry);
        }
      }
    }
  }

  if (proven.empty()) {
    // Nothing proven. A claim naming a known subject is keyed with its source: a node with the
    // wrong key is held back without its neighbours, and a forger cannot lock the real node.
    std::string claimed;
    if (!request.bearer_token.empty()) {
      if (auto peeked = peek_claims(request.bearer_token); peeked.has_value()) {
        claimed = std::move(peeked->subject);
      }
    }
    event.identity = claimed;
    const std::string source = source_limit_key(request.source_ip);
    std::string limit_key = source;
    std::string lock_key = ip_key(request.source_ip);
    event.abuse_key = "source";
    if (!claimed.empty() && parts_.known_subject) {
      auto known = parts_.known_subject(claimed);
      if (!known.has_value()) {
        return finish(AuthStatus::kUnavailable, "state_unavailable", kNoRetry);
      }
      if (*known) {
        limit_key = "src:" + source + "|" + claimed;
        lock_key = limit_key;
        event.abuse_key = "source_identity";
      }
    }
    auto by_source = parts_.ip_limiter->acquire(limit_key, now);
    if (!by_source.has_value()) {
      return limiter_error();
    }
    if (!by_source->allowed) {
      event.limiter_decision = event.abuse_key == "source" ? "deny_ip" : "deny_source_identity";
      return finish(AuthStatus::kRateLimited, "rate_limited_ip", by_source->retry_after);
    }
    event.limiter_decision = "allow";
    if (auto locked = check_lockout(lock_key); !locked.has_value()) {
      return locked.error();
    }
    return refuse(lock_key, std::move(failure));
  }

  // A proven (or removed) identity: its own state only, never its source's. identity_verified
  // keeps its version-1 meaning (the token was accepted); abuse_key says the signature proved it.
  event.identity = proven;
  event.abuse_key = "identity";
  const std::string key = identity_key(proven);
  auto locked = check_lockout(key);
  if (!locked.has_value()) {
    return locked.error();
  }
  auto charge = [&](RateLimiter* limiter, const char* denied) -> std::optional<AuthOutcome> {
    if (limiter == nullptr) {
      return std::nullopt;
    }
    auto decision = limiter->acquire(key, now);
    if (!decision.has_value()) {
      return limiter_error();
    }
    if (!decision->allowed) {
      event.limiter_decision = denied;
      return finish(AuthStatus::kRateLimited, "rate_limited_identity", decision->retry_after);
    }
    return std::nullopt;
  };
  if (removed || locked->failing) {
    if (auto denied = charge(parts_.failure_limiter, "deny_identity_failures"); denied.has_value()) {
      return *denied;
    }
  }
  if (auto denied = charge(parts_.identity_limiter, "deny_identity"); denied.has_value()) {
    return *denied;
  }
  if (request.write) {
    if (auto denied = charge(parts_.write_limiter, "deny_identity_write"); denied.has_value()) {
      return *denied;
    }
  }
  event.limiter_decision = "allow";
  if (removed) {
    return refuse(key, "node_removed");
  }

  auto claims = parts_.validator->validate(request.bearer_token);
  if (!claims.has_value()) {
    const TokenRejection kind = claims.error().kind;
    if (is_service_fault(kind)) {
      return finish(AuthStatus::kUnavailable, std::string(to_string(kind)), kNoRetry);
    }
    return refuse(key, std::string(to_string(kind)));
  }
  // The source's record is reset by a success from it too (spec 5.3: success plus cooldown);
  // otherwise a shared address would carry its failure count forever.
  if (!parts_.lockout->record_success(key, now).has_value() ||
      !parts_.lockout->record_success(ip_key(request.source_ip), now).has_value()) {
    return lockout_error();
  }
  event.identity_verified = true;
  const policy::Decision decision = parts_.policy(claims->subject, request.endpoint);
  if (!decision.allowed()) {
    return finish(AuthStatus::kForbidden, "policy_denied", kNoRetry);
  }
  outcome.identity = claims->subject;
  return finish(AuthStatus::kAllowed, "none", kNoRetry);
}

}  // namespace rustynet::control
