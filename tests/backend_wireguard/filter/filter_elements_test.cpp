// SPDX-License-Identifier: Apache-2.0
// disjoint_elements: overlapping rules become disjoint set elements covering exactly their union.
#include "filter/disjoint_elements.hpp"

#include <gtest/gtest.h>

#include <random>

namespace rustynet::backend_wireguard::filter {
namespace {

namespace api = backend_api;

api::IpAddress address(const std::string& text) { return api::IpAddress::parse(text).value(); }

api::FilterRule rule(const std::string& remote, const std::string& local, api::FilterProtocol protocol,
                     std::uint16_t first = 0, std::uint16_t last = 65535) {
  return api::FilterRule{api::IpPrefix::parse(remote).value(), address(local), protocol, api::PortRange{first, last}};
}

SetElement element(const std::string& first, const std::string& last, const std::string& local,
                   api::FilterProtocol protocol, std::uint16_t port_first = 0, std::uint16_t port_last = 65535) {
  return SetElement{AddressRange{address(first), address(last)}, address(local), protocol,
                    api::PortRange{port_first, port_last}};
}

constexpr auto kTcp = api::FilterProtocol::kTcp;
constexpr auto kUdp = api::FilterProtocol::kUdp;
constexpr auto kIcmp = api::FilterProtocol::kIcmp;

TEST(DisjointElementsTest, EmptyRulesGiveNoElements) { EXPECT_TRUE(disjoint_elements({}).empty()); }

TEST(DisjointElementsTest, OneRuleIsOneElement) {
  const auto elements = disjoint_elements({rule("10.0.0.0/24", "100.64.0.1", kTcp, 22, 80)});
  ASSERT_EQ(elements.size(), 1U);
  EXPECT_EQ(elements[0], element("10.0.0.0", "10.0.0.255", "100.64.0.1", kTcp, 22, 80));
}

TEST(DisjointElementsTest, DuplicatesAndContainedRulesCollapse) {
  const auto elements = disjoint_elements({rule("10.0.0.0/24", "100.64.0.1", kTcp, 20, 30),
                                           rule("10.0.0.0/24", "100.64.0.1", kTcp, 20, 30),
                                           rule("10.0.0.5/32", "100.64.0.1", kTcp, 25, 28)});
  ASSERT_EQ(elements.size(), 1U);
  EXPECT_EQ(elements[0], element("10.0.0.0", "10.0.0.255", "100.64.0.1", kTcp, 20, 30));
}

TEST(DisjointElementsTest, NestedPrefixWithMorePortsSplitsTheRange) {
  const auto elements = disjoint_elements(
      {rule("10.0.0.0/24", "100.64.0.1", kTcp, 20, 30), rule("10.0.0.5/32", "100.64.0.1", kTcp, 25, 40)});
  const std::vector<SetElement> expected{element("10.0.0.0", "10.0.0.4", "100.64.0.1", kTcp, 20, 30),
                                         element("10.0.0.5", "10.0.0.5", "100.64.0.1", kTcp, 20, 40),
                                         element("10.0.0.6", "10.0.0.255", "100.64.0.1", kTcp, 20, 30)};
  EXPECT_EQ(elements, expected);
}

TEST(DisjointElementsTest, AdjacentPortsJoinAndGapsStaySeparate) {
  const auto elements = disjoint_elements({rule("10.0.0.1/32", "100.64.0.1", kTcp, 22, 22),
                                           rule("10.0.0.1/32", "100.64.0.1", kTcp, 23, 23),
                                           rule("10.0.0.1/32", "100.64.0.1", kTcp, 80, 80)});
  const std::vector<SetElement> expected{element("10.0.0.1", "10.0.0.1", "100.64.0.1", kTcp, 22, 23),
                                         element("10.0.0.1", "10.0.0.1", "100.64.0.1", kTcp, 80, 80)};
  EXPECT_EQ(elements, expected);
}

TEST(DisjointElementsTest, AdjacentRemotesWithEqualPortsJoin) {
  const auto elements = disjoint_elements(
      {rule("10.0.0.0/25", "100.64.0.1", kUdp, 53, 53), rule("10.0.0.128/25", "100.64.0.1", kUdp, 53, 53)});
  ASSERT_EQ(elements.size(), 1U);
  EXPECT_EQ(elements[0], element("10.0.0.0", "10.0.0.255", "100.64.0.1", kUdp, 53, 53));
}

TEST(DisjointElementsTest, LocalsAndProtocolsAreSeparateGroups) {
  const auto elements = disjoint_elements({rule("10.0.0.0/24", "100.64.0.2", kTcp, 22, 22),
                                           rule("10.0.0.0/24", "100.64.0.1", kUdp, 22, 22),
                                           rule("10.0.0.0/24", "100.64.0.1", kTcp, 22, 22)});
  const std::vector<SetElement> expected{element("10.0.0.0", "10.0.0.255", "100.64.0.1", kTcp, 22, 22),
                                         element("10.0.0.0", "10.0.0.255", "100.64.0.1", kUdp, 22, 22),
                                         element("10.0.0.0", "10.0.0.255", "100.64.0.2", kTcp, 22, 22)};
  EXPECT_EQ(elements, expected);
}

TEST(DisjointElementsTest, EndOfAddressSpaceV4) {
  const auto elements = disjoint_elements(
      {rule("0.0.0.0/0", "100.64.0.1", kTcp, 1, 1), rule("255.255.255.255/32", "100.64.0.1", kTcp, 2, 2)});
  const std::vector<SetElement> expected{element("0.0.0.0", "255.255.255.254", "100.64.0.1", kTcp, 1, 1),
                                         element("255.255.255.255", "255.255.255.255", "100.64.0.1", kTcp, 1, 2)};
  EXPECT_EQ(elements, expected);
}

TEST(DisjointElementsTest, EndAndStartOfAddressSpaceV6) {
  const auto elements = disjoint_elements({rule("::/0", "fd00::1", kIcmp),
                                           rule("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "fd00::1", kIcmp),
                                           rule("::/128", "fd00::1", kIcmp)});
  ASSERT_EQ(elements.size(), 1U);
  EXPECT_EQ(elements[0], element("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fd00::1", kIcmp));
}

TEST(DisjointElementsTest, V6NestedSplitAcrossTheSixtyFourBitBoundary) {
  const auto elements = disjoint_elements(
      {rule("fd00::/56", "fd00::1", kTcp, 443, 443), rule("fd00:0:0:10::/64", "fd00::1", kTcp, 80, 80)});
  const std::vector<SetElement> expected{
      element("fd00::", "fd00:0:0:f:ffff:ffff:ffff:ffff", "fd00::1", kTcp, 443, 443),
      element("fd00:0:0:10::", "fd00::10:ffff:ffff:ffff:ffff", "fd00::1", kTcp, 80, 80),
      element("fd00:0:0:10::", "fd00::10:ffff:ffff:ffff:ffff", "fd00::1", kTcp, 443, 443),
      element("fd00:0:0:11::", "fd00:0:0:ff:ffff:ffff:ffff:ffff", "fd00::1", kTcp, 443, 443)};
  EXPECT_EQ(elements, expected);
}

// Random rules in a small corner of the address and port space, checked point by point against the
// plain union and for pairwise disjointness.
TEST(DisjointElementsTest, RandomRulesMatchTheirUnionExactly) {
  std::mt19937 random(12345);  // NOLINT(cert-msc32-c,cert-msc51-cpp): reproducible test data
  const api::IpAddress local = address("100.64.0.1");
  for (int round = 0; round < 300; ++round) {
    std::vector<api::FilterRule> rules;
    const int count = 1 + static_cast<int>(random() % 8U);
    for (int i = 0; i < count; ++i) {
      const auto length = static_cast<std::uint8_t>(27U + random() % 6U);  // /27../32 inside 10.0.0.0/27
      const auto host = static_cast<std::uint8_t>(random() % 32U);
      const auto prefix = api::IpPrefix::containing(api::IpAddress::v4({10, 0, 0, host}), length).value();
      const auto first = static_cast<std::uint16_t>(random() % 12U);
      const auto last = static_cast<std::uint16_t>(first + random() % 5U);
      rules.push_back(api::FilterRule{prefix, local, random() % 2U == 0 ? kTcp : kUdp, api::PortRange{first, last}});
    }
    const auto elements = disjoint_elements(rules);
    for (std::uint8_t host = 0; host < 34; ++host) {
      const api::IpAddress remote = api::IpAddress::v4({10, 0, 0, host});
      for (const auto protocol : {kTcp, kUdp}) {
        for (std::uint16_t port = 0; port < 18; ++port) {
          bool in_rules = false;
          for (const auto& r : rules) {
            in_rules = in_rules || (r.protocol == protocol && r.remote.contains(remote) && r.ports.first <= port &&
                                    port <= r.ports.last);
          }
          int in_elements = 0;
          for (const auto& e : elements) {
            in_elements += e.protocol == protocol && e.remote.first <= remote && remote <= e.remote.last &&
                                   e.ports.first <= port && port <= e.ports.last
                               ? 1
                               : 0;
          }
          ASSERT_EQ(in_elements, in_rules ? 1 : 0) << "round " << round << " host " << int{host} << " port " << port;
        }
      }
    }
  }
}

TEST(RenderAddressRangeTest, HostPrefixAndRange) {
  EXPECT_EQ(render_address_range({address("10.0.0.1"), address("10.0.0.1")}), "10.0.0.1");
  EXPECT_EQ(render_address_range({address("10.0.0.0"), address("10.0.0.255")}), "10.0.0.0/24");
  EXPECT_EQ(render_address_range({address("0.0.0.0"), address("255.255.255.255")}), "0.0.0.0/0");
  EXPECT_EQ(render_address_range({address("10.0.0.0"), address("10.0.0.4")}), "10.0.0.0-10.0.0.4");
  EXPECT_EQ(render_address_range({address("10.0.0.1"), address("10.0.0.2")}), "10.0.0.1-10.0.0.2");
  EXPECT_EQ(render_address_range({address("fd00::"), address("fd00::ffff:ffff:ffff:ffff")}), "fd00::/64");
  EXPECT_EQ(render_address_range({address("::"), address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}), "::/0");
  EXPECT_EQ(render_address_range({address("fd00::1"), address("fd00::5")}), "fd00::1-fd00::5");
}

}  // namespace
}  // namespace rustynet::backend_wireguard::filter
