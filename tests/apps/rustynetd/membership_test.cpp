// SPDX-License-Identifier: Apache-2.0
// MembershipWatch and is_membership_refusal: which refusals mean "not a member", the back-off to
// at least an hour, one log line per step, and the way back.
#include "membership.hpp"

#include <gtest/gtest.h>

#include <random>

namespace rustynet::apps::daemon {
namespace {

using std::chrono::milliseconds;

SyncFailure refused(unsigned status, std::string error_class) {
  return SyncFailure{DaemonError{DaemonErrorKind::kControl, "control answered HTTP " + std::to_string(status)},
                     std::nullopt, false, ControlRefusal{status, std::move(error_class)}};
}

TEST(MembershipRefusalTest, OnlyRefusalsOfTheNodeItselfCount) {
  EXPECT_TRUE(is_membership_refusal(refused(401, "node_removed")));
  EXPECT_TRUE(is_membership_refusal(refused(401, "bad_signature")));  // never added, or a wrong key
  EXPECT_TRUE(is_membership_refusal(refused(401, "revoked")));
  EXPECT_TRUE(is_membership_refusal(refused(403, "forbidden")));
  // A clock before NTP, a limit, a server problem or no answer at all keep the normal backoff.
  EXPECT_FALSE(is_membership_refusal(refused(401, "expired")));
  EXPECT_FALSE(is_membership_refusal(refused(401, "not_yet_valid")));
  EXPECT_FALSE(is_membership_refusal(refused(401, "")));
  EXPECT_FALSE(is_membership_refusal(refused(429, "rate_limited")));
  EXPECT_FALSE(is_membership_refusal(refused(503, "unavailable")));
  EXPECT_FALSE(
      is_membership_refusal(SyncFailure{DaemonError{DaemonErrorKind::kControl, "connect: refused"}, std::nullopt}));
}

TEST(MembershipWatchTest, BacksOffFromThirtySecondsToAtLeastAnHour) {
  MembershipWatch watch;
  std::mt19937_64 random(7);
  std::int64_t base = 30'000;
  milliseconds last{0};
  for (int attempt = 0; attempt < 14; ++attempt) {
    const auto step = watch.refused({401, "bad_signature"}, random());
    EXPECT_GE(step.delay.count(), base / 2) << attempt;
    EXPECT_LE(step.delay.count(), base) << attempt;
    EXPECT_NE(step.log_line.find("attempt " + std::to_string(attempt + 1)), std::string::npos) << step.log_line;
    base = std::min<std::int64_t>(base * 2, MembershipWatch::kMaximum.count());
    last = step.delay;
  }
  EXPECT_GE(last, std::chrono::hours(1));  // the cap: never sooner than an hour once reached
  EXPECT_TRUE(watch.removed());
  EXPECT_EQ(watch.reason(), "removed from the mesh by control (HTTP 401 bad_signature)");
}

TEST(MembershipWatchTest, TheLowestJitterStillReachesAnHour) {
  MembershipWatch watch;
  milliseconds delay{0};
  for (int attempt = 0; attempt < 9; ++attempt) {
    delay = watch.refused({401, "revoked"}, 0).delay;
  }
  EXPECT_EQ(delay, std::chrono::hours(1));
}

TEST(MembershipWatchTest, AnAcceptedSyncEndsTheRemovalAndResetsTheBackoff) {
  MembershipWatch watch;
  EXPECT_FALSE(watch.accepted());  // a member all along: nothing to report
  (void)watch.refused({401, "bad_signature"}, 0);
  (void)watch.refused({401, "bad_signature"}, 0);
  EXPECT_TRUE(watch.accepted());
  EXPECT_FALSE(watch.removed());
  EXPECT_EQ(watch.reason(), "");
  EXPECT_EQ(watch.refused({403, ""}, 0).delay, milliseconds(15'000));  // from the start again
  EXPECT_EQ(watch.reason(), "removed from the mesh by control (HTTP 403)");
}

}  // namespace
}  // namespace rustynet::apps::daemon
