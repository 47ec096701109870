// SPDX-License-Identifier: Apache-2.0
// Turns possibly overlapping filter rules into disjoint set elements (nft interval sets refuse
// overlapping elements), covering exactly the same flows.
#pragma once

#include <vector>

#include "rustynet/backend_api/ip_address.hpp"
#include "rustynet/backend_api/packet_filter.hpp"

namespace rustynet::backend_wireguard::filter {

// An inclusive address range of one family.
struct AddressRange {
  backend_api::IpAddress first;
  backend_api::IpAddress last;
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

// One element of a concatenated interval set: remote range . local . protocol . ports.
// For kIcmp and kOther, `ports` is the full range and not part of the key.
struct SetElement {
  AddressRange remote;
  backend_api::IpAddress local;
  backend_api::FilterProtocol protocol = backend_api::FilterProtocol::kTcp;
  backend_api::PortRange ports;
  friend bool operator==(const SetElement&, const SetElement&) = default;
};

// Pairwise disjoint elements whose union is exactly the union of `rules`. Preconditions: every rule
// passes validate_filter_spec and all have the family of `rules.front()`. Deterministic: ordered by
// local, protocol, remote range, ports. Adjacent remote ranges with the same ports are merged, so
// overlapping or duplicate rules never cost extra elements. O(n log n) for n rules plus the size
// of the port lists of nested prefixes.
[[nodiscard]] std::vector<SetElement> disjoint_elements(const std::vector<backend_api::FilterRule>& rules);

// The text nft reads for `range`: "a", "a/len" when the range is exactly a prefix, else "a-b".
[[nodiscard]] std::string render_address_range(const AddressRange& range);

}  // namespace rustynet::backend_wireguard::filter
