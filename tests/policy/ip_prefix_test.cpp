// SPDX-License-Identifier: Apache-2.0
// IpAddress / IpPrefix: strict parsing, canonical formatting, containment.
#include "rustynet/policy/ip_prefix.hpp"

#include <gtest/gtest.h>

namespace rustynet::policy {
namespace {

IpAddress addr(const char* text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

TEST(IpAddressTest, ParsesAndFormatsIpv4) {
  EXPECT_EQ(addr("10.1.2.3").to_string(), "10.1.2.3");
  EXPECT_EQ(addr("255.255.255.255").lo(), 0xFFFFFFFFULL);
  EXPECT_EQ(addr("0.0.0.0").family(), IpFamily::kV4);
}

TEST(IpAddressTest, RejectsAmbiguousOrMalformedIpv4) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
                          "1.2.3.x", "1.2.3.4.", "1234.1.1.1", "-1.2.3.4"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
}

TEST(IpAddressTest, ParsesAndFormatsIpv6Canonically) {
  EXPECT_EQ(addr("2001:DB8:0:0:0:0:0:1").to_string(), "2001:db8::1");
  EXPECT_EQ(addr("::").to_string(), "::");
  EXPECT_EQ(addr("::1").to_string(), "::1");
  EXPECT_EQ(addr("fd00::").to_string(), "fd00::");
  EXPECT_EQ(addr("1:0:0:2:0:0:0:3").to_string(), "1:0:0:2::3");       // longest run compressed
  EXPECT_EQ(addr("1:0:2:3:4:5:6:7").to_string(), "1:0:2:3:4:5:6:7");  // single zero group not compressed
  EXPECT_EQ(addr("2001:db8::1").family(), IpFamily::kV6);
}

TEST(IpAddressTest, RejectsMalformedIpv6) {
  for (const char* bad : {":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "fe80::1%eth0",
                          "::ffff:1.2.3.4", "1:", ":1", "g::1", "1:2:3:4:5:6:7::8"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
}

TEST(IpPrefixTest, ParsesStrictly) {
  auto prefix = IpPrefix::parse("10.0.0.0/8");
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(prefix->to_string(), "10.0.0.0/8");
  EXPECT_EQ(IpPrefix::parse("10.0.0.1")->to_string(), "10.0.0.1/32");
  EXPECT_EQ(IpPrefix::parse("fd00::/8")->to_string(), "fd00::/8");
  EXPECT_EQ(IpPrefix::parse("::/0")->length(), 0U);
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1", "fd00::1/8", "::/129",
                          "/8", "10.0.0.0/8/8", "10.0.0.0/a"}) {
    EXPECT_FALSE(IpPrefix::parse(bad).has_value()) << bad;
  }
}

TEST(IpPrefixTest, ContainmentRespectsFamilyAndLength) {
  const auto v4 = IpPrefix::parse("192.168.0.0/16").value();
  EXPECT_TRUE(v4.contains(addr("192.168.255.1")));
  EXPECT_FALSE(v4.contains(addr("192.169.0.1")));
  const auto all_v6 = IpPrefix::parse("::/0").value();
  EXPECT_TRUE(all_v6.contains(addr("2001:db8::1")));
  EXPECT_FALSE(all_v6.contains(addr("10.0.0.1")));  // families never mix
  const auto all_v4 = IpPrefix::parse("0.0.0.0/0").value();
  EXPECT_TRUE(all_v4.contains(addr("10.0.0.1")));
  EXPECT_FALSE(all_v4.contains(addr("::1")));
  const auto v6 = IpPrefix::parse("2001:db8:0:1::/65").value();
  EXPECT_TRUE(v6.contains(addr("2001:db8:0:1:7fff::1")));
  EXPECT_FALSE(v6.contains(addr("2001:db8:0:1:8000::1")));
}

}  // namespace
}  // namespace rustynet::policy
