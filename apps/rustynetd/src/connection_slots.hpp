// SPDX-License-Identifier: Apache-2.0
// ConnectionSlots: the local API's connection caps (total, per uid, admin lane), sans I/O.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "daemon_error.hpp"
#include "local_api.hpp"

namespace rustynet::apps::daemon {

// Bounds of the local API server (docs/daemon.md "Local API"). Defaults suit a small node: with
// every slot taken and every response at its 8 MiB cap the server holds at most
// (max_read_connections + max_admin_connections) responses; real responses are kilobytes.
struct LocalApiLimits {
  std::size_t max_read_connections = 32;    // read-class connections open at once, all uids
  std::size_t max_connections_per_uid = 4;  // read-class connections of one uid
  std::size_t max_admin_connections = 8;    // admin-class slots, separate from the read caps
  std::size_t read_queue_depth = 8;         // complete read requests waiting for the read worker
  // From accept to the complete request line, and again from a ready response to its last byte
  // written. Time spent in the handler does not count (the daemon, not the client, holds it).
  std::chrono::milliseconds request_deadline{2000};

  bool operator==(const LocalApiLimits&) const = default;
};

inline constexpr std::size_t kMaxLocalApiConnections = 1024;
inline constexpr std::chrono::milliseconds kMinLocalApiDeadline{50};
inline constexpr std::chrono::milliseconds kMaxLocalApiDeadline{60000};

// Every cap 1..kMaxLocalApiConnections, per uid <= total, deadline 50 ms..60 s.
// Errors: kLocalApi naming the bad field.
[[nodiscard]] DaemonStatus validate_limits(const LocalApiLimits& limits);

enum class Admission : std::uint8_t {
  kAdmitted,
  kUidFull,    // this uid holds max_connections_per_uid read connections
  kReadFull,   // max_read_connections read connections are open
  kAdminFull,  // max_admin_connections admin connections are open
  kForbidden,  // Access::kNone never holds a slot
};

// Counts open connections per class and per uid. Admin connections never take or wait for a
// read slot, so read-class clients cannot lock root out. Memory: one map entry per uid with an
// open read connection (at most max_read_connections). Not thread-safe (the server's loop owns it).
class ConnectionSlots {
 public:
  explicit ConnectionSlots(const LocalApiLimits& limits) : limits_(limits) {}

  // kAdmitted takes a slot that release() must give back with the same uid and access.
  [[nodiscard]] Admission admit(uid_t uid, Access access);
  void release(uid_t uid, Access access);

  [[nodiscard]] std::size_t read_open() const noexcept { return read_open_; }
  [[nodiscard]] std::size_t admin_open() const noexcept { return admin_open_; }
  [[nodiscard]] std::size_t open_for(uid_t uid) const;

 private:
  LocalApiLimits limits_;
  std::size_t read_open_ = 0;
  std::size_t admin_open_ = 0;
  std::unordered_map<uid_t, std::size_t> per_uid_;
};

[[nodiscard]] std::string_view to_string(Admission admission) noexcept;

}  // namespace rustynet::apps::daemon
