// SPDX-License-Identifier: Apache-2.0
// The middleware chain without the network: stage order, fail-closed faults, one event each.
#include "rustynet/control/auth_chain.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes.hpp"
#include "manual_clock.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/revocation_store.hpp"

namespace rustynet::control {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

crypto::Ed25519SigningKey make_key(std::uint8_t seed_byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

policy::Decision allow_echo(std::string_view identity, std::string_view endpoint) {
  if (endpoint == "/v1/echo" && identity != "node-denied") {
    return policy::Decision{policy::Verdict::kAllow, policy::DecisionReason::kMatchedAllow, "echo"};
  }
  return policy::Decision::default_deny();
}

class AuthChainTest : public ::testing::Test {
 protected:
  AuthChainTest()
      : clock_(kNow),
        issuer_(make_key(3), "rustynet-control", clock_),
        ip_limiter_(TokenBucketLimiter::create(kPerIpRateLimit).value()),
        identity_limiter_(TokenBucketLimiter::create(kPerIdentityRateLimit).value()),
        lockout_(BackoffLockout::create(kDefaultLockout).value()),
        nonces_(1000),
        faulty_ip_(*ip_limiter_),
        faulty_lockout_(*lockout_),
        faulty_nonces_(nonces_),
        faulty_revocations_(revocations_),
        validator_(TokenValidatorConfig{"rustynet-control"}, {issuer_.public_key()}, clock_, faulty_revocations_,
                   faulty_nonces_),
        sink_(events_.make_sink()),
        chain_(AuthChainParts{&clock_, &faulty_ip_, identity_limiter_.get(), &faulty_lockout_, &validator_, allow_echo,
                              sink_.get()}) {}

  AuthOutcome call(const std::string& token, const std::string& ip = "192.0.2.1",
                   const std::string& endpoint = "/v1/echo") {
    return chain_.evaluate(AuthRequest{ip, endpoint, true, token});
  }
  nlohmann::json last_event() { return nlohmann::json::parse(events_.lines().back()); }

  testing::ManualClock clock_;
  TokenIssuer issuer_;
  std::unique_ptr<TokenBucketLimiter> ip_limiter_;
  std::unique_ptr<TokenBucketLimiter> identity_limiter_;
  std::unique_ptr<BackoffLockout> lockout_;
  MemoryRevocationStore revocations_;
  MemoryNonceStore nonces_;
  testing::FaultyLimiter faulty_ip_;
  testing::FaultyLockout faulty_lockout_;
  testing::FaultyNonceStore faulty_nonces_;
  testing::FaultyRevocationStore faulty_revocations_;
  TokenValidator validator_;
  testing::EventLog events_;
  std::unique_ptr<EventSink> sink_;
  AuthChain chain_;
};

TEST_F(AuthChainTest, ValidTokenAllowedWithVerifiedIdentityEvent) {
  const auto outcome = call(issuer_.issue("node-alice").value());
  EXPECT_EQ(outcome.status, AuthStatus::kAllowed);
  EXPECT_EQ(outcome.identity, "node-alice");
  ASSERT_EQ(events_.size(), 1U);
  const auto event = last_event();
  EXPECT_EQ(event["outcome"], "allow");
  EXPECT_EQ(event["identity"], "node-alice");
  EXPECT_EQ(event["identity_verified"], true);
  EXPECT_EQ(event["limiter_decision"], "allow");
  EXPECT_EQ(event["lockout_decision"], "allow");
  EXPECT_EQ(event["source_ip"], "192.0.2.1");
  EXPECT_EQ(event["endpoint"], "/v1/echo");
  EXPECT_EQ(event["timestamp"], kNow);
}

TEST_F(AuthChainTest, PolicyDenyIsForbidden) {
  const auto outcome = call(issuer_.issue("node-denied").value());
  EXPECT_EQ(outcome.status, AuthStatus::kForbidden);
  EXPECT_EQ(last_event()["failure_class"], "policy_denied");
  EXPECT_EQ(call(issuer_.issue("node-alice").value(), "192.0.2.1", "/v1/admin").status, AuthStatus::kForbidden);
}

TEST_F(AuthChainTest, FailuresLockOutSourceThenBackoffDoubles) {
  EXPECT_EQ(call("garbage").status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(last_event()["failure_class"], "malformed_token");
  EXPECT_EQ(last_event()["abuse_key"], "source");
  auto locked = call("garbage-2");
  EXPECT_EQ(locked.status, AuthStatus::kLockedOut);
  EXPECT_EQ(locked.retry_after, std::chrono::seconds(30));
  EXPECT_EQ(last_event()["lockout_decision"], "locked");
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ(call("").status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(last_event()["failure_class"], "missing_token");
  EXPECT_EQ(call("garbage-3").retry_after, std::chrono::seconds(60));
  // A request that proves a registered key is not held by its source's lockout.
  EXPECT_EQ(call(issuer_.issue("node-alice").value()).status, AuthStatus::kAllowed);
  EXPECT_EQ(last_event()["abuse_key"], "identity");
  // Another source is unaffected.
  EXPECT_EQ(call("garbage-4", "192.0.2.2").status, AuthStatus::kUnauthenticated);
}

TEST_F(AuthChainTest, ForgedClaimsLockTheirSourcesNotTheIdentity) {
  // Key changed (was: the claimed identity locked): an unverified claim must not let a forger
  // lock the real node out. Each forging source is locked instead.
  const TokenIssuer forger(make_key(99), "rustynet-control", clock_);
  EXPECT_EQ(call(forger.issue("node-victim").value(), "203.0.113.1").failure_class, "bad_signature");
  EXPECT_EQ(last_event()["identity"], "node-victim");
  EXPECT_EQ(last_event()["identity_verified"], false);
  EXPECT_EQ(call(forger.issue("node-victim").value(), "203.0.113.1").status, AuthStatus::kLockedOut);
  EXPECT_EQ(call(forger.issue("node-victim").value(), "203.0.113.2").status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(call(issuer_.issue("node-victim").value(), "203.0.113.1").status, AuthStatus::kAllowed);
}

TEST_F(AuthChainTest, PerIpRateLimitAppliesToUnprovenRequests) {
  for (int i = 0; i < 20; ++i) {
    EXPECT_NE(call("garbage-" + std::to_string(i), "192.0.2.50").status, AuthStatus::kRateLimited);
  }
  const auto limited = call("garbage-20", "192.0.2.50");
  EXPECT_EQ(limited.status, AuthStatus::kRateLimited);
  EXPECT_EQ(limited.failure_class, "rate_limited_ip");
  EXPECT_EQ(limited.retry_after, std::chrono::seconds(6));
  EXPECT_EQ(last_event()["limiter_decision"], "deny_ip");
  // Key changed (was: every request): a registered key's request does not draw on the source's bucket.
  EXPECT_EQ(call(issuer_.issue("node-alice").value(), "192.0.2.50").status, AuthStatus::kAllowed);
  EXPECT_EQ(events_.size(), 22U);
}

TEST_F(AuthChainTest, Ipv6SourcesShareTheirSlash64Bucket) {
  EXPECT_EQ(source_limit_key("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(source_limit_key("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(source_limit_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(source_limit_key("not-an-address"), "not-an-address");
  for (int i = 0; i < 20; ++i) {
    const std::string ip = "2001:db8:1:2::" + std::to_string(i + 1);
    EXPECT_EQ(chain_.evaluate(AuthRequest{ip, "/v1/health", false, {}}).status, AuthStatus::kAllowed);
  }
  EXPECT_EQ(chain_.evaluate(AuthRequest{"2001:db8:1:2::ffff", "/v1/health", false, {}}).status,
            AuthStatus::kRateLimited);
  EXPECT_EQ(chain_.evaluate(AuthRequest{"2001:db8:1:3::1", "/v1/health", false, {}}).status, AuthStatus::kAllowed);
  EXPECT_EQ(last_event()["source_ip"], "2001:db8:1:3::1");  // events keep the full address
}

TEST_F(AuthChainTest, PerIdentityRateLimitAcrossSources) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(call(issuer_.issue("node-busy").value(), "198.51.100." + std::to_string(i)).status, AuthStatus::kAllowed);
  }
  const auto limited = call(issuer_.issue("node-busy").value(), "198.51.100.200");
  EXPECT_EQ(limited.status, AuthStatus::kRateLimited);
  EXPECT_EQ(limited.failure_class, "rate_limited_identity");
  EXPECT_EQ(limited.retry_after, std::chrono::seconds(180));
}

TEST_F(AuthChainTest, LimiterFaultDenies) {
  faulty_ip_.failing = true;
  const auto outcome = call("garbage");
  EXPECT_EQ(outcome.status, AuthStatus::kUnavailable);
  EXPECT_EQ(last_event()["failure_class"], "limiter_state_unavailable");
  EXPECT_EQ(chain_.evaluate(AuthRequest{"192.0.2.1", "/v1/health", false, {}}).status, AuthStatus::kUnavailable);
}

TEST_F(AuthChainTest, LockoutFaultDenies) {
  faulty_lockout_.failing = true;
  EXPECT_EQ(call(issuer_.issue("node-alice").value()).status, AuthStatus::kUnavailable);
  EXPECT_EQ(last_event()["failure_class"], "lockout_state_unavailable");
}

TEST_F(AuthChainTest, NonceAndRevocationFaultsDenyWithoutLockingOut) {
  faulty_nonces_.failing = true;
  EXPECT_EQ(call(issuer_.issue("node-alice").value()).status, AuthStatus::kUnavailable);
  EXPECT_EQ(last_event()["failure_class"], "state_unavailable");
  faulty_nonces_.failing = false;
  faulty_revocations_.failing = true;
  EXPECT_EQ(call(issuer_.issue("node-alice").value()).status, AuthStatus::kUnavailable);
  faulty_revocations_.failing = false;
  // Service faults are not the client's failures: no lockout followed.
  EXPECT_EQ(call(issuer_.issue("node-alice").value()).status, AuthStatus::kAllowed);
}

TEST_F(AuthChainTest, WallClockUnusableFailsClosed) {
  clock_.set_wall_usable(false);
  EXPECT_EQ(call(issuer_.issue_at("node-alice", base::UnixTime{kNow}, std::chrono::seconds(300)).value()).status,
            AuthStatus::kUnavailable);
  const auto event = last_event();
  EXPECT_EQ(event["failure_class"], "clock_unavailable");
  EXPECT_TRUE(event["timestamp"].is_null());
}

TEST_F(AuthChainTest, ReplayRejectedAndCounted) {
  const std::string token = issuer_.issue("node-alice").value();
  EXPECT_EQ(call(token).status, AuthStatus::kAllowed);
  const auto replay = call(token, "192.0.2.77");
  EXPECT_EQ(replay.status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(replay.failure_class, "replayed_nonce");
}

TEST_F(AuthChainTest, UnauthenticatedEndpointOnlyRateLimited) {
  const auto outcome = chain_.evaluate(AuthRequest{"192.0.2.1", "/v1/health", false, {}});
  EXPECT_EQ(outcome.status, AuthStatus::kAllowed);
  EXPECT_EQ(last_event()["identity"], nullptr);
}

TEST_F(AuthChainTest, EventsNeverContainTokenMaterial) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    tokens.push_back(issuer_.issue("node-alice").value());
  }
  (void)call(tokens[0]);
  (void)call(tokens[0]);                     // replay
  (void)call(tokens[1] + "x");               // malformed
  (void)call(tokens[2], "192.0.2.9", "/x");  // policy deny
  for (const auto& line : events_.lines()) {
    for (const auto& token : tokens) {
      const std::string payload = token.substr(0, token.find('.'));
      const std::string signature = token.substr(token.find('.') + 1);
      EXPECT_EQ(line.find(payload.substr(0, 24)), std::string::npos);
      EXPECT_EQ(line.find(signature.substr(0, 24)), std::string::npos);
      const auto claims = peek_claims(token).value();
      EXPECT_EQ(line.find(claims.nonce), std::string::npos);
    }
  }
}

// The optional parts a service wires: known subjects, a write budget, the spec attempt budget for
// failing identities and the keys of removed identities.
class AuthChainKeysTest : public AuthChainTest {
 protected:
  AuthChainKeysTest()
      : removed_issuer_(make_key(7), "rustynet-control", clock_),
        wrong_key_issuer_(make_key(8), "rustynet-control", clock_),
        job_limiter_(TokenBucketLimiter::create(RateLimitConfig{30, 30, std::chrono::seconds(60), 1024}).value()),
        write_limiter_(TokenBucketLimiter::create(RateLimitConfig{2, 1, std::chrono::seconds(60), 1024}).value()),
        failure_limiter_(TokenBucketLimiter::create(kPerIdentityRateLimit).value()),
        keys_lockout_(BackoffLockout::create(kDefaultLockout).value()),
        former_(TokenValidatorConfig{"rustynet-control"}, {removed_issuer_.public_key()}, clock_, revocations_,
                nonces_),
        keys_chain_(parts(*keys_lockout_)) {}

  AuthChainParts parts(Lockout& lockout) {
    AuthChainParts parts{&clock_,     ip_limiter_.get(), job_limiter_.get(), &lockout,
                         &validator_, allow_echo,        sink_.get()};
    parts.write_limiter = write_limiter_.get();
    parts.failure_limiter = failure_limiter_.get();
    parts.known_subject = [](std::string_view subject) -> base::Result<bool, StateError> {
      return subject == "node-a" || subject == "node-b" || subject == "node-c";
    };
    parts.former_validator = &former_;
    return parts;
  }
  AuthOutcome keyed(const AuthChain& chain, const std::string& token, const std::string& ip = "192.0.2.1",
                    bool write = false) {
    return chain.evaluate(AuthRequest{ip, "/v1/echo", true, token, write});
  }
  AuthOutcome keyed(const std::string& token, const std::string& ip = "192.0.2.1", bool write = false) {
    return keyed(keys_chain_, token, ip, write);
  }
  std::string stale(std::string_view subject) {
    return issuer_.issue_at(subject, base::UnixTime{kNow - 600}, std::chrono::seconds(300)).value();
  }

  TokenIssuer removed_issuer_;
  TokenIssuer wrong_key_issuer_;
  std::unique_ptr<TokenBucketLimiter> job_limiter_;
  std::unique_ptr<TokenBucketLimiter> write_limiter_;
  std::unique_ptr<TokenBucketLimiter> failure_limiter_;
  std::unique_ptr<BackoffLockout> keys_lockout_;
  TokenValidator former_;
  AuthChain keys_chain_;
};

TEST_F(AuthChainKeysTest, WrongKeyForAKnownNodeIsKeyedBySourceAndIdentity) {
  EXPECT_EQ(keyed(wrong_key_issuer_.issue("node-b").value()).failure_class, "bad_signature");
  EXPECT_EQ(last_event()["abuse_key"], "source_identity");
  EXPECT_EQ(last_event()["identity_verified"], false);
  EXPECT_EQ(keyed(wrong_key_issuer_.issue("node-b").value()).status, AuthStatus::kLockedOut);
  // Neither the neighbours behind the address, nor the real node-b, nor the address as such.
  EXPECT_EQ(keyed(issuer_.issue("node-a").value()).status, AuthStatus::kAllowed);
  EXPECT_EQ(keyed(issuer_.issue("node-b").value()).status, AuthStatus::kAllowed);
  EXPECT_EQ(keyed("garbage").status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(last_event()["abuse_key"], "source");
  // An unknown subject is just a source.
  EXPECT_EQ(keyed(wrong_key_issuer_.issue("node-unknown").value(), "192.0.2.9").status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(last_event()["abuse_key"], "source");
  EXPECT_EQ(keyed("garbage", "192.0.2.9").status, AuthStatus::kLockedOut);
}

TEST_F(AuthChainKeysTest, StaleTokenOfAKnownIdentityLocksTheIdentityNotTheSource) {
  EXPECT_EQ(keyed(stale("node-a")).failure_class, "expired");
  EXPECT_EQ(last_event()["abuse_key"], "identity");
  EXPECT_EQ(last_event()["identity_verified"], false);  // version-1 meaning: the token was not accepted
  const auto locked = keyed(issuer_.issue("node-a").value(), "198.51.100.4");
  EXPECT_EQ(locked.status, AuthStatus::kLockedOut);
  EXPECT_EQ(locked.retry_after, std::chrono::seconds(30));
  EXPECT_EQ(keyed(issuer_.issue("node-c").value()).status, AuthStatus::kAllowed);
  EXPECT_EQ(keyed("garbage").status, AuthStatus::kUnauthenticated);  // the source was not locked
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ(keyed(issuer_.issue("node-a").value()).status, AuthStatus::kAllowed);
}

TEST_F(AuthChainKeysTest, RemovedIdentityIsLockedPerIdentity) {
  EXPECT_EQ(keyed(removed_issuer_.issue("node-gone").value()).failure_class, "node_removed");
  EXPECT_EQ(last_event()["abuse_key"], "identity");
  EXPECT_EQ(last_event()["identity"], "node-gone");
  EXPECT_EQ(keyed(removed_issuer_.issue("node-gone").value()).status, AuthStatus::kLockedOut);
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ(keyed(removed_issuer_.issue("node-gone").value()).status, AuthStatus::kUnauthenticated);
  EXPECT_EQ(keyed(removed_issuer_.issue("node-gone").value()).retry_after, std::chrono::seconds(60));
  EXPECT_EQ(keyed(issuer_.issue("node-a").value()).status, AuthStatus::kAllowed);
  EXPECT_EQ(keyed("garbage").status, AuthStatus::kUnauthenticated);
}

TEST_F(AuthChainKeysTest, FailingIdentityMeetsTheSpecAttemptBudget) {
  // A one-second lockout makes the spec per-identity budget (burst 10, 5 per 15 min) visible.
  auto short_lockout = BackoffLockout::create(LockoutConfig{std::chrono::seconds(1), std::chrono::seconds(1),
                                                            std::chrono::seconds(900), 1024})
                           .value();
  const AuthChain chain(parts(*short_lockout));
  EXPECT_EQ(keyed(chain, stale("node-a")).status, AuthStatus::kUnauthenticated);  // not failing yet: not charged
  for (int i = 0; i < 10; ++i) {
    clock_.advance(std::chrono::seconds(1));
    EXPECT_EQ(keyed(chain, stale("node-a")).status, AuthStatus::kUnauthenticated);
  }
  clock_.advance(std::chrono::seconds(1));
  const auto limited = keyed(chain, issuer_.issue("node-a").value());
  EXPECT_EQ(limited.status, AuthStatus::kRateLimited);
  EXPECT_EQ(limited.failure_class, "rate_limited_identity");
  EXPECT_EQ(last_event()["limiter_decision"], "deny_identity_failures");
  EXPECT_EQ(keyed(chain, issuer_.issue("node-c").value()).status, AuthStatus::kAllowed);
  clock_.advance(limited.retry_after);
  EXPECT_EQ(keyed(chain, issuer_.issue("node-a").value()).status, AuthStatus::kAllowed);
  // After a success node-a is back on its job budget only, although the attempt budget is empty.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(keyed(chain, issuer_.issue("node-a").value()).status, AuthStatus::kAllowed);
  }
}

TEST_F(AuthChainKeysTest, WritesAlsoDrawOnTheWriteBudget) {
  EXPECT_EQ(keyed(issuer_.issue("node-a").value(), "192.0.2.1", true).status, AuthStatus::kAllowed);
  EXPECT_EQ(keyed(issuer_.issue("node-a").value(), "192.0.2.1", true).status, AuthStatus::kAllowed);
  const auto limited = keyed(issuer_.issue("node-a").value(), "192.0.2.1", true);
  EXPECT_EQ(limited.status, AuthStatus::kRateLimited);
  EXPECT_EQ(limited.retry_after, std::chrono::seconds(60));
  EXPECT_EQ(last_event()["limiter_decision"], "deny_identity_write");
  EXPECT_EQ(keyed(issuer_.issue("node-a").value()).status, AuthStatus::kAllowed);
}

TEST_F(AuthChainKeysTest, JobBudgetPerIdentityAcrossSources) {
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(keyed(issuer_.issue("node-a").value(), "198.51.100." + std::to_string(i)).status, AuthStatus::kAllowed);
  }
  const auto limited = keyed(issuer_.issue("node-a").value());
  EXPECT_EQ(limited.status, AuthStatus::kRateLimited);
  EXPECT_EQ(limited.retry_after, std::chrono::seconds(2));
  EXPECT_EQ(last_event()["limiter_decision"], "deny_identity");
  EXPECT_EQ(keyed(issuer_.issue("node-b").value()).status, AuthStatus::kAllowed);
}

TEST_F(AuthChainKeysTest, RegistryFaultOnAClaimDenies) {
  AuthChainParts faulty = parts(*keys_lockout_);
  faulty.known_subject = [](std::string_view) -> base::Result<bool, StateError> {
    return base::unexpected(StateError{"injected registry fault"});
  };
  const AuthChain chain(std::move(faulty));
  EXPECT_EQ(keyed(chain, wrong_key_issuer_.issue("node-b").value()).status, AuthStatus::kUnavailable);
  EXPECT_EQ(keyed(chain, issuer_.issue("node-b").value()).status, AuthStatus::kAllowed);
}

}  // namespace
}  // namespace rustynet::control
