// SPDX-License-Identifier: Apache-2.0
// Local API protocol (docs/control-protocol.md "Local API"): authorisation and request dispatch.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rustynet::apps::daemon {

inline constexpr std::size_t kMaxLocalRequestBytes = std::size_t{64} * 1024U;
inline constexpr std::size_t kMaxLocalResponseBytes = 8U << 20U;

// Who is on the other end of the socket (SO_PEERCRED plus the uid's supplementary groups).
struct PeerIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

enum class Access : std::uint8_t { kNone, kRead, kAdmin };

struct AccessRules {
  uid_t daemon_uid = 0;
  gid_t read_gid = 0;              // the socket's group
  std::optional<gid_t> admin_gid;  // members may call mutating methods
};

// uid 0 and the daemon's own uid: admin. Member (primary or supplementary) of admin_gid: admin.
// Member of read_gid: read. Anyone else: none (the socket mode already keeps them out; this is
// the second, explicit check).
[[nodiscard]] Access classify_peer(const PeerIdentity& peer, const AccessRules& rules);

// What the API needs from the daemon. Each returns the JSON text of `result`, or an error.
struct LocalApiError {
  std::string kind;  // malformed, unknown_method, forbidden, too_large, unavailable, internal
  std::string message;
};

class LocalApiHandler {
 public:
  virtual ~LocalApiHandler() = default;
  LocalApiHandler() = default;
  LocalApiHandler(const LocalApiHandler&) = delete;
  LocalApiHandler& operator=(const LocalApiHandler&) = delete;
  LocalApiHandler(LocalApiHandler&&) = delete;
  LocalApiHandler& operator=(LocalApiHandler&&) = delete;

  struct PolicyQuery {
    std::string src;
    std::string dst;
    std::string proto;  // tcp, udp, icmp, any
    std::uint16_t port = 0;
    bool explain = false;  // also ask the kernel's packet filter whether it holds the decision
  };
  struct Reply {
    bool ok = true;
    std::string result_json;  // when ok
    LocalApiError error;      // when !ok
  };

  [[nodiscard]] virtual Reply status() = 0;
  [[nodiscard]] virtual Reply peers() = 0;
  [[nodiscard]] virtual Reply routes() = 0;
  [[nodiscard]] virtual Reply netmap() = 0;
  [[nodiscard]] virtual Reply policy_check(const PolicyQuery& query) = 0;
  [[nodiscard]] virtual Reply reload() = 0;
};

// One request line (without the newline) -> one response line (without the newline). Never
// throws; malformed input gets {"ok":false,"error":"malformed"}.
[[nodiscard]] std::string handle_local_request(std::string_view line, Access access, LocalApiHandler& handler);

// The error response line for `kind` (used by the server for too_large before parsing).
[[nodiscard]] std::string local_error_line(std::string_view kind, std::string_view message);

}  // namespace rustynet::apps::daemon
