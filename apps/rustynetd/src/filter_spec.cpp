// SPDX-License-Identifier: Apache-2.0
// NodeFilterPlan -> FilterSpec translation.
#include "filter_spec.hpp"

#include "rustynet/policy/node_filter.hpp"

namespace rustynet::apps::daemon {
namespace {

DaemonResult<backend_api::IpAddress> to_backend(const policy::IpAddress& address) {
  auto out = backend_api::IpAddress::parse(address.to_string());
  if (!out.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected,
                       "filter address " + address.to_string() + ": " + out.error().message);
  }
  return *out;
}

DaemonStatus append_rules(const std::vector<policy::FilterEntry>& entries, std::vector<backend_api::FilterRule>& out) {
  using backend_api::FilterProtocol;
  for (const auto& entry : entries) {
    RUSTYNET_ASSIGN_OR_RETURN(const auto remote, to_backend(entry.peer_address));
    RUSTYNET_ASSIGN_OR_RETURN(const auto local, to_backend(entry.local_address));
    auto host = backend_api::IpPrefix::create(remote, remote.bit_width());
    if (!host.has_value()) {
      return daemon_fail(DaemonErrorKind::kRejected, "filter prefix: " + host.error().message);
    }
    const auto add = [&](FilterProtocol protocol, backend_api::PortRange ports) {
      out.push_back(backend_api::FilterRule{*host, local, protocol, ports});
    };
    for (const auto& interval : entry.space.tcp) {
      add(FilterProtocol::kTcp, {interval.first, interval.last});
    }
    for (const auto& interval : entry.space.udp) {
      add(FilterProtocol::kUdp, {interval.first, interval.last});
    }
    if (entry.space.icmp) {
      add(FilterProtocol::kIcmp, {});
    }
    if (entry.space.other) {
      add(FilterProtocol::kOther, {});
    }
  }
  return {};
}

}  // namespace

DaemonResult<backend_api::FilterSpec> filter_spec_from(const policy::CompiledPolicy& policy,
                                                       const policy::NodeState& state) {
  auto plan = policy::plan_node_filter(policy, state);
  if (!plan.has_value()) {
    return daemon_fail(DaemonErrorKind::kRejected, "packet filter: " + plan.error().describe());
  }
  backend_api::FilterSpec spec;
  RUSTYNET_RETURN_IF_ERROR(append_rules(plan->inbound, spec.inbound));
  RUSTYNET_RETURN_IF_ERROR(append_rules(plan->outbound, spec.outbound));
  return backend_api::canonical_filter_spec(std::move(spec));
}

}  // namespace rustynet::apps::daemon
