// SPDX-License-Identifier: Apache-2.0
// ReferencePacketFilter: the packet-filter contract kept in memory.
#include "rustynet/backend_api/reference_packet_filter.hpp"

namespace rustynet::backend_api {

bool filter_rules_allow(const std::vector<FilterRule>& rules, const FlowQuery& flow) {
  const bool has_ports = flow.protocol == FilterProtocol::kTcp || flow.protocol == FilterProtocol::kUdp;
  for (const auto& rule : rules) {
    if (rule.protocol != flow.protocol || rule.local != flow.local || !rule.remote.contains(flow.remote)) {
      continue;
    }
    if (!has_ports || (rule.ports.first <= flow.port && flow.port <= rule.ports.last)) {
      return true;
    }
  }
  return false;
}

BackendStatus ReferencePacketFilter::apply(const FilterSpec& spec) {
  RUSTYNET_RETURN_IF_ERROR(validate_filter_spec(spec));
  if (fail_next_apply_) {
    fail_next_apply_ = false;
    return fail(BackendError::internal("injected filter installation failure"));
  }
  store_->installed = canonical_filter_spec(spec);
  store_->tampered = false;
  applied_at_ = ++store_->changes;
  ++apply_count_;
  return {};
}

BackendStatus ReferencePacketFilter::ensure_installed() {
  if (!store_->installed) {
    store_->installed = FilterSpec{};
    store_->tampered = false;
    ++store_->changes;
  }
  return {};
}

BackendResult<FilterState> ReferencePacketFilter::verify() {
  FilterState state;
  state.installed = store_->installed.has_value();
  state.generation = store_->installed ? store_->installed->generation : 0;
  state.intact = state.installed && !store_->tampered && applied_at_ == store_->changes;
  return state;
}

BackendResult<bool> ReferencePacketFilter::allows(const FlowQuery& flow) {
  if (!store_->installed) {
    return fail(BackendError::internal("no filter installed"));
  }
  const FilterSpec& spec = *store_->installed;
  return filter_rules_allow(flow.direction == FlowDirection::kInbound ? spec.inbound : spec.outbound, flow);
}

BackendStatus ReferencePacketFilter::remove() {
  if (store_->installed) {
    store_->installed.reset();
    store_->tampered = false;
    ++store_->changes;
  }
  return {};
}

}  // namespace rustynet::backend_api
