// SPDX-License-Identifier: Apache-2.0
// Mode "apply-time": build + apply of the node filter for policies of R rules, with a breakdown.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rustynet/base/result.hpp"

namespace rustynet::bench::filter {

struct ApplyTimeOptions {
  std::vector<std::size_t> rule_counts{1000, 10000};
  std::size_t nodes = 1001;  // the workload inventory: the node and its peers
  std::size_t self = 0;      // which node's filter
  std::size_t repetitions = 10;
  std::size_t breakdown_repetitions = 4;  // per variant, for the direct nft runs
  std::string nft = "/usr/sbin/nft";
  std::string save_scripts_dir;  // non-empty: copy the captured nft scripts there (to reproduce by hand)
};

// Precondition: the process is root in a private network namespace (main unshares first). Starts
// one real WireGuard interface (wireguard-go through the backend) in it and, per rule count,
// alternates two policy contents for `repetitions` builds + applies, each checked with verify()
// and with a flow only that content allows (asked of the kernel). The breakdown then re-runs the
// captured nft scripts directly: check only (-c), the apply step alone on a present and on an
// absent table, the read-back, and the fixed cost of an empty filter. Returns the JSON report
// (raw samples, counts); error: anything that did not work.
[[nodiscard]] base::Result<std::string, std::string> run_apply_time(const ApplyTimeOptions& options);

}  // namespace rustynet::bench::filter
