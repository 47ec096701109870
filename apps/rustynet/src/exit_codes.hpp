// SPDX-License-Identifier: Apache-2.0
// The rustynet CLI's exit codes (documented in docs/cli.md; scripts depend on them: never renumber).
#pragma once

namespace rustynet::apps::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // refused (daemon/control error, policy deny) or failed
inline constexpr int kExitUnreachable = 2;  // daemon (or control server) not reachable / not answering
inline constexpr int kExitUsage = 64;       // EX_USAGE: bad command line
inline constexpr int kExitPermission = 77;  // EX_NOPERM: socket permission or "forbidden" from the daemon

}  // namespace rustynet::apps::cli
