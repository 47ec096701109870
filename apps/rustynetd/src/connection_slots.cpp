// SPDX-License-Identifier: Apache-2.0
// ConnectionSlots: admission against the local API's connection caps.
#include "connection_slots.hpp"

#include <string>

namespace rustynet::apps::daemon {

DaemonStatus validate_limits(const LocalApiLimits& limits) {
  const auto in_range = [](std::size_t value) { return value >= 1 && value <= kMaxLocalApiConnections; };
  const std::string range = " must be 1.." + std::to_string(kMaxLocalApiConnections);
  if (!in_range(limits.max_read_connections)) {
    return daemon_fail(DaemonErrorKind::kLocalApi, "max_read_connections" + range);
  }
  if (!in_range(limits.max_connections_per_uid) || limits.max_connections_per_uid > limits.max_read_connections) {
    return daemon_fail(DaemonErrorKind::kLocalApi, "max_connections_per_uid" + range + " and <= max_read_connections");
  }
  if (!in_range(limits.max_admin_connections)) {
    return daemon_fail(DaemonErrorKind::kLocalApi, "max_admin_connections" + range);
  }
  if (!in_range(limits.read_queue_depth)) {
    return daemon_fail(DaemonErrorKind::kLocalApi, "read_queue_depth" + range);
  }
  if (limits.request_deadline < kMinLocalApiDeadline || limits.request_deadline > kMaxLocalApiDeadline) {
    return daemon_fail(DaemonErrorKind::kLocalApi, "request_deadline must be " +
                                                       std::to_string(kMinLocalApiDeadline.count()) + ".." +
                                                       std::to_string(kMaxLocalApiDeadline.count()) + " ms");
  }
  return {};
}

Admission ConnectionSlots::admit(uid_t uid, Access access) {
  switch (access) {
    case Access::kNone: return Admission::kForbidden;
    case Access::kAdmin:
      if (admin_open_ >= limits_.max_admin_connections) {
        return Admission::kAdminFull;
      }
      ++admin_open_;
      return Admission::kAdmitted;
    case Access::kRead: break;
  }
  // The uid check comes first so a uid at its own cap is told so even when the total is full.
  if (open_for(uid) >= limits_.max_connections_per_uid) {
    return Admission::kUidFull;
  }
  if (read_open_ >= limits_.max_read_connections) {
    return Admission::kReadFull;
  }
  ++per_uid_[uid];
  ++read_open_;
  return Admission::kAdmitted;
}

void ConnectionSlots::release(uid_t uid, Access access) {
  if (access == Access::kAdmin) {
    if (admin_open_ > 0) {
      --admin_open_;
    }
    return;
  }
  if (access != Access::kRead) {
    return;
  }
  const auto found = per_uid_.find(uid);
  if (found == per_uid_.end()) {
    return;
  }
  if (--found->second == 0) {
    per_uid_.erase(found);  // keeps the map at one entry per uid that holds a slot
  }
  --read_open_;
}

std::size_t ConnectionSlots::open_for(uid_t uid) const {
  const auto found = per_uid_.find(uid);
  return found == per_uid_.end() ? 0 : found->second;
}

std::string_view to_string(Admission admission) noexcept {
  switch (admission) {
    case Admission::kAdmitted: return "admitted";
    case Admission::kUidFull: return "too many local API connections for this uid";
    case Admission::kReadFull: return "too many local API connections";
    case Admission::kAdminFull: return "too many admin local API connections";
    case Admission::kForbidden: return "not authorised for the local API";
  }
  return "unknown";
}

}  // namespace rustynet::apps::daemon
