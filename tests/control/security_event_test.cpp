// SPDX-License-Identifier: Apache-2.0
// Security event schema: required fields, proper escaping, dedicated sink.
#include "rustynet/control/security_event.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "fakes.hpp"
#include "temp_dir.hpp"

namespace rustynet::control {
namespace {

SecurityEvent sample() {
  SecurityEvent event;
  event.timestamp = base::UnixTime{1'800'000'000};
  event.source_ip = "192.0.2.9";
  event.identity = "node-alice";
  event.endpoint = "/v1/echo";
  event.allowed = false;
  event.failure_class = "rate_limited_ip";
  event.limiter_decision = "deny_ip";
  event.retry_after = std::chrono::milliseconds(6000);
  return event;
}

TEST(SecurityEventTest, RequiredFieldsPresent) {
  const auto json = nlohmann::json::parse(to_json_line(sample()));
  for (const char* field :
       {"schema", "version", "timestamp", "source_ip", "identity", "identity_verified", "endpoint", "outcome",
        "failure_class", "limiter_decision", "lockout_decision", "retry_after_ms", "abuse_key"}) {
    EXPECT_TRUE(json.contains(field)) << field;
  }
  EXPECT_EQ(json["schema"], "rustynet.security_event");
  EXPECT_EQ(json["version"], 2);
  EXPECT_EQ(json["timestamp"], 1'800'000'000);
  EXPECT_EQ(json["source_ip"], "192.0.2.9");
  EXPECT_EQ(json["identity"], "node-alice");
  EXPECT_EQ(json["outcome"], "deny");
  EXPECT_EQ(json["failure_class"], "rate_limited_ip");
  EXPECT_EQ(json["limiter_decision"], "deny_ip");
  EXPECT_EQ(json["retry_after_ms"], 6000);
}

TEST(SecurityEventTest, HostileIdentityIsEscapedAndBounded) {
  SecurityEvent event = sample();
  event.identity = std::string("evil\"},\n{\"outcome\":\"allow\"\xff\xfe") + std::string(500, 'x');
  event.timestamp.reset();
  const std::string line = to_json_line(event);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto json = nlohmann::json::parse(line);  // still one valid object
  EXPECT_EQ(json["outcome"], "deny");
  EXPECT_TRUE(json["timestamp"].is_null());
  EXPECT_LE(json["identity"].get<std::string>().size(), 128U + 8U);
}

TEST(SecurityEventTest, EmptyIdentityIsNull) {
  SecurityEvent event = sample();
  event.identity.clear();
  EXPECT_TRUE(nlohmann::json::parse(to_json_line(event))["identity"].is_null());
}

TEST(SecurityEventTest, CallbackSinkEmitsOneLinePerEvent) {
  testing::EventLog log;
  auto sink = log.make_sink();
  sink->emit(sample());
  sink->emit(sample());
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(log.lines()[0], to_json_line(sample()));
}

TEST(SecurityEventTest, FileSinkWritesJsonLines) {
  testing::TempDir dir;
  const std::string path = dir.file("events.log");
  {
    auto sink = make_file_event_sink(path);
    ASSERT_TRUE(sink.has_value());
    (*sink)->emit(sample());
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, to_json_line(sample()));
  EXPECT_FALSE(make_file_event_sink(path + "/not-a-directory.log").has_value());  // parent is a file
}

}  // namespace
}  // namespace rustynet::control
