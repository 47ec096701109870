// SPDX-License-Identifier: Apache-2.0
// LocalApiServer: the Unix stream socket of the local API (one request line, one response line).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connection_slots.hpp"
#include "daemon_error.hpp"
#include "local_api.hpp"
#include "request_lane.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::apps::daemon {

struct LocalApiServerOptions {
  std::string socket_path;
  gid_t socket_gid = 0;  // chown'ed to this group, mode 0660
  AccessRules rules;
  LocalApiLimits limits;  // caps and the request deadline; validated by start()
};

// Counters of the server since start (tests and diagnostics). Refusals are answered with an
// `unavailable` (caps, full read queue) or `forbidden` line and closed.
struct LocalApiServerStats {
  std::size_t read_open = 0;
  std::size_t admin_open = 0;
  std::uint64_t accepted = 0;       // connections that got a slot
  std::uint64_t refused_uid = 0;    // read uid at max_connections_per_uid
  std::uint64_t refused_total = 0;  // max_read_connections or max_admin_connections reached
  std::uint64_t refused_busy = 0;   // read queue full when the request line was complete
  std::uint64_t forbidden = 0;      // no access class
  std::uint64_t expired = 0;        // closed at the request deadline (reading or writing)
  std::uint64_t answered = 0;       // responses written completely
};

// Serves many connections at once. One event-loop thread (poll() over the listener, a wake pipe
// and every open connection; non-blocking sockets) reads request lines and writes responses; two
// RequestLanes run the handler, one for admin-class and one for read-class requests, so the
// server has three threads whatever the load. Authorises every connection at accept with
// SO_PEERCRED and the uid's supplementary groups, then admits it against ConnectionSlots.
// `handler` must outlive the server; its methods run on the lane threads (one call per lane at
// a time, so at most two calls at once).
class LocalApiServer {
 public:
  // Validates the limits, removes a stale socket at the path (only if it IS a socket), binds,
  // sets group and 0660, listens and starts the threads. Errors: kLocalApi.
  [[nodiscard]] static DaemonResult<std::unique_ptr<LocalApiServer>> start(LocalApiServerOptions options,
                                                                           LocalApiHandler& handler);
  ~LocalApiServer();
  LocalApiServer(const LocalApiServer&) = delete;
  LocalApiServer& operator=(const LocalApiServer&) = delete;
  LocalApiServer(LocalApiServer&&) = delete;
  LocalApiServer& operator=(LocalApiServer&&) = delete;

  // Stops the loop and the lanes (a handler call in progress finishes first; queued requests are
  // dropped and their connections closed) and removes the socket file. Idempotent.
  void stop();

  // Thread-safe snapshot.
  [[nodiscard]] LocalApiServerStats stats() const;

  LocalApiServer(LocalApiServerOptions options, LocalApiHandler& handler, base::UniqueFd listener,
                 base::UniqueFd wake_read, base::UniqueFd wake_write);

 private:
  struct Connection;

  void run();
  void accept_pending();
  void read_request(std::uint64_t id, Connection& connection);
  void start_response(Connection& connection, std::string line);
  void write_response(Connection& connection);
  void take_completions();
  void expire();
  void sweep();
  void complete(std::uint64_t id, std::string response);
  void count(std::uint64_t LocalApiServerStats::*counter);
  void wake() const;

  LocalApiServerOptions options_;
  LocalApiHandler* handler_;
  base::UniqueFd listener_;
  base::UniqueFd wake_read_;
  base::UniqueFd wake_write_;
  ConnectionSlots slots_;
  // Owned by the loop thread.
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;
  std::chrono::steady_clock::time_point accept_paused_until_{};
  // Filled by the lanes, drained by the loop.
  std::mutex completed_mutex_;
  std::vector<std::pair<std::uint64_t, std::string>> completed_;
  mutable std::mutex stats_mutex_;
  LocalApiServerStats stats_;
  std::unique_ptr<RequestLane> admin_lane_;
  std::unique_ptr<RequestLane> read_lane_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

// SO_PEERCRED of a connected Unix socket plus the supplementary groups of that uid.
[[nodiscard]] DaemonResult<PeerIdentity> peer_identity(int fd);
// getgrnam_r. Errors: kLocalApi.
[[nodiscard]] DaemonResult<gid_t> group_id(const std::string& name);

}  // namespace rustynet::apps::daemon
