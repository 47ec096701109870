// SPDX-License-Identifier: Apache-2.0
// AccessRequest: one flow (or connection attempt) to decide on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rustynet/policy/ip_prefix.hpp"

namespace rustynet::policy {

// The IP protocol of the flow. kOther is matched only by rules with protocol "any".
enum class IpProtocol : std::uint8_t { kTcp, kUdp, kIcmp, kOther };

// Node ids must only be filled in when the caller has authenticated them (e.g. mapped from the
// tunnel key of the sending peer); an empty id matches no node/tag/group selector. Addresses are
// matched by prefix selectors; an absent address matches none.
struct AccessRequest {
  std::string src_node;
  std::optional<IpAddress> src_ip;
  std::string dst_node;
  std::optional<IpAddress> dst_ip;
  IpProtocol protocol = IpProtocol::kTcp;
  std::uint16_t dst_port = 0;  // ignored for kIcmp and kOther
};

}  // namespace rustynet::policy
