// SPDX-License-Identifier: Apache-2.0
// IpAddress, IpPrefix, InterfaceAddress and SocketEndpoint: strict parsing, canonical text.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "rustynet/backend_api/interface_address.hpp"
#include "rustynet/backend_api/ip_address.hpp"
#include "rustynet/backend_api/ip_prefix.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"

namespace rustynet::backend_api {
namespace {

std::string canonical(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  return parsed.has_value() ? parsed->to_string() : "<invalid: " + parsed.error().message + ">";
}

TEST(IpAddressTest, ParsesAndFormatsIpv4) {
  EXPECT_EQ(canonical("10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(canonical("255.255.255.255"), "255.255.255.255");
  const auto address = IpAddress::parse("192.0.2.7").value();
  EXPECT_TRUE(address.is_v4());
  EXPECT_EQ(address.bytes().size(), 4U);
  EXPECT_EQ(address.bytes()[3], 7);
  EXPECT_EQ(address.bit_width(), 32);
}

TEST(IpAddressTest, FormatsIpv6PerRfc5952) {
  EXPECT_EQ(canonical("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");     // first of equal runs
  EXPECT_EQ(canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");  // a single zero group stays
  EXPECT_EQ(canonical("0:0:0:0:0:0:0:0"), "::");
  EXPECT_EQ(canonical("::1"), "::1");
  EXPECT_EQ(canonical("1::"), "1::");
  EXPECT_EQ(canonical("fe80:0000:0000:0000:0204:61ff:fe9d:f156"), "fe80::204:61ff:fe9d:f156");
  EXPECT_EQ(canonical("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
  EXPECT_EQ(canonical("2001:db8::0.0.0.1"), "2001:db8::1");
  EXPECT_TRUE(IpAddress::parse("::ffff:192.0.2.1")->is_v6());  // never converted to IPv4
}

TEST(IpAddressTest, RejectsMalformedText) {
  const char* const kBad[] = {
      "",         "1.2.3",    "1.2.3.4.5",  "01.2.3.4",  "1.2.3.256",    "1.2.3.-1",          "0x1.2.3.4",
      " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/32", "[::1]",     "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "1::2::3",
      "12345::",  "g::1",     ":::",        "1.2.3.4:80"};
  for (const char* text : kBad) {
    const auto parsed = IpAddress::parse(text);
    ASSERT_FALSE(parsed.has_value()) << "accepted '" << text << "'";
    EXPECT_EQ(parsed.error().kind, BackendErrorKind::kInvalidInput);
  }
  EXPECT_FALSE(IpAddress::parse(std::string(1000, '1')).has_value());
}

TEST(IpAddressTest, RandomAddressesRoundTrip) {
  std::mt19937_64 rng(20261125);
  for (int i = 0; i < 5000; ++i) {
    std::array<std::uint8_t, 16> bytes{};
    for (auto& b : bytes) {
      // Mostly zeros, so compression paths are exercised.
      b = (rng() % 3 == 0) ? static_cast<std::uint8_t>(rng()) : 0;
    }
    const IpAddress v6 = IpAddress::v6(bytes);
    const auto reparsed = IpAddress::parse(v6.to_string());
    ASSERT_TRUE(reparsed.has_value()) << v6.to_string();
    EXPECT_EQ(*reparsed, v6) << v6.to_string();
    const IpAddress v4 = IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    EXPECT_EQ(IpAddress::parse(v4.to_string()).value(), v4);
  }
}

TEST(IpAddressTest, OrdersIpv4BeforeIpv6) {
  EXPECT_LT(IpAddress::parse("255.255.255.255").value(), IpAddress::parse("::").value());
  EXPECT_LT(IpAddress::parse("10.0.0.1").value(), IpAddress::parse("10.0.0.2").value());
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("::")->is_unspecified());
  EXPECT_FALSE(IpAddress::parse("::1")->is_unspecified());
}

TEST(IpPrefixTest, ParsesCanonicalPrefixes) {
  const auto prefix = IpPrefix::parse("10.1.0.0/16");
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(prefix->length(), 16);
  EXPECT_EQ(prefix->address().to_string(), "10.1.0.0");
  EXPECT_EQ(prefix->family(), IpFamily::kV4);
  EXPECT_EQ(prefix->to_string(), "10.1.0.0/16");
  EXPECT_EQ(IpPrefix::parse("2001:DB8::/32")->to_string(), "2001:db8::/32");
  EXPECT_TRUE(IpPrefix::parse("0.0.0.0/0")->is_default());
  EXPECT_TRUE(IpPrefix::parse("::/0")->is_default());
  EXPECT_TRUE(IpPrefix::parse("10.1.2.3/32").has_value());
  EXPECT_TRUE(IpPrefix::parse("2001:db8::1/128").has_value());
}

TEST(IpPrefixTest, RejectsHostBitsAndMalformedLengths) {
  const char* const kBad[] = {"10.1.2.3/16",    "10.1.0.0/33",  "10.1.0.0/",    "10.1.0.0",
                              "10.1.0.0/016",   "10.1.0.0/+16", "10.1.0.0/1 6", "::1/127",
                              "2001:db8::/129", "/8",           "10.0.0.0/8/8", "10.0.0.0/-1"};
  for (const char* text : kBad) {
    const auto parsed = IpPrefix::parse(text);
    ASSERT_FALSE(parsed.has_value()) << "accepted '" << text << "'";
    EXPECT_EQ(parsed.error().kind, BackendErrorKind::kInvalidInput);
  }
  EXPECT_FALSE(IpPrefix::create(IpAddress::parse("10.0.0.1").value(), 8).has_value());
}

TEST(IpPrefixTest, ContainingMasksAndContainsChecksFamilyAndBits) {
  const auto network = IpPrefix::containing(IpAddress::parse("10.1.2.3").value(), 12);
  ASSERT_TRUE(network.has_value());
  EXPECT_EQ(network->to_string(), "10.0.0.0/12");
  EXPECT_EQ(IpPrefix::containing(IpAddress::parse("2001:db8:ffff::1").value(), 35)->to_string(), "2001:db8:e000::/35");
  const IpPrefix ten = IpPrefix::parse("10.0.0.0/8").value();
  EXPECT_TRUE(ten.contains(IpAddress::parse("10.255.0.1").value()));
  EXPECT_FALSE(ten.contains(IpAddress::parse("11.0.0.1").value()));
  EXPECT_FALSE(ten.contains(IpAddress::parse("::ffff:10.0.0.1").value()));
  EXPECT_TRUE(ten.contains(IpPrefix::parse("10.1.0.0/16").value()));
  EXPECT_FALSE(IpPrefix::parse("10.1.0.0/16")->contains(ten));
  EXPECT_TRUE(IpPrefix::parse("0.0.0.0/0")->contains(IpAddress::parse("192.0.2.1").value()));
  EXPECT_LT(IpPrefix::parse("10.0.0.0/8").value(), IpPrefix::parse("10.0.0.0/9").value());
}

TEST(InterfaceAddressTest, KeepsHostBitsAndDerivesNetwork) {
  const auto address = InterfaceAddress::parse("100.64.0.7/10");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->to_string(), "100.64.0.7/10");
  EXPECT_EQ(address->network().to_string(), "100.64.0.0/10");
  EXPECT_EQ(InterfaceAddress::parse("FD7A::7/48")->to_string(), "fd7a::7/48");
  for (const char* bad : {"100.64.0.7", "0.0.0.0/8", "::/64", "100.64.0.7/33", "100.64.0.7/08"}) {
    EXPECT_FALSE(InterfaceAddress::parse(bad).has_value()) << bad;
  }
}

TEST(SocketEndpointTest, ParsesBothFamilies) {
  const auto v4 = SocketEndpoint::parse("192.0.2.1:51820");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->port(), 51820);
  EXPECT_EQ(v4->address().to_string(), "192.0.2.1");
  EXPECT_EQ(v4->to_string(), "192.0.2.1:51820");
  const auto v6 = SocketEndpoint::parse("[2001:DB8::1]:65535");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->family(), IpFamily::kV6);
  EXPECT_EQ(v6->to_string(), "[2001:db8::1]:65535");
  EXPECT_EQ(SocketEndpoint::parse("[::ffff:192.0.2.1]:1")->to_string(), "[::ffff:192.0.2.1]:1");
}

TEST(SocketEndpointTest, RejectsMalformedEndpoints) {
  const char* const kBad[] = {
      "192.0.2.1",       "192.0.2.1:", "192.0.2.1:0",     "192.0.2.1:65536",   "192.0.2.1:051820", "192.0.2.1:+80",
      "0.0.0.0:80",      "[::]:80",    "2001:db8::1:80",  "[2001:db8::1]",     "[2001:db8::1]80",  "[192.0.2.1]:80",
      "[2001:db8::1:80", ":80",        "host.example:80", "[fe80::1%eth0]:80", "192.0.2.1:80:80",  ""};
  for (const char* text : kBad) {
    const auto parsed = SocketEndpoint::parse(text);
    ASSERT_FALSE(parsed.has_value()) << "accepted '" << text << "'";
    EXPECT_EQ(parsed.error().kind, BackendErrorKind::kInvalidInput);
  }
  EXPECT_FALSE(SocketEndpoint::create(IpAddress::parse("192.0.2.1").value(), 0).has_value());
}

}  // namespace
}  // namespace rustynet::backend_api
