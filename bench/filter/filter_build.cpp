// SPDX-License-Identifier: Apache-2.0
// build_filter and the flow that tells two specs apart.
#include "filter_build.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "filter_spec.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/node_filter.hpp"

namespace rustynet::bench::filter {
namespace {

namespace api = backend_api;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// Whether a rule of `rules` (canonical: sorted by remote, local, protocol, ports) covers the point.
bool covers(const std::vector<api::FilterRule>& rules, const api::FilterRule& key, std::uint16_t port) {
  const auto same_flow_class = [](const api::FilterRule& x, const api::FilterRule& y) {
    return std::tie(x.remote, x.local, x.protocol) < std::tie(y.remote, y.local, y.protocol);
  };
  const auto [first, last] = std::equal_range(rules.begin(), rules.end(), key, same_flow_class);
  return std::any_of(
      first, last, [port](const api::FilterRule& rule) { return rule.ports.first <= port && port <= rule.ports.last; });
}

}  // namespace

base::Result<BuiltFilter, std::string> build_filter(const std::string& policy_json, const policy::NodeState& state) {
  BuiltFilter out;
  const auto start = Clock::now();
  auto document = policy::parse_policy_document(policy_json);
  const auto parsed = Clock::now();
  if (!document.has_value()) {
    return base::unexpected("policy does not parse: " + document.error().describe());
  }
  auto compiled = policy::CompiledPolicy::compile(*document, policy::inventory_of(state));
  const auto compiled_at = Clock::now();
  if (!compiled.has_value()) {
    return base::unexpected("policy does not compile: " + compiled.error().describe());
  }
  auto plan = policy::plan_node_filter(*compiled, state);
  const auto planned = Clock::now();
  if (!plan.has_value()) {
    return base::unexpected("plan_node_filter: " + plan.error().describe());
  }
  auto spec = apps::daemon::filter_spec_from(*compiled, state);
  const auto translated = Clock::now();
  if (!spec.has_value()) {
    return base::unexpected("filter_spec_from: " + spec.error().describe());
  }
  out.spec = std::move(spec).value();
  out.plan_inbound = plan->inbound.size();
  out.plan_outbound = plan->outbound.size();
  out.times.parse_ms = ms_between(start, parsed);
  out.times.compile_ms = ms_between(parsed, compiled_at);
  out.times.plan_ms = ms_between(compiled_at, planned);
  out.times.filter_spec_ms = ms_between(planned, translated);
  return out;
}

std::optional<api::FlowQuery> flow_only_in(const api::FilterSpec& a, const api::FilterSpec& b) {
  for (const api::FilterRule& rule : a.inbound) {
    for (const std::uint16_t port : std::array{rule.ports.first, rule.ports.last}) {
      if (!covers(b.inbound, rule, port)) {
        return api::FlowQuery{api::FlowDirection::kInbound, rule.remote.address(), rule.local, rule.protocol, port};
      }
    }
  }
  return std::nullopt;
}

}  // namespace rustynet::bench::filter
