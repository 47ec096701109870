// SPDX-License-Identifier: Apache-2.0
// Strict JSON: duplicates, depth, size, trailing bytes, unknown fields, versions, path errors.
#include "rustynet/base/strict_json.hpp"

#include <gtest/gtest.h>

namespace rustynet::base {
namespace {

TEST(StrictJsonTest, ParsesValidDocument) {
  const auto doc = parse_strict_json(R"({"version": 1, "name": "n1", "tags": ["a"]})");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc.value()["name"], "n1");
}

TEST(StrictJsonTest, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_FALSE(parse_strict_json(R"({"a": 1, "a": 2})").has_value());
  const auto nested = parse_strict_json(R"({"x": {"b": 1, "b": 1}})");
  ASSERT_FALSE(nested.has_value());
  EXPECT_NE(nested.error().message.find("duplicate key \"b\""), std::string::npos);
  // The same key in sibling objects is fine.
  EXPECT_TRUE(parse_strict_json(R"([{"b": 1}, {"b": 2}])").has_value());
}

TEST(StrictJsonTest, RejectsTrailingBytesInvalidDepthAndSize) {
  EXPECT_FALSE(parse_strict_json(R"({"a": 1} {"b": 2})").has_value());
  EXPECT_FALSE(parse_strict_json(R"({"a": 1)").has_value());
  EXPECT_FALSE(parse_strict_json("").has_value());
  EXPECT_FALSE(parse_strict_json("[[[[1]]]]", JsonLimits{1024, 3}).has_value());
  EXPECT_TRUE(parse_strict_json("[[[[1]]]]", JsonLimits{1024, 5}).has_value());
  EXPECT_FALSE(parse_strict_json(R"({"a": "0123456789"})", JsonLimits{10, 8}).has_value());
}

TEST(StrictJsonTest, ReaderReportsPathsAndUnknownFields) {
  const auto doc = parse_strict_json(R"({"version": 1, "port": "x", "extra": true})").value();
  auto reader = JsonObjectReader::create(doc, "$").value();
  EXPECT_TRUE(require_version(reader, 1).has_value());
  const auto port = reader.required_int("port");
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().path, "$.port");
  const auto finished = reader.finish();
  ASSERT_FALSE(finished.has_value());
  EXPECT_EQ(finished.error().path, "$.extra");
  EXPECT_EQ(finished.error().message, "unknown field");
}

TEST(StrictJsonTest, UnknownVersionIsRejected) {
  const auto doc = parse_strict_json(R"({"version": 2})").value();
  auto reader = JsonObjectReader::create(doc, "$").value();
  const auto result = require_version(reader, 1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().path, "$.version");
}

TEST(StrictJsonTest, ReaderRejectsWrongTypesAndRanges) {
  const auto doc = parse_strict_json(R"({"big": 18446744073709551615, "flag": 1})").value();
  auto reader = JsonObjectReader::create(doc, "$.cfg").value();
  EXPECT_EQ(reader.required_int("big").error().message, "is out of range");
  EXPECT_EQ(reader.required_bool("flag").error().path, "$.cfg.flag");
  EXPECT_EQ(reader.required_string("missing").error().message, "is required");
  EXPECT_FALSE(JsonObjectReader::create(nlohmann::json::array(), "$").has_value());
}

}  // namespace
}  // namespace rustynet::base
