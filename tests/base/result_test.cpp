// SPDX-License-Identifier: Apache-2.0
// Result<T, E> semantics: values, errors, chaining, early-return macros, abort on misuse.
#include "rustynet/base/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace rustynet::base {
namespace {

struct TestError {
  int code = 0;
};

Result<int, TestError> parse_positive(int x) {
  if (x <= 0) {
    return unexpected(TestError{x});
  }
  return x;
}

Result<int, TestError> doubled(int x) {
  RUSTYNET_ASSIGN_OR_RETURN(const int checked, parse_positive(x));
  return checked * 2;
}

Status<TestError> check(int x) {
  RUSTYNET_RETURN_IF_ERROR(parse_positive(x));
  return {};
}

TEST(ResultTest, HoldsValueOrError) {
  const auto ok = parse_positive(3);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok.value(), 3);
  const auto bad = parse_positive(-4);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, -4);
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(ResultTest, MacrosPropagateErrors) {
  EXPECT_EQ(doubled(5).value(), 10);
  EXPECT_EQ(doubled(0).error().code, 0);
  EXPECT_TRUE(check(1).has_value());
  EXPECT_EQ(check(-9).error().code, -9);
}

TEST(ResultTest, ChainsWithAndThenAndTransform) {
  auto chained = parse_positive(2).and_then([](int v) { return parse_positive(v - 5); });
  EXPECT_EQ(chained.error().code, -3);
  auto mapped = parse_positive(4).transform([](int v) { return std::to_string(v); });
  EXPECT_EQ(mapped.value(), "4");
  auto remapped = parse_positive(-1).transform_error([](TestError e) { return std::to_string(e.code); });
  EXPECT_EQ(remapped.error(), "-1");
}

TEST(ResultTest, SupportsMoveOnlyValues) {
  Result<std::unique_ptr<int>, TestError> owned(std::make_unique<int>(42));
  auto taken = std::move(owned).value();
  EXPECT_EQ(*taken, 42);
}

TEST(ResultDeathTest, AccessingTheWrongSideAborts) {
  EXPECT_DEATH(static_cast<void>(parse_positive(-1).value()), "called on an error");
  EXPECT_DEATH(static_cast<void>(parse_positive(1).error()), "called on a value");
}

}  // namespace
}  // namespace rustynet::base
