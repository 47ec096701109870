// SPDX-License-Identifier: Apache-2.0
// run_install / run_remove.
#include "install_mode.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "filter_build.hpp"
#include "filter_workload.hpp"
#include "nft_tools.hpp"
#include "policy_workload.hpp"
#include "rustynet/backend_wireguard/factory.hpp"

namespace rustynet::bench::filter {
namespace {

namespace api = backend_api;
using Json = nlohmann::ordered_json;

constexpr std::uint16_t kFirstProbePort = 5202;
constexpr std::uint16_t kLastProbePort = 5400;

double rounded(double ms) { return std::round(ms * 1000.0) / 1000.0; }

std::unique_ptr<api::PacketFilterBackend> make_filter(const std::string& interface_name, const std::string& nft) {
  return backend_wireguard::make_nftables_filter({.interface_name = interface_name,
                                                  .network_namespace_path = std::nullopt,
                                                  .nft_binary = nft,
                                                  .command_timeout = std::chrono::seconds(60)});
}

}  // namespace

base::Result<std::string, std::string> run_install(const InstallOptions& options) {
  auto self = policy::IpAddress::parse(options.self_address);
  auto peer = policy::IpAddress::parse(options.peer_address);
  if (!self.has_value() || !peer.has_value()) {
    return base::unexpected(std::string("--self-address / --peer-address: not an IP address"));
  }
  RUSTYNET_ASSIGN_OR_RETURN(const std::string table, table_for(options.interface_name));
  Workload workload = make_workload(options.rules, std::max<std::size_t>(options.nodes, 2), 1);
  workload.inventory.nodes[0].addresses = {*self};
  workload.inventory.nodes[1].addresses = {*peer};
  policy::PolicyRule flow_rule;
  flow_rule.id = "bench-measured-flow";
  flow_rule.action = policy::RuleAction::kAllow;
  flow_rule.src = {policy::Selector{policy::SelectorKind::kNode, workload.inventory.nodes[1].id, {}}};
  flow_rule.dst = {policy::Selector{policy::SelectorKind::kNode, workload.inventory.nodes[0].id, {}}};
  flow_rule.protocol = policy::Protocol::kTcp;
  flow_rule.ports = {{options.allow_tcp_port, options.allow_tcp_port}};
  workload.document.rules.push_back(std::move(flow_rule));
  const policy::NodeState state = node_state_of(workload.inventory, 0);

  RUSTYNET_ASSIGN_OR_RETURN(BuiltFilter built, build_filter(encode_policy(workload.document), state));
  built.spec.generation = options.generation;
  auto filter = make_filter(options.interface_name, options.nft);
  const auto start = std::chrono::steady_clock::now();
  if (auto applied = filter->apply(built.spec); !applied.has_value()) {
    return base::unexpected("apply: " + applied.error().describe());
  }
  const double apply_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto verified = filter->verify();
  if (!verified.has_value() || !verified->intact || verified->generation != options.generation) {
    return base::unexpected(std::string("the filter did not read back intact"));
  }
  auto backend_self = api::IpAddress::parse(options.self_address);
  auto backend_peer = api::IpAddress::parse(options.peer_address);
  if (!backend_self.has_value() || !backend_peer.has_value()) {
    return base::unexpected(std::string("address conversion failed"));
  }
  const auto inbound_tcp = [&](std::uint16_t port) {
    return api::FlowQuery{api::FlowDirection::kInbound, *backend_peer, *backend_self, api::FilterProtocol::kTcp, port};
  };
  auto measured = filter->allows(inbound_tcp(options.allow_tcp_port));
  if (!measured.has_value() || !*measured) {
    return base::unexpected("the kernel's filter does not allow tcp/" + std::to_string(options.allow_tcp_port) +
                            " from the peer (a deny rule of the workload covers it?)");
  }
  std::optional<std::uint16_t> dropped;
  for (std::uint16_t port = kFirstProbePort; port <= kLastProbePort && !dropped.has_value(); ++port) {
    auto allowed = filter->allows(inbound_tcp(port));
    if (!allowed.has_value()) {
      return base::unexpected("allows: " + allowed.error().describe());
    }
    if (!*allowed) {
      dropped = port;
    }
  }
  if (!dropped.has_value()) {
    return base::unexpected(std::string("every probe port is allowed; no drop probe possible"));
  }
  auto scratch = ScratchDir::create();
  if (!scratch.has_value()) {
    return base::unexpected(scratch.error());
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto elements, count_elements(options.nft, table, scratch->path()));
  const Json report{
      {"tool", "filter_bench_tool install"},
      {"build_type", RUSTYNET_BUILD_TYPE},
      {"interface", options.interface_name},
      {"table", "inet " + table},
      {"generation", options.generation},
      {"policy_rules", workload.document.rules.size()},
      {"workload_rules", options.rules},
      {"peers", state.peers.size()},
      {"plan_entries", Json{{"inbound", built.plan_inbound}, {"outbound", built.plan_outbound}}},
      {"spec_rules", Json{{"inbound", built.spec.inbound.size()}, {"outbound", built.spec.outbound.size()}}},
      {"set_elements", elements},
      {"build_ms", rounded(built.times.build_ms())},
      {"apply_ms", rounded(apply_ms)},
      {"allowed_flow",
       options.peer_address + " -> " + options.self_address + " tcp/" + std::to_string(options.allow_tcp_port)},
      {"dropped_probe_tcp_port", *dropped}};
  return report.dump();
}

base::Result<std::string, std::string> run_remove(const std::string& interface_name, const std::string& nft) {
  RUSTYNET_ASSIGN_OR_RETURN(const std::string table, table_for(interface_name));
  auto filter = make_filter(interface_name, nft);
  if (auto removed = filter->remove(); !removed.has_value()) {
    return base::unexpected("remove: " + removed.error().describe());
  }
  return Json{{"tool", "filter_bench_tool remove"}, {"table", "inet " + table}, {"removed", true}}.dump();
}

}  // namespace rustynet::bench::filter
