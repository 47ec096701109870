// SPDX-License-Identifier: Apache-2.0
// The PacketFilterBackend contract checks, run against any implementation through the interface.
#include "packet_filter_contract.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "rustynet/backend_api/reference_packet_filter.hpp"

namespace rustynet::backend_contract {
namespace {

namespace api = backend_api;

using api::FilterProtocol;
using api::FlowDirection;

constexpr FilterProtocol kTcp = FilterProtocol::kTcp;
constexpr FilterProtocol kUdp = FilterProtocol::kUdp;
constexpr FilterProtocol kIcmp = FilterProtocol::kIcmp;
constexpr FilterProtocol kOther = FilterProtocol::kOther;

api::IpAddress ip(const std::string& text) { return api::IpAddress::parse(text).value(); }
api::IpPrefix net(const std::string& text) { return api::IpPrefix::parse(text).value(); }

api::FilterRule rule(const std::string& remote, const std::string& local, FilterProtocol protocol,
                     std::uint16_t first = 0, std::uint16_t last = 65535) {
  return api::FilterRule{net(remote), ip(local), protocol, api::PortRange{first, last}};
}

api::FlowQuery inbound(const std::string& remote, const std::string& local, FilterProtocol protocol,
                       std::uint16_t port = 0) {
  return api::FlowQuery{FlowDirection::kInbound, ip(remote), ip(local), protocol, port};
}

api::FlowQuery outbound(const std::string& remote, const std::string& local, FilterProtocol protocol,
                        std::uint16_t port = 0) {
  return api::FlowQuery{FlowDirection::kOutbound, ip(remote), ip(local), protocol, port};
}

std::string describe(const api::FlowQuery& flow) {
  return std::string(flow.direction == FlowDirection::kInbound ? "inbound " : "outbound ") + flow.remote.to_string() +
         " -> " + flow.local.to_string() + " " + std::string(api::to_string(flow.protocol)) + " port " +
         std::to_string(flow.port);
}

// allows() must answer; records a failure (and returns false) if it does not.
bool allowed(api::PacketFilterBackend& filter, const api::FlowQuery& flow) {
  auto answer = filter.allows(flow);
  if (!answer.has_value()) {
    ADD_FAILURE() << describe(flow) << ": allows() failed: " << answer.error().describe();
    return false;
  }
  return answer.value();
}

void expect_allows(api::PacketFilterBackend& filter, const api::FlowQuery& flow, bool expected) {
  EXPECT_EQ(allowed(filter, flow), expected) << describe(flow);
}

api::FilterState verified(api::PacketFilterBackend& filter) {
  auto state = filter.verify();
  if (!state.has_value()) {
    ADD_FAILURE() << "verify() failed: " << state.error().describe();
    return {};
  }
  return state.value();
}

void expect_ok(const api::BackendStatus& status, const char* what) {
  EXPECT_TRUE(status.has_value()) << what << ": " << (status.has_value() ? "" : status.error().describe());
}

// Covers every set: both directions, both families, every protocol.
const api::FilterSpec& sample_spec() {
  static const api::FilterSpec spec = [] {
    api::FilterSpec s;
    s.generation = 11;
    s.inbound = {rule("100.64.0.2/32", "100.64.0.1", kTcp, 22, 22),
                 rule("100.64.0.2/32", "100.64.0.1", kTcp, 8000, 8100),
                 rule("10.10.0.0/16", "100.64.0.1", kUdp, 53, 53),
                 rule("100.64.0.3/32", "100.64.0.1", kIcmp),
                 rule("100.64.0.4/32", "100.64.0.1", kOther),
                 rule("fd00::2/128", "fd00::1", kTcp, 443, 443),
                 rule("fd00:10::/64", "fd00::1", kIcmp),
                 rule("fd00::4/128", "fd00::1", kOther)};
    s.outbound = {rule("100.64.0.2/32", "100.64.0.1", kTcp, 5432, 5432),
                  rule("100.64.0.5/32", "100.64.0.1", kUdp, 0, 65535), rule("100.64.0.2/32", "100.64.0.1", kIcmp),
                  rule("fd00::2/128", "fd00::1", kUdp, 123, 123)};
    return s;
  }();
  return spec;
}

// One query of each kind per direction and family, all allowed by sample_spec() or a superset.
std::vector<api::FlowQuery> battery() {
  std::vector<api::FlowQuery> queries;
  for (const FlowDirection direction : {FlowDirection::kInbound, FlowDirection::kOutbound}) {
    for (const FilterProtocol protocol : {kTcp, kUdp, kIcmp, kOther}) {
      queries.push_back(api::FlowQuery{direction, ip("100.64.0.2"), ip("100.64.0.1"), protocol, 22});
      queries.push_back(api::FlowQuery{direction, ip("fd00::2"), ip("fd00::1"), protocol, 443});
    }
  }
  return queries;
}

void expect_denies_everything(api::PacketFilterBackend& filter) {
  for (const api::FlowQuery& flow : battery()) {
    expect_allows(filter, flow, false);
  }
}

// Random specs and queries over small pools, so prefixes nest, ports overlap and boundaries meet.
class SpecGenerator {
 public:
  explicit SpecGenerator(std::uint64_t seed) : random_(seed) {}

  api::FilterSpec spec(std::uint64_t generation) {
    api::FilterSpec s;
    s.generation = generation;
    s.inbound = rules();
    s.outbound = rules();
    return s;
  }

  api::FlowQuery query() {
    const bool v6 = pick(4) == 0;
    api::FlowQuery flow;
    flow.direction = pick(2) == 0 ? FlowDirection::kInbound : FlowDirection::kOutbound;
    flow.protocol = protocol();
    flow.port = kPorts[pick(kPorts.size())];
    if (v6) {
      flow.remote = ip(kRemotes6[pick(kRemotes6.size())]);
      flow.local = ip(kLocals6[pick(kLocals6.size())]);
    } else {
      flow.remote = ip(kRemotes4[pick(kRemotes4.size())]);
      flow.local = ip(kLocals4[pick(kLocals4.size())]);
    }
    if (pick(40) == 0) {
      flow.local = v6 ? ip("100.64.0.1") : ip("fd00::1");  // mixed families: never allowed
    }
    return flow;
  }

 private:
  static constexpr std::array<const char*, 8> kPrefixes4{"100.64.0.2/32", "100.64.0.3/32",     "100.64.0.0/30",
                                                         "100.64.0.0/24", "100.64.0.128/25",   "10.0.0.0/8",
                                                         "0.0.0.0/0",     "255.255.255.255/32"};
  static constexpr std::array<const char*, 5> kPrefixes6{"fd00::2/128", "fd00::/64", "fd00::/16", "::/0",
                                                         "fd00::3/128"};
  static constexpr std::array<const char*, 2> kLocals4{"100.64.0.1", "100.64.0.9"};
  static constexpr std::array<const char*, 2> kLocals6{"fd00::1", "fd00::9"};
  static constexpr std::array<const char*, 10> kRemotes4{"100.64.0.2",   "100.64.0.3",     "100.64.0.4", "100.64.0.127",
                                                         "100.64.0.128", "100.64.0.255",   "100.64.1.0", "10.1.2.3",
                                                         "0.0.0.0",      "255.255.255.255"};
  static constexpr std::array<const char*, 5> kRemotes6{"fd00::2", "fd00::3", "fd00:1::1", "2001:db8::1", "::"};
  static constexpr std::array<std::uint16_t, 19> kPorts{0,  1,   21,  22,  23,  52,   53,   54,    79,   80,
                                                        81, 442, 443, 444, 999, 1000, 1001, 65534, 65535};

  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(random_() % n); }

  FilterProtocol protocol() {
    constexpr std::array<FilterProtocol, 4> kProtocols{kTcp, kUdp, kIcmp, kOther};
    return kProtocols[pick(kProtocols.size())];
  }

  std::vector<api::FilterRule> rules() {
    std::vector<api::FilterRule> out;
    const std::size_t count = pick(10);
    for (std::size_t i = 0; i < count; ++i) {
      const bool v6 = pick(4) == 0;
      api::FilterRule r;
      r.remote = net(v6 ? kPrefixes6[pick(kPrefixes6.size())] : kPrefixes4[pick(kPrefixes4.size())]);
      r.local = ip(v6 ? kLocals6[pick(kLocals6.size())] : kLocals4[pick(kLocals4.size())]);
      r.protocol = protocol();
      if (r.protocol == kTcp || r.protocol == kUdp) {
        const std::uint16_t first = kPorts[pick(kPorts.size())];
        const std::uint16_t last = pick(3) == 0 ? first : kPorts[pick(kPorts.size())];
        r.ports = api::PortRange{std::min(first, last), std::max(first, last)};
      }
      out.push_back(r);
      if (pick(8) == 0) {
        out.push_back(r);  // duplicates are allowed and change nothing
      }
    }
    return out;
  }

  std::mt19937_64 random_;
};

bool model_allows(const api::FilterSpec& spec, const api::FlowQuery& flow) {
  return api::filter_rules_allow(flow.direction == FlowDirection::kInbound ? spec.inbound : spec.outbound, flow);
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const PacketFilterContractFactory& factory) { return out << factory.name; }

std::unique_ptr<api::PacketFilterBackend> PacketFilterContractTest::clean_filter() {
  auto filter = GetParam().make_filter();
  if (filter == nullptr) {
    ADD_FAILURE() << "make_filter returned nullptr";
    return filter;
  }
  expect_ok(filter->remove(), "remove() to start clean");
  return filter;
}

void PacketFilterContractTest::TearDown() {
  auto filter = GetParam().make_filter();
  if (filter != nullptr) {
    (void)filter->remove();
  }
}

TEST_P(PacketFilterContractTest, AllowsWithoutAFilterIsInternal) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  for (const api::FlowQuery& flow : battery()) {
    const auto answer = filter->allows(flow);
    ASSERT_FALSE(answer.has_value()) << describe(flow);
    EXPECT_EQ(answer.error().kind, api::BackendErrorKind::kInternal) << describe(flow);
  }
  const auto state = verified(*filter);
  EXPECT_FALSE(state.installed);
  EXPECT_FALSE(state.intact);
}

TEST_P(PacketFilterContractTest, InboundQueriesFollowTheSpec) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  // Port ranges and their boundaries.
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 22), true);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 21), false);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 23), false);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 7999), false);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 8000), true);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 8050), true);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 8100), true);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 8101), false);
  // Another remote, another local, another protocol.
  expect_allows(*filter, inbound("100.64.0.6", "100.64.0.1", kTcp, 22), false);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.9", kTcp, 22), false);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kUdp, 22), false);
  // A remote prefix and its edges.
  expect_allows(*filter, inbound("10.10.0.0", "100.64.0.1", kUdp, 53), true);
  expect_allows(*filter, inbound("10.10.255.255", "100.64.0.1", kUdp, 53), true);
  expect_allows(*filter, inbound("10.9.255.255", "100.64.0.1", kUdp, 53), false);
  expect_allows(*filter, inbound("10.11.0.0", "100.64.0.1", kUdp, 53), false);
  expect_allows(*filter, inbound("10.10.1.1", "100.64.0.1", kUdp, 54), false);
  expect_allows(*filter, inbound("10.10.1.1", "100.64.0.1", kTcp, 53), false);
  // icmp and other: ports are not part of the question.
  expect_allows(*filter, inbound("100.64.0.3", "100.64.0.1", kIcmp, 0), true);
  expect_allows(*filter, inbound("100.64.0.3", "100.64.0.1", kIcmp, 1234), true);
  expect_allows(*filter, inbound("100.64.0.3", "100.64.0.1", kOther), false);
  expect_allows(*filter, inbound("100.64.0.3", "100.64.0.1", kTcp, 22), false);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kIcmp), false);
  expect_allows(*filter, inbound("100.64.0.4", "100.64.0.1", kOther, 7), true);
  expect_allows(*filter, inbound("100.64.0.4", "100.64.0.1", kIcmp), false);
  expect_allows(*filter, inbound("100.64.0.4", "100.64.0.1", kUdp, 7), false);
  // IPv6.
  expect_allows(*filter, inbound("fd00::2", "fd00::1", kTcp, 443), true);
  expect_allows(*filter, inbound("fd00::2", "fd00::1", kTcp, 444), false);
  expect_allows(*filter, inbound("fd00::3", "fd00::1", kTcp, 443), false);
  expect_allows(*filter, inbound("fd00:10::abcd", "fd00::1", kIcmp), true);
  expect_allows(*filter, inbound("fd00:10:0:0:ffff:ffff:ffff:ffff", "fd00::1", kIcmp), true);
  expect_allows(*filter, inbound("fd00:10:0:1::", "fd00::1", kIcmp), false);
  expect_allows(*filter, inbound("fd00::4", "fd00::1", kOther), true);
  expect_allows(*filter, inbound("fd00::4", "fd00::1", kIcmp), false);
  // The same numbers in the other family are different addresses.
  expect_allows(*filter, inbound("::ffff:100.64.0.2", "::ffff:100.64.0.1", kTcp, 22), false);
  // Mixed families match nothing (and are not an error).
  expect_allows(*filter, inbound("fd00::2", "100.64.0.1", kTcp, 22), false);
}

TEST_P(PacketFilterContractTest, OutboundQueriesAreSeparateFromInbound) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  expect_allows(*filter, outbound("100.64.0.2", "100.64.0.1", kTcp, 5432), true);
  expect_allows(*filter, outbound("100.64.0.2", "100.64.0.1", kTcp, 5431), false);
  expect_allows(*filter, outbound("100.64.0.2", "100.64.0.1", kTcp, 5433), false);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 5432), false);  // outbound only
  expect_allows(*filter, outbound("100.64.0.2", "100.64.0.1", kTcp, 22), false);   // inbound only
  expect_allows(*filter, outbound("100.64.0.5", "100.64.0.1", kUdp, 0), true);
  expect_allows(*filter, outbound("100.64.0.5", "100.64.0.1", kUdp, 65535), true);
  expect_allows(*filter, outbound("100.64.0.5", "100.64.0.1", kTcp, 80), false);
  expect_allows(*filter, inbound("100.64.0.5", "100.64.0.1", kUdp, 80), false);
  expect_allows(*filter, outbound("100.64.0.2", "100.64.0.1", kIcmp), true);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kIcmp), false);
  expect_allows(*filter, outbound("100.64.0.3", "100.64.0.1", kIcmp), false);
  expect_allows(*filter, outbound("fd00::2", "fd00::1", kUdp, 123), true);
  expect_allows(*filter, outbound("fd00::2", "fd00::1", kUdp, 124), false);
  expect_allows(*filter, inbound("fd00::2", "fd00::1", kUdp, 123), false);
  expect_allows(*filter, outbound("fd00::2", "fd00::1", kTcp, 443), false);
}

TEST_P(PacketFilterContractTest, OverlappingAndDuplicateRulesAllowTheirUnion) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  api::FilterSpec spec;
  spec.generation = 5;
  spec.inbound = {rule("100.64.0.0/24", "100.64.0.1", kTcp, 20, 30), rule("100.64.0.5/32", "100.64.0.1", kTcp, 25, 40),
                  rule("100.64.0.5/32", "100.64.0.1", kTcp, 25, 40), rule("100.64.0.0/25", "100.64.0.1", kTcp, 31, 31),
                  rule("0.0.0.0/0", "100.64.0.1", kTcp, 9, 9),       rule("100.64.0.5/32", "100.64.0.1", kIcmp),
                  rule("100.64.0.0/24", "100.64.0.1", kIcmp),        rule("fd00::/64", "fd00::1", kUdp, 1, 10),
                  rule("fd00::5/128", "fd00::1", kUdp, 5, 20)};
  ASSERT_TRUE(filter->apply(spec).has_value());
  for (const api::FlowQuery& flow :
       {inbound("100.64.0.5", "100.64.0.1", kTcp, 20), inbound("100.64.0.5", "100.64.0.1", kTcp, 40),
        inbound("100.64.0.5", "100.64.0.1", kTcp, 41), inbound("100.64.0.6", "100.64.0.1", kTcp, 30),
        inbound("100.64.0.6", "100.64.0.1", kTcp, 31), inbound("100.64.0.6", "100.64.0.1", kTcp, 32),
        inbound("100.64.0.200", "100.64.0.1", kTcp, 31), inbound("100.64.0.4", "100.64.0.1", kTcp, 35),
        inbound("192.0.2.1", "100.64.0.1", kTcp, 9), inbound("100.64.0.5", "100.64.0.1", kTcp, 9),
        inbound("100.64.0.5", "100.64.0.1", kIcmp), inbound("100.64.0.7", "100.64.0.1", kIcmp),
        inbound("100.64.1.5", "100.64.0.1", kIcmp), inbound("fd00::5", "fd00::1", kUdp, 15),
        inbound("fd00::6", "fd00::1", kUdp, 15), inbound("fd00::6", "fd00::1", kUdp, 10),
        inbound("fd00::5", "fd00::1", kUdp, 1), inbound("fd00::5", "fd00::1", kUdp, 21)}) {
    expect_allows(*filter, flow, model_allows(spec, flow));
  }
}

TEST_P(PacketFilterContractTest, InvalidSpecIsRefusedAndThePreviousFilterStays) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  std::vector<api::FilterSpec> invalid(4, sample_spec());
  invalid[0].generation = 12;
  invalid[0].inbound.push_back(rule("fd00::2/128", "100.64.0.1", kTcp, 1, 1));  // family mismatch
  invalid[1].generation = 13;
  invalid[1].outbound.push_back(rule("100.64.0.2/32", "100.64.0.1", kTcp, 30, 20));  // first > last
  invalid[2].generation = 14;
  invalid[2].inbound.push_back(rule("100.64.0.2/32", "100.64.0.1", kIcmp, 0, 10));  // ports on icmp
  invalid[3].generation = 15;
  invalid[3].outbound.push_back(rule("100.64.0.2/32", "100.64.0.1", kOther, 1, 65535));  // ports on other
  for (const api::FilterSpec& spec : invalid) {
    const auto status = filter->apply(spec);
    ASSERT_FALSE(status.has_value()) << "generation " << spec.generation;
    EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInvalidInput) << "generation " << spec.generation;
  }
  const auto state = verified(*filter);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 11U);
  EXPECT_TRUE(state.intact);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 22), true);
  expect_allows(*filter, outbound("100.64.0.2", "100.64.0.1", kTcp, 5432), true);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 1), false);
}

TEST_P(PacketFilterContractTest, VerifyReportsTheAppliedGeneration) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  auto state = verified(*filter);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 11U);
  EXPECT_TRUE(state.intact);
  api::FilterSpec next = sample_spec();
  next.generation = 0xFFFFFFFFFFFFFFFFULL;
  ASSERT_TRUE(filter->apply(next).has_value());
  state = verified(*filter);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 0xFFFFFFFFFFFFFFFFULL);
  EXPECT_TRUE(state.intact);
}

TEST_P(PacketFilterContractTest, ApplyReplacesTheWholeFilter) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  api::FilterSpec replacement;
  replacement.generation = 12;
  replacement.inbound = {rule("100.64.0.7/32", "100.64.0.1", kUdp, 9, 9)};
  ASSERT_TRUE(filter->apply(replacement).has_value());
  expect_allows(*filter, inbound("100.64.0.7", "100.64.0.1", kUdp, 9), true);
  for (const api::FlowQuery& flow : battery()) {
    expect_allows(*filter, flow, false);
  }
  EXPECT_EQ(verified(*filter).generation, 12U);
}

TEST_P(PacketFilterContractTest, EmptySpecDeniesEverything) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  ASSERT_TRUE(filter->apply(api::FilterSpec{.generation = 3, .inbound = {}, .outbound = {}}).has_value());
  const auto state = verified(*filter);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 3U);
  EXPECT_TRUE(state.intact);
  expect_denies_everything(*filter);
}

TEST_P(PacketFilterContractTest, EnsureInstalledOnNothingDeniesEverything) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  expect_ok(filter->ensure_installed(), "ensure_installed()");
  const auto state = verified(*filter);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 0U);
  expect_denies_everything(*filter);
  expect_ok(filter->ensure_installed(), "ensure_installed() again");
  EXPECT_TRUE(verified(*filter).installed);
}

TEST_P(PacketFilterContractTest, EnsureInstalledKeepsAnExistingFilter) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  expect_ok(filter->ensure_installed(), "ensure_installed()");
  const auto state = verified(*filter);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 11U);
  EXPECT_TRUE(state.intact);
  expect_allows(*filter, inbound("100.64.0.2", "100.64.0.1", kTcp, 22), true);
}

TEST_P(PacketFilterContractTest, RemoveIsIdempotent) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  expect_ok(filter->remove(), "remove() of nothing");
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  expect_ok(filter->remove(), "remove()");
  auto state = verified(*filter);
  EXPECT_FALSE(state.installed);
  EXPECT_FALSE(state.intact);
  expect_ok(filter->remove(), "remove() again");
  const auto answer = filter->allows(inbound("100.64.0.2", "100.64.0.1", kTcp, 22));
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().kind, api::BackendErrorKind::kInternal);
  // Removal does not break the object: it can install again.
  ASSERT_TRUE(filter->apply(sample_spec()).has_value());
  state = verified(*filter);
  EXPECT_TRUE(state.installed);
  EXPECT_TRUE(state.intact);
}

TEST_P(PacketFilterContractTest, RandomSpecsMatchTheModel) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  const PacketFilterContractFactory& factory = GetParam();
  SpecGenerator generator(factory.random_seed);
  for (std::size_t round = 0; round < factory.random_specs; ++round) {
    const api::FilterSpec spec = generator.spec(round + 1);
    ASSERT_TRUE(filter->apply(spec).has_value()) << "round " << round;
    for (std::size_t i = 0; i < factory.queries_per_spec; ++i) {
      const api::FlowQuery flow = generator.query();
      const bool expected = model_allows(spec, flow);
      ASSERT_EQ(allowed(*filter, flow), expected) << "round " << round << ": " << describe(flow);
    }
  }
}

TEST_P(PacketFilterContractTest, LargeSpecApplies) {
  auto filter = clean_filter();
  ASSERT_NE(filter, nullptr);
  const std::size_t count = GetParam().large_spec_rules;
  api::FilterSpec spec;
  spec.generation = 99;
  for (std::size_t i = 0; i < count; ++i) {
    const auto b = static_cast<std::uint8_t>((i >> 8U) & 0xFFU);
    const auto c = static_cast<std::uint8_t>(i & 0xFFU);
    const auto port = static_cast<std::uint16_t>(1000 + (i % 50) * 10);
    spec.inbound.push_back(api::FilterRule{api::IpPrefix::create(api::IpAddress::v4({10, 20, b, c}), 32).value(),
                                           ip("100.64.0.1"), i % 3 == 0 ? kUdp : kTcp,
                                           api::PortRange{port, static_cast<std::uint16_t>(port + 5)}});
  }
  ASSERT_TRUE(filter->apply(spec).has_value());
  const auto state = verified(*filter);
  EXPECT_EQ(state.generation, 99U);
  EXPECT_TRUE(state.intact);
  for (std::size_t i = 0; i < count; i += std::max<std::size_t>(1, count / 25)) {
    const auto b = static_cast<std::uint8_t>((i >> 8U) & 0xFFU);
    const auto c = static_cast<std::uint8_t>(i & 0xFFU);
    const auto port = static_cast<std::uint16_t>(1000 + (i % 50) * 10);
    for (const std::uint16_t probe : {static_cast<std::uint16_t>(port - 1), port, static_cast<std::uint16_t>(port + 5),
                                      static_cast<std::uint16_t>(port + 6)}) {
      const api::FlowQuery flow{FlowDirection::kInbound, api::IpAddress::v4({10, 20, b, c}), ip("100.64.0.1"),
                                i % 3 == 0 ? kUdp : kTcp, probe};
      expect_allows(*filter, flow, model_allows(spec, flow));
    }
  }
}

TEST_P(PacketFilterContractTest, FreshObjectDoesNotVouchForAFilterItDidNotApply) {
  if (!GetParam().instances_share_filter) {
    GTEST_SKIP() << "objects of this factory do not share an installed filter";
  }
  auto owner = clean_filter();
  ASSERT_NE(owner, nullptr);
  ASSERT_TRUE(owner->apply(sample_spec()).has_value());
  auto fresh = GetParam().make_filter();
  const auto state = verified(*fresh);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 11U);
  EXPECT_FALSE(state.intact);
  expect_allows(*fresh, inbound("100.64.0.2", "100.64.0.1", kTcp, 22), true);
  // Another owner's apply is a change behind the first one's back.
  api::FilterSpec other = sample_spec();
  other.generation = 12;
  ASSERT_TRUE(fresh->apply(other).has_value());
  EXPECT_TRUE(verified(*fresh).intact);
  EXPECT_FALSE(verified(*owner).intact);
}

TEST_P(PacketFilterContractTest, FilterOutlivesItsOwner) {
  if (!GetParam().instances_share_filter) {
    GTEST_SKIP() << "objects of this factory do not share an installed filter";
  }
  {
    auto owner = clean_filter();
    ASSERT_NE(owner, nullptr);
    ASSERT_TRUE(owner->apply(sample_spec()).has_value());
  }  // destroyed without remove(), like a crash
  auto successor = GetParam().make_filter();
  expect_ok(successor->ensure_installed(), "ensure_installed() by the successor");
  const auto state = verified(*successor);
  EXPECT_TRUE(state.installed);
  EXPECT_EQ(state.generation, 11U);
  expect_allows(*successor, inbound("100.64.0.2", "100.64.0.1", kTcp, 22), true);
  expect_allows(*successor, inbound("100.64.0.2", "100.64.0.1", kTcp, 23), false);
}

}  // namespace rustynet::backend_contract
