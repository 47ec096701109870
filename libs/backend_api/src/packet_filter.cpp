// SPDX-License-Identifier: Apache-2.0
// PacketFilter value checks and canonical form.
#include "rustynet/backend_api/packet_filter.hpp"

#include <algorithm>

namespace rustynet::backend_api {
namespace {

BackendStatus validate_rule(const FilterRule& rule, std::string_view list, std::size_t index) {
  const std::string where = std::string(list) + "[" + std::to_string(index) + "]: ";
  if (rule.remote.family() != rule.local.family()) {
    return fail(BackendError::invalid_input(where + "remote and local are of different address families"));
  }
  if (rule.ports.first > rule.ports.last) {
    return fail(BackendError::invalid_input(where + "port range first > last"));
  }
  const bool has_ports = rule.protocol == FilterProtocol::kTcp || rule.protocol == FilterProtocol::kUdp;
  if (!has_ports && !rule.ports.full()) {
    return fail(BackendError::invalid_input(where + std::string(to_string(rule.protocol)) + " has no ports"));
  }
  switch (rule.protocol) {
    case FilterProtocol::kTcp:
    case FilterProtocol::kUdp:
    case FilterProtocol::kIcmp:
    case FilterProtocol::kOther: return {};
  }
  return fail(BackendError::invalid_input(where + "unknown protocol"));
}

void canonicalise(std::vector<FilterRule>& rules) {
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
}

}  // namespace

std::string_view to_string(FilterProtocol protocol) noexcept {
  switch (protocol) {
    case FilterProtocol::kTcp: return "tcp";
    case FilterProtocol::kUdp: return "udp";
    case FilterProtocol::kIcmp: return "icmp";
    case FilterProtocol::kOther: return "other";
  }
  return "unknown";
}

BackendStatus validate_filter_spec(const FilterSpec& spec) {
  for (std::size_t i = 0; i < spec.inbound.size(); ++i) {
    RUSTYNET_RETURN_IF_ERROR(validate_rule(spec.inbound[i], "inbound", i));
  }
  for (std::size_t i = 0; i < spec.outbound.size(); ++i) {
    RUSTYNET_RETURN_IF_ERROR(validate_rule(spec.outbound[i], "outbound", i));
  }
  return {};
}

FilterSpec canonical_filter_spec(FilterSpec spec) {
  canonicalise(spec.inbound);
  canonicalise(spec.outbound);
  return spec;
}

}  // namespace rustynet::backend_api
