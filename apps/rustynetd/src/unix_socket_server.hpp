// SPDX-License-Identifier: Apache-2.0
// LocalApiServer: the Unix stream socket of the local API (one request line, one response line).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "daemon_error.hpp"
#include "local_api.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::apps::daemon {

struct LocalApiServerOptions {
  std::string socket_path;
  gid_t socket_gid = 0;  // chown'ed to this group, mode 0660
  AccessRules rules;
  int io_timeout_ms = 2000;  // per connection: a stalled client cannot hold the API longer
};

// Serves connections one at a time on its own thread (poll() on the listening socket and a wake
// pipe: idle means blocked, no timers). Authorises every connection with SO_PEERCRED and the
// uid's supplementary groups. `handler` must outlive the server.
class LocalApiServer {
 public:
  // Removes a stale socket at the path (only if it IS a socket), binds, sets group and 0660,
  // listens and starts the thread. Errors: kLocalApi.
  [[nodiscard]] static DaemonResult<std::unique_ptr<LocalApiServer>> start(LocalApiServerOptions options,
                                                                           LocalApiHandler& handler);
  ~LocalApiServer();
  LocalApiServer(const LocalApiServer&) = delete;
  LocalApiServer& operator=(const LocalApiServer&) = delete;
  LocalApiServer(LocalApiServer&&) = delete;
  LocalApiServer& operator=(LocalApiServer&&) = delete;

  // Stops the thread and removes the socket file. Idempotent.
  void stop();

  LocalApiServer(LocalApiServerOptions options, LocalApiHandler& handler, base::UniqueFd listener,
                 base::UniqueFd wake_read, base::UniqueFd wake_write);

 private:
  void run();
  void serve(int fd);

  LocalApiServerOptions options_;
  LocalApiHandler* handler_;
  base::UniqueFd listener_;
  base::UniqueFd wake_read_;
  base::UniqueFd wake_write_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

// SO_PEERCRED of a connected Unix socket plus the supplementary groups of that uid.
[[nodiscard]] DaemonResult<PeerIdentity> peer_identity(int fd);
// getgrnam_r. Errors: kLocalApi.
[[nodiscard]] DaemonResult<gid_t> group_id(const std::string& name);

}  // namespace rustynet::apps::daemon
