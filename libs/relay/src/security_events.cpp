// SPDX-License-Identifier: Apache-2.0
// Security event names and their JSON-lines form.
#include "rustynet/relay/security_events.hpp"

#include <nlohmann/json.hpp>

namespace rustynet::relay {

std::string_view to_string(SecurityEventKind kind) noexcept {
  switch (kind) {
    case SecurityEventKind::kTicketRejected: return "ticket-rejected";
    case SecurityEventKind::kTicketReplayed: return "ticket-replayed";
    case SecurityEventKind::kSessionBound: return "session-bound";
    case SecurityEventKind::kSessionRebound: return "session-rebound";
    case SecurityEventKind::kSessionExpired: return "session-expired";
    case SecurityEventKind::kLimitReached: return "limit-reached";
    case SecurityEventKind::kCookieInvalid: return "cookie-invalid";
    case SecurityEventKind::kHelloRateLimited: return "hello-rate-limited";
  }
  return "unknown";
}

std::string SecurityEvent::to_json_line() const {
  nlohmann::json line = {{"component", "rustynet-relay"},
                         {"event", std::string(to_string(kind))},
                         {"source", source},
                         {"node", node_id},
                         {"session", session},
                         {"decision", decision}};
  // dump() with replace: untrusted strings cannot break the JSON line or throw on bad UTF-8.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rustynet::relay
