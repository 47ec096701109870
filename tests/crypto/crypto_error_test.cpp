// SPDX-License-Identifier: Apache-2.0
// Error kinds have stable names.
#include "rustynet/crypto/crypto_error.hpp"

#include <gtest/gtest.h>

namespace rustynet::crypto {
namespace {

TEST(CryptoErrorTest, KindsHaveStableNames) {
  EXPECT_EQ(to_string(CryptoErrorKind::kDeniedAlgorithm), "denied_algorithm");
  EXPECT_EQ(to_string(CryptoErrorKind::kVerifyFailed), "verify_failed");
}

}  // namespace
}  // namespace rustynet::crypto
