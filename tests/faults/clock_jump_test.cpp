// SPDX-License-Identifier: Apache-2.0
// Wall-clock steps (NTP, operator) forwards and backwards: signed-state validity, rollback
// protection, rate limits and lockout behave as docs/signed-state.md and docs/token-model.md say.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manual_clock.hpp"
#include "rustynet/control/auth_chain.hpp"
#include "rustynet/control/lockout.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/control/security_event.hpp"
#include "rustynet/control/token.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "temp_dir.hpp"

namespace rustynet::faults {
namespace {

using std::chrono::seconds;

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::int64_t kDay = 86'400;

crypto::Ed25519SigningKey signing_key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(fill);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

// Signed state: validity is decided by the wall clock at verification time, so a step makes
// artifacts not-yet-valid or expired (fail closed) and a corrected clock accepts them again.
// Rollback protection is by generation and does not move with the clock.
TEST(ClockJumpTest, SignedStateValidityFollowsTheWallClockAndRollbackProtectionDoesNot) {
  testing::TempDir dir;
  testing::ManualClock clock(kNow);
  const auto signer = signing_key(1);
  std::array<std::uint8_t, 32> mac{};
  mac.fill(0x5A);
  auto store =
      crypto::TrustStore::initialize(crypto::TrustStore::Options{dir.file("trust.state"), true, {}},
                                     base::SecretBytes(std::span<const std::uint8_t>(mac)), {signer.public_key()});
  ASSERT_TRUE(store.has_value()) << store.error().describe();
  auto envelope = [&](std::uint64_t generation) {
    const std::vector<std::uint8_t> payload{'{', '}'};
    return crypto::sign_envelope(
               signer,
               crypto::EnvelopeHeader{crypto::ArtifactType::kNodeState, "node-a", kNow - 10, kNow + 3600, generation},
               payload)
        .value();
  };
  auto outcome = [&](std::uint64_t generation) -> std::optional<crypto::SignedStateErrorKind> {
    auto result = store->verify(envelope(generation), crypto::ArtifactType::kNodeState, "node-a", clock);
    return result.has_value() ? std::nullopt : std::optional(result.error().kind);
  };
  auto accepted = store->verify(envelope(5), crypto::ArtifactType::kNodeState, "node-a", clock);
  ASSERT_TRUE(accepted.has_value());
  ASSERT_TRUE(store->commit(*accepted).has_value());

  clock.set_wall(kNow - kDay);  // backwards: everything issued "now" is from the future
  EXPECT_EQ(outcome(6), crypto::SignedStateErrorKind::kNotYetValid);
  EXPECT_EQ(outcome(4), crypto::SignedStateErrorKind::kNotYetValid);

  clock.set_wall(kNow + kDay);  // forwards: everything expired
  EXPECT_EQ(outcome(6), crypto::SignedStateErrorKind::kExpired);

  clock.set_wall(kNow + 60);  // corrected: valid again, and the older generation is still a rollback
  EXPECT_EQ(outcome(6), std::nullopt);
  EXPECT_EQ(outcome(4), crypto::SignedStateErrorKind::kRollback);
  EXPECT_EQ(store->state().find_accepted(crypto::ArtifactType::kNodeState, "node-a")->generation, 5U);

  clock.set_wall_usable(false);  // clock lost entirely: deny
  EXPECT_EQ(outcome(6), crypto::SignedStateErrorKind::kClockUnavailable);
}

// The control middleware: rate limits and lockouts run on monotonic time only, so a wall-clock
// step in either direction neither refills buckets nor ends a lockout early.
class AuthChainClockJumpTest : public ::testing::Test {
 protected:
  AuthChainClockJumpTest()
      : clock_(kNow),
        issuer_(signing_key(3), "rustynet-control", clock_),
        ip_limiter_(control::TokenBucketLimiter::create(control::kPerIpRateLimit).value()),
        identity_limiter_(control::TokenBucketLimiter::create(control::kPerIdentityRateLimit).value()),
        lockout_(control::BackoffLockout::create(control::kDefaultLockout).value()),
        nonces_(1000),
        validator_(control::TokenValidatorConfig{"rustynet-control"}, {issuer_.public_key()}, clock_, revocations_,
                   nonces_),
        sink_(control::make_callback_event_sink([this](std::string_view) { ++events_; })),
        chain_(control::AuthChainParts{&clock_, ip_limiter_.get(), identity_limiter_.get(), lockout_.get(), &validator_,
                                       allow_echo, sink_.get()}) {}

  static policy::Decision allow_echo(std::string_view /*identity*/, std::string_view endpoint) {
    if (endpoint == "/v1/echo") {
      return policy::Decision{policy::Verdict::kAllow, policy::DecisionReason::kMatchedAllow, "echo"};
    }
    return policy::Decision::default_deny();
  }
  control::AuthOutcome call(const std::string& token, const std::string& ip) const {
    return chain_.evaluate(control::AuthRequest{ip, "/v1/echo", true, token});
  }
  control::AuthStatus health(const std::string& ip) const {
    return chain_.evaluate(control::AuthRequest{ip, "/v1/health", false, {}}).status;
  }

  testing::ManualClock clock_;
  control::TokenIssuer issuer_;
  std::unique_ptr<control::TokenBucketLimiter> ip_limiter_;
  std::unique_ptr<control::TokenBucketLimiter> identity_limiter_;
  std::unique_ptr<control::BackoffLockout> lockout_;
  control::MemoryRevocationStore revocations_;
  control::MemoryNonceStore nonces_;
  control::TokenValidator validator_;
  std::size_t events_ = 0;
  std::unique_ptr<control::EventSink> sink_;
  control::AuthChain chain_;
};

// The source's lockout is probed with requests that prove nothing (issue 18: a valid token is
// no longer charged to the source it comes from, so it would pass a locked source).
TEST_F(AuthChainClockJumpTest, LockoutSurvivesWallClockStepsAndEndsOnMonotonicTime) {
  const std::string ip = "192.0.2.10";
  EXPECT_EQ(call("garbage", ip).status, control::AuthStatus::kUnauthenticated);
  ASSERT_EQ(call("garbage", ip).status, control::AuthStatus::kLockedOut);
  for (const std::int64_t wall : {kNow + kDay, kNow - kDay, kNow + 365 * kDay}) {
    clock_.set_wall(wall);
    const auto outcome = call("garbage", ip);
    EXPECT_EQ(outcome.status, control::AuthStatus::kLockedOut) << "wall " << wall;
    EXPECT_EQ(outcome.retry_after, seconds(30)) << "wall " << wall;
  }
  clock_.set_wall(kNow);
  clock_.advance(seconds(29));
  EXPECT_EQ(call("garbage", ip).status, control::AuthStatus::kLockedOut);
  clock_.advance(seconds(1));
  // The lock is over: the request is judged again (and refused for what it is, not locked out).
  EXPECT_EQ(call("garbage", ip).status, control::AuthStatus::kUnauthenticated);
  EXPECT_EQ(call(issuer_.issue("node-alice").value(), ip).status, control::AuthStatus::kAllowed);
}

TEST_F(AuthChainClockJumpTest, RateLimitBucketsDoNotRefillOnWallClockSteps) {
  const std::string ip = "192.0.2.20";
  for (std::uint32_t i = 0; i < control::kPerIpRateLimit.burst; ++i) {
    ASSERT_EQ(health(ip), control::AuthStatus::kAllowed) << i;
  }
  EXPECT_EQ(health(ip), control::AuthStatus::kRateLimited);
  clock_.set_wall(kNow + kDay);
  EXPECT_EQ(health(ip), control::AuthStatus::kRateLimited);
  clock_.set_wall(kNow - kDay);
  EXPECT_EQ(health(ip), control::AuthStatus::kRateLimited);
  // 10 per minute: one request's worth after 6 s of monotonic time, whatever the wall clock says.
  clock_.advance(seconds(6));
  EXPECT_EQ(health(ip), control::AuthStatus::kAllowed);
  EXPECT_EQ(health(ip), control::AuthStatus::kRateLimited);
}

// Tokens: a wall step backwards makes current tokens not yet valid, forwards expires them; both
// are rejections (fail closed), and a used token stays used after the clock is corrected.
TEST_F(AuthChainClockJumpTest, TokensFailClosedAcrossStepsAndStayUsedAfterCorrection) {
  const std::string token = issuer_.issue("node-alice").value();
  ASSERT_EQ(call(token, "192.0.2.30").status, control::AuthStatus::kAllowed);
  const std::string unused = issuer_.issue("node-alice").value();
  clock_.set_wall(kNow - 3600);
  auto early = validator_.validate(unused);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().kind, control::TokenRejection::kNotYetValid);
  clock_.set_wall(kNow + 3600);
  auto late = validator_.validate(unused);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().kind, control::TokenRejection::kExpired);
  clock_.set_wall(kNow + 1);
  auto replay = validator_.validate(token);
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error().kind, control::TokenRejection::kReplayedNonce);
  EXPECT_TRUE(validator_.validate(unused).has_value());  // the rejected one was never consumed
  EXPECT_GT(events_, 0U);
}

}  // namespace
}  // namespace rustynet::faults
