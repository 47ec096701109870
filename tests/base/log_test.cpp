// SPDX-License-Identifier: Apache-2.0
// Logger: one JSON object per line, levels, fixed keys that fields cannot overwrite, escaping.
#include "rustynet/base/log.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <type_traits>

#include "manual_clock.hpp"

namespace rustynet::base {
namespace {

static_assert(!std::is_constructible_v<LogField, std::string_view, const SecretBytes&>,
              "a secret must never be loggable");

TEST(LogLevel, ParsesItsOwnNames) {
  for (const auto level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(parse_log_level(to_string(level)), level);
  }
  EXPECT_FALSE(parse_log_level("INFO").has_value());
  EXPECT_FALSE(parse_log_level("warning").has_value());
  EXPECT_FALSE(parse_log_level("").has_value());
  EXPECT_EQ(parse_log_format("json"), LogFormat::kJson);
  EXPECT_EQ(parse_log_format("text"), LogFormat::kText);
  EXPECT_FALSE(parse_log_format("xml").has_value());
}

TEST(Logger, WritesOneJsonObjectPerLineWithFixedKeysFirst) {
  rustynet::testing::ManualClock clock(1'800'000'000);  // 2027-01-15T08:00:00Z
  std::ostringstream out;
  Logger logger("rustynetd", out, LogLevel::kInfo, LogFormat::kJson, clock);
  logger.info("applied", "applied generation 5", {{"generation", std::uint64_t{5}}, {"delta", -2}, {"ok", true}});
  logger.warn("odd", "quote \" and\nnewline", {{"msg", "cannot overwrite"}, {"path", std::string("/x")}});
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find('\n')),
            R"({"ts":"2027-01-15T08:00:00Z","level":"info","program":"rustynetd","event":"applied",)"
            R"("msg":"applied generation 5","generation":5,"delta":-2,"ok":true})");
  std::istringstream lines(text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << line;
    ++count;
    if (count == 2) {
      EXPECT_EQ(json["level"], "warn");
      EXPECT_EQ(json["msg"], "quote \" and\nnewline");
      EXPECT_EQ(json["path"], "/x");
    }
  }
  EXPECT_EQ(count, 2);
}

TEST(Logger, DropsLinesBelowItsLevel) {
  rustynet::testing::ManualClock clock;
  std::ostringstream out;
  Logger logger("p", out, LogLevel::kWarn, LogFormat::kJson, clock);
  logger.debug("d", "d");
  logger.info("i", "i");
  EXPECT_TRUE(out.str().empty());
  logger.error("e", "e");
  EXPECT_NE(out.str().find(R"("level":"error")"), std::string::npos);
  logger.set_level(LogLevel::kDebug);
  logger.debug("d", "now shown");
  EXPECT_NE(out.str().find("now shown"), std::string::npos);
}

TEST(Logger, UnusableWallClockGivesNullTimestampAndInvalidUtf8IsReplaced) {
  rustynet::testing::ManualClock clock;
  clock.set_wall_usable(false);
  std::ostringstream out;
  Logger logger("p", out, LogLevel::kInfo, LogFormat::kJson, clock);
  logger.info("e", "bad \xff byte");
  const auto json = nlohmann::json::parse(out.str(), nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << out.str();
  EXPECT_TRUE(json["ts"].is_null());
  EXPECT_EQ(json["msg"], "bad \xef\xbf\xbd byte");
}

TEST(Logger, TextFormatIsForPeople) {
  EXPECT_EQ(format_log_line(LogFormat::kText, std::nullopt, "rustynet", LogLevel::kError, "e", "cannot connect",
                            {{"path", "/run/x.sock"}, {"code", 3}}),
            R"(rustynet: [error] cannot connect (path="/run/x.sock" code=3))");
  EXPECT_EQ(format_log_line(LogFormat::kText, std::nullopt, "p", LogLevel::kInfo, "e", "plain", {}), "p: plain");
}

}  // namespace
}  // namespace rustynet::base
