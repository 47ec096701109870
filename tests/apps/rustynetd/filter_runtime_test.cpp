// SPDX-License-Identifier: Apache-2.0
// The packet filter in the daemon: compiled from the policy, installed before peers, rolled back
// with them, restored when tampered with, kept from a crashed predecessor, removed last.
#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "filter_spec.hpp"
#include "rustynet/backend_api/reference_packet_filter.hpp"
#include "rustynet/policy/policy_store.hpp"
#include "tunnel_runtime.hpp"

namespace rustynet::apps::daemon {
namespace {

using backend_api::FilterProtocol;
using backend_api::FlowDirection;
using testing::ScriptedBackend;
using testing::TestPeer;

const std::vector<TestPeer> kTwo{{"n2", "100.64.0.2", 2, "192.0.2.2:51820"}, {"n3", "100.64.0.3", 3, std::nullopt}};

// n2 may open ssh on n1; n1 may ping n3; n3 may reach n1 on any protocol except tcp/8080.
const std::string kPortsPolicy = R"({"version": 1, "rules": [
  {"id": "ssh", "action": "allow", "src": ["node:n2"], "dst": ["node:n1"], "protocol": "tcp", "ports": ["22"]},
  {"id": "ping", "action": "allow", "src": ["node:n1"], "dst": ["node:n3"], "protocol": "icmp"},
  {"id": "n3-any", "action": "allow", "src": ["node:n3"], "dst": ["node:n1"]},
  {"id": "no-8080", "action": "deny", "src": ["*"], "dst": ["node:n1"], "protocol": "tcp", "ports": ["8080"]}]})";

DesiredState desired_with_filter(const std::vector<TestPeer>& peers, const std::string& policy_text) {
  const auto state = testing::make_state("n1", "100.64.0.1", peers, policy_text);
  policy::PolicyStore store;
  EXPECT_TRUE(store.load(policy_text, policy::inventory_of(state)).has_value());
  auto translated = desired_state_from(state, 25);
  EXPECT_TRUE(translated.has_value()) << translated.error().message;
  auto filter = filter_spec_from(*store.current(), state);
  EXPECT_TRUE(filter.has_value()) << filter.error().message;
  DesiredState out = std::move(translated).value();
  out.filter = std::move(filter).value();
  return out;
}

backend_api::FlowQuery flow(FlowDirection direction, const char* remote, FilterProtocol protocol, std::uint16_t port) {
  return backend_api::FlowQuery{direction, backend_api::IpAddress::parse(remote).value(),
                                backend_api::IpAddress::parse("100.64.0.1").value(), protocol, port};
}

struct FilterRuntimeTest : ::testing::Test {
  FilterRuntimeTest() {
    auto owned_backend = std::make_unique<ScriptedBackend>();
    backend = owned_backend.get();
    auto owned_filter = std::make_unique<backend_api::ReferencePacketFilter>();
    filter = owned_filter.get();
    base::SecretBytes key(32);
    std::fill(key.mutable_view().begin(), key.mutable_view().end(), std::uint8_t{7});
    runtime = std::make_unique<TunnelRuntime>(
        std::move(owned_backend), std::move(owned_filter),
        TunnelIdentity{backend_api::NodeId::parse("n1").value(), "rn0", 51820, 1420, std::move(key)});
  }
  // Observers capture test locals; the runtime's destructor (shutdown) runs after they are gone.
  ~FilterRuntimeTest() override { backend->observer = nullptr; }
  FilterRuntimeTest(const FilterRuntimeTest&) = delete;
  FilterRuntimeTest& operator=(const FilterRuntimeTest&) = delete;
  FilterRuntimeTest(FilterRuntimeTest&&) = delete;
  FilterRuntimeTest& operator=(FilterRuntimeTest&&) = delete;
  [[nodiscard]] bool allows(const backend_api::FlowQuery& query) const {
    return filter->installed().has_value() &&
           backend_api::filter_rules_allow(query.direction == FlowDirection::kInbound ? filter->installed()->inbound
                                                                                      : filter->installed()->outbound,
                                           query);
  }

  ScriptedBackend* backend = nullptr;
  backend_api::ReferencePacketFilter* filter = nullptr;
  std::unique_ptr<TunnelRuntime> runtime;
};

TEST(FilterSpecTest, CompiledFromThePolicyOneWayWithDenies) {
  const DesiredState state = desired_with_filter(kTwo, kPortsPolicy);
  const auto& inbound = state.filter.inbound;
  const auto& outbound = state.filter.outbound;
  const auto has = [](const std::vector<backend_api::FilterRule>& rules, const backend_api::FlowQuery& query) {
    return backend_api::filter_rules_allow(rules, query);
  };
  EXPECT_TRUE(has(inbound, flow(FlowDirection::kInbound, "100.64.0.2", FilterProtocol::kTcp, 22)));
  EXPECT_FALSE(has(inbound, flow(FlowDirection::kInbound, "100.64.0.2", FilterProtocol::kTcp, 23)));
  EXPECT_FALSE(has(inbound, flow(FlowDirection::kInbound, "100.64.0.2", FilterProtocol::kIcmp, 0)));
  // One way: n1 may not open ssh on n2, so replies of such a flow are not let in either.
  EXPECT_FALSE(has(outbound, flow(FlowDirection::kOutbound, "100.64.0.2", FilterProtocol::kTcp, 22)));
  EXPECT_TRUE(has(outbound, flow(FlowDirection::kOutbound, "100.64.0.3", FilterProtocol::kIcmp, 0)));
  EXPECT_FALSE(has(outbound, flow(FlowDirection::kOutbound, "100.64.0.3", FilterProtocol::kTcp, 80)));
  // n3: everything but tcp/8080 (deny beats allow), protocols other than tcp/udp/icmp included.
  EXPECT_TRUE(has(inbound, flow(FlowDirection::kInbound, "100.64.0.3", FilterProtocol::kTcp, 8079)));
  EXPECT_FALSE(has(inbound, flow(FlowDirection::kInbound, "100.64.0.3", FilterProtocol::kTcp, 8080)));
  EXPECT_TRUE(has(inbound, flow(FlowDirection::kInbound, "100.64.0.3", FilterProtocol::kUdp, 8080)));
  EXPECT_TRUE(has(inbound, flow(FlowDirection::kInbound, "100.64.0.3", FilterProtocol::kOther, 0)));
  EXPECT_EQ(state.filter.generation, 0U);
  EXPECT_EQ(state.filter, backend_api::canonical_filter_spec(state.filter));
}

TEST_F(FilterRuntimeTest, FilterGoesInBeforeTheInterfaceAndBeforeAnyPeer) {
  std::vector<std::string> seen;
  backend->observer = [&](const char* what) {
    const auto& installed = filter->installed();
    seen.push_back(std::string(what) + "@" + (installed ? std::to_string(installed->generation) : "none"));
    if (std::string(what) == "configure") {
      EXPECT_TRUE(allows(flow(FlowDirection::kInbound, "100.64.0.2", FilterProtocol::kTcp, 22)))
          << "a peer was configured before the filter that covers it";
    }
  };
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  ASSERT_GE(seen.size(), 2U);
  EXPECT_EQ(seen.front(), "start@0");  // the deny-everything filter exists before the interface
  EXPECT_EQ(runtime->filter_generation(), 1U);
  EXPECT_EQ(filter->installed()->generation, 1U);
}

TEST_F(FilterRuntimeTest, UnchangedFilterIsNotReinstalled) {
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  EXPECT_EQ(filter->apply_count(), 1);
  EXPECT_EQ(runtime->filter_generation(), 1U);
}

TEST_F(FilterRuntimeTest, FilterFailureTouchesNoPeerAndKeepsTheLastGoodState) {
  const DesiredState good = desired_with_filter(kTwo, kPortsPolicy);
  ASSERT_TRUE(runtime->apply(good).has_value());
  auto more = kTwo;
  more.push_back({"n4", "100.64.0.4", 4, std::nullopt});
  const DesiredState next = desired_with_filter(more, testing::kAllowAllPolicy);
  const int calls_before = backend->calls;
  filter->fail_next_apply();
  const auto result = runtime->apply(next);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, DaemonErrorKind::kApply);
  EXPECT_NE(result.error().message.find("install packet filter"), std::string::npos) << result.error().message;
  EXPECT_EQ(backend->calls, calls_before) << "no backend call after a failed filter install";
  EXPECT_TRUE(runtime->current() == good);
  EXPECT_EQ(runtime->filter_generation(), 1U);
  EXPECT_EQ(filter->installed()->inbound, good.filter.inbound);
  // The next attempt (the daemon retries) goes through.
  ASSERT_TRUE(runtime->apply(next).has_value());
  EXPECT_EQ(runtime->filter_generation(), 2U);
}

TEST_F(FilterRuntimeTest, PeerFailureRollsTheFilterBackWithThePeers) {
  const DesiredState good = desired_with_filter(kTwo, kPortsPolicy);
  ASSERT_TRUE(runtime->apply(good).has_value());
  auto more = kTwo;
  more.push_back({"n4", "100.64.0.4", 4, std::nullopt});
  backend->calls = 0;
  backend->fail_at = 1;  // the first backend call of the update (configure n4)
  const auto result = runtime->apply(desired_with_filter(more, testing::kAllowAllPolicy));
  ASSERT_FALSE(result.has_value());
  backend->fail_at.reset();
  EXPECT_TRUE(runtime->current() == good);
  ASSERT_TRUE(filter->installed().has_value());
  EXPECT_EQ(filter->installed()->inbound, good.filter.inbound);
  EXPECT_EQ(filter->installed()->outbound, good.filter.outbound);
  EXPECT_EQ(runtime->filter_generation(), 3U);  // 1 good, 2 the update, 3 the rollback
}

TEST_F(FilterRuntimeTest, TamperedFilterIsFoundAndRestored) {
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  auto clean = runtime->check_filter();
  ASSERT_TRUE(clean.has_value());
  EXPECT_FALSE(clean->restored);
  filter->tamper();
  auto found = runtime->check_filter();
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_TRUE(found->restored);
  EXPECT_NE(found->finding.find("altered"), std::string::npos) << found->finding;
  EXPECT_EQ(runtime->filter_generation(), 2U);
  EXPECT_EQ(runtime->filter_restores(), 1U);
  EXPECT_TRUE(allows(flow(FlowDirection::kInbound, "100.64.0.2", FilterProtocol::kTcp, 22)));
  EXPECT_FALSE(runtime->check_filter().value().restored);
  // A filter removed behind the daemon's back is restored too.
  ASSERT_TRUE(filter->remove().has_value());
  auto missing = runtime->check_filter();
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(missing->restored);
  EXPECT_NE(missing->finding.find("missing"), std::string::npos);
}

TEST_F(FilterRuntimeTest, FailedRestoreIsAnErrorAndIsRetried) {
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  filter->tamper();
  filter->fail_next_apply();
  auto failed = runtime->check_filter();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().kind, DaemonErrorKind::kBackend);
  EXPECT_NE(failed.error().message.find("re-install failed"), std::string::npos);
  auto retried = runtime->check_filter();
  ASSERT_TRUE(retried.has_value());
  EXPECT_TRUE(retried->restored);
}

TEST_F(FilterRuntimeTest, PredecessorsFilterIsKeptUntilReplaced) {
  // A crashed daemon's filter (generation 7) is still in the kernel.
  backend_api::FilterSpec left;
  left.generation = 7;
  ASSERT_TRUE(filter->apply(left).has_value());
  const int applies_before = filter->apply_count();
  backend->observer = [&](const char* what) {
    if (std::string(what) == "start") {
      EXPECT_EQ(filter->installed()->generation, 7U) << "the predecessor's filter was replaced before the start";
      EXPECT_EQ(filter->apply_count(), applies_before);
    }
  };
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  EXPECT_EQ(runtime->filter_generation(), 1U);
  EXPECT_EQ(filter->installed()->generation, 1U);
}

TEST_F(FilterRuntimeTest, ShutdownRemovesTheFilterAfterTheInterface) {
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  bool filtered_at_shutdown = false;
  backend->observer = [&](const char* what) {
    if (std::string(what) == "shutdown") {
      filtered_at_shutdown = filter->installed().has_value();
    }
  };
  ASSERT_TRUE(runtime->shutdown().has_value());
  EXPECT_TRUE(filtered_at_shutdown);
  EXPECT_FALSE(filter->installed().has_value());
  EXPECT_TRUE(runtime->shutdown().has_value());  // idempotent
}

TEST_F(FilterRuntimeTest, AddressChangeKeepsTheFilterAcrossTheRestart) {
  ASSERT_TRUE(runtime->apply(desired_with_filter(kTwo, kPortsPolicy)).has_value());
  bool filtered_at_restart = true;
  backend->observer = [&](const char* what) {
    if (std::string(what) == "shutdown" || std::string(what) == "start") {
      filtered_at_restart = filtered_at_restart && filter->installed().has_value();
    }
  };
  DesiredState moved = desired_with_filter(kTwo, kPortsPolicy);
  moved.addresses = {backend_api::InterfaceAddress::parse("100.64.0.99/32").value()};
  ASSERT_TRUE(runtime->apply(moved).has_value());
  EXPECT_TRUE(filtered_at_restart);
  EXPECT_EQ(backend->starts, 2);
}

}  // namespace
}  // namespace rustynet::apps::daemon
