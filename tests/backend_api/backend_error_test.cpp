// SPDX-License-Identifier: Apache-2.0
// BackendErrorKind: stable numbers and names; BackendError construction and formatting.
#include "rustynet/backend_api/backend_error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rustynet::backend_api {
namespace {

TEST(BackendErrorTest, KindNumbersAreStable) {
  // These numbers reach logs and API JSON: changing one is a breaking change.
  EXPECT_EQ(static_cast<int>(BackendErrorKind::kInvalidInput), 1);
  EXPECT_EQ(static_cast<int>(BackendErrorKind::kAlreadyRunning), 2);
  EXPECT_EQ(static_cast<int>(BackendErrorKind::kNotRunning), 3);
  EXPECT_EQ(static_cast<int>(BackendErrorKind::kInternal), 4);
  EXPECT_EQ(static_cast<int>(BackendErrorKind::kUnsupported), 5);
}

TEST(BackendErrorTest, KindNamesAreDistinct) {
  const BackendErrorKind kinds[] = {BackendErrorKind::kInvalidInput, BackendErrorKind::kAlreadyRunning,
                                    BackendErrorKind::kNotRunning, BackendErrorKind::kInternal,
                                    BackendErrorKind::kUnsupported};
  std::set<std::string> names;
  for (const BackendErrorKind kind : kinds) {
    names.emplace(to_string(kind));
  }
  EXPECT_EQ(names.size(), std::size(kinds));
  EXPECT_EQ(to_string(BackendErrorKind::kUnsupported), "unsupported");
  EXPECT_EQ(to_string(static_cast<BackendErrorKind>(99)), "unknown");
}

TEST(BackendErrorTest, FactoriesSetTheKind) {
  EXPECT_EQ(BackendError::invalid_input("x").kind, BackendErrorKind::kInvalidInput);
  EXPECT_EQ(BackendError::already_running("x").kind, BackendErrorKind::kAlreadyRunning);
  EXPECT_EQ(BackendError::not_running("x").kind, BackendErrorKind::kNotRunning);
  EXPECT_EQ(BackendError::internal("x").kind, BackendErrorKind::kInternal);
  EXPECT_EQ(BackendError::unsupported("x").kind, BackendErrorKind::kUnsupported);
  EXPECT_EQ(BackendError::unsupported("no LAN routes").describe(), "unsupported: no LAN routes");
  EXPECT_EQ(testing::PrintToString(BackendError::internal("boom")), "internal: boom");
}

TEST(BackendErrorTest, ResultAliasesCarryTheError) {
  const BackendStatus failed = fail(BackendError::not_running("stopped"));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, BackendErrorKind::kNotRunning);
  const BackendResult<int> ok = 7;
  EXPECT_EQ(ok.value(), 7);
}

}  // namespace
}  // namespace rustynet::backend_api
