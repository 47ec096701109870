// SPDX-License-Identifier: Apache-2.0
// LocalApiServer: bind/listen/accept on a Unix socket, SO_PEERCRED, event loop over non-blocking
// connections with caps and deadlines, handler work on two RequestLanes.
#include "unix_socket_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <string>

#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unix_socket.hpp"

namespace rustynet::apps::daemon {

using Clock = std::chrono::steady_clock;

struct LocalApiServer::Connection {
  enum class Phase : std::uint8_t { kReading, kWorking, kWriting };
  base::UniqueFd fd;
  uid_t uid = 0;
  Access access = Access::kNone;
  Phase phase = Phase::kReading;
  Clock::time_point deadline;
  std::string input;
  std::string output;
  std::size_t sent = 0;
  bool closing = false;   // swept at the end of the loop pass
  bool expired = false;   // closing because of the deadline
  bool answered = false;  // closing after the whole response was written
};

namespace {

// The kernel queues connections beyond what the loop has accepted; the loop drains it at once
// (refusing what the caps do not admit), so this only absorbs bursts.
constexpr int kListenBacklog = 128;
// Accepts per loop pass, so a connect flood cannot keep the loop from its open connections.
constexpr int kAcceptBatch = 64;
// Out of descriptors (EMFILE...): stop polling the listener this long instead of spinning on it.
constexpr std::chrono::milliseconds kAcceptPause{100};

DaemonError sys_fail(const std::string& what) {
  return DaemonError{DaemonErrorKind::kLocalApi, base::last_sys_error(what).describe()};
}

// Best effort, never blocks: used for refusals on a fresh socket, whose empty send buffer
// always takes one short line.
void send_line_now(int fd, const std::string& line) {
  const std::string data = line + "\n";
  (void)::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

bool set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

}  // namespace

DaemonResult<gid_t> group_id(const std::string& name) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(16384);
  const int rc = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    return daemon_fail(DaemonErrorKind::kLocalApi, "unknown group '" + name + "'");
  }
  return entry.gr_gid;
}

DaemonResult<PeerIdentity> peer_identity(int fd) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return base::unexpected(sys_fail("getsockopt SO_PEERCRED"));
  }
  PeerIdentity peer{credentials.uid, credentials.gid, {}};
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(credentials.uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(entry.pw_name, credentials.gid, groups.data(), &count) < 0 && count > 64 && count <= 65536) {
      groups.resize(static_cast<std::size_t>(count));
      (void)::getgrouplist(entry.pw_name, credentials.gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(std::clamp(count, 0, static_cast<int>(groups.size()))));
    peer.groups = std::move(groups);
  }
  return peer;
}

DaemonResult<std::unique_ptr<LocalApiServer>> LocalApiServer::start(LocalApiServerOptions options,
                                                                    LocalApiHandler& handler) {
  if (options.socket_path.empty()) {
    return daemon_fail(DaemonErrorKind::kLocalApi, "socket path is empty");
  }
  if (auto valid = validate_limits(options.limits); !valid.has_value()) {
    return base::unexpected(valid.error());
  }
  struct stat existing {};
  if (::lstat(options.socket_path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return daemon_fail(DaemonErrorKind::kLocalApi, options.socket_path + " exists and is not a socket");
    }
    (void)::unlink(options.socket_path.c_str());  // a previous instance's socket
  }
  // Created 0600 by the umask, then opened up to the group: never briefly world-accessible.
  const mode_t previous = ::umask(0177);
  auto listening = base::listen_unix_stream(options.socket_path, kListenBacklog);
  (void)::umask(previous);
  if (!listening.has_value()) {
    return daemon_fail(DaemonErrorKind::kLocalApi, listening.error().describe());
  }
  base::UniqueFd listener = std::move(*listening);
  if (!set_nonblocking(listener.get())) {
    DaemonError error = sys_fail("fcntl O_NONBLOCK");
    (void)::unlink(options.socket_path.c_str());
    return base::unexpected(std::move(error));
  }
  if (::chown(options.socket_path.c_str(), static_cast<uid_t>(-1), options.socket_gid) != 0 ||
      ::chmod(options.socket_path.c_str(), 0660) != 0) {
    DaemonError error = sys_fail("chown/chmod " + options.socket_path);
    (void)::unlink(options.socket_path.c_str());
    return base::unexpected(std::move(error));
  }
  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    DaemonError error = sys_fail("pipe2");
    (void)::unlink(options.socket_path.c_str());
    return base::unexpected(std::move(error));
  }
  auto server = std::make_unique<LocalApiServer>(std::move(options), handler, std::move(listener),
                                                 base::UniqueFd(pipe_fds[0]), base::UniqueFd(pipe_fds[1]));
  server->thread_ = std::thread([raw = server.get()] { raw->run(); });
  return server;
}

LocalApiServer::LocalApiServer(LocalApiServerOptions options, LocalApiHandler& handler, base::UniqueFd listener,
                               base::UniqueFd wake_read, base::UniqueFd wake_write)
    : options_(std::move(options)),
      handler_(&handler),
      listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      slots_(options_.limits) {
  auto done = [this](std::uint64_t id, std::string response) { complete(id, std::move(response)); };
  // Each admin connection submits at most once, so its lane can never be full.
  admin_lane_ = std::make_unique<RequestLane>(options_.limits.max_admin_connections, *handler_, done);
  read_lane_ = std::make_unique<RequestLane>(options_.limits.read_queue_depth, *handler_, done);
}

LocalApiServer::~LocalApiServer() { stop(); }

void LocalApiServer::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  wake();
  if (thread_.joinable()) {
    thread_.join();
  }
  // The loop is gone: lanes may still call complete(), which only queues and wakes.
  admin_lane_->stop();
  read_lane_->stop();
  connections_.clear();
  (void)::unlink(options_.socket_path.c_str());
}

LocalApiServerStats LocalApiServer::stats() const {
  const std::lock_guard lock(stats_mutex_);
  return stats_;
}

void LocalApiServer::count(std::uint64_t LocalApiServerStats::*counter) {
  const std::lock_guard lock(stats_mutex_);
  ++(stats_.*counter);
  stats_.read_open = slots_.read_open();
  stats_.admin_open = slots_.admin_open();
}

void LocalApiServer::wake() const {
  const char byte = 1;
  (void)!::write(wake_write_.get(), &byte, 1);  // EAGAIN: a wake-up is already pending
}

void LocalApiServer::complete(std::uint64_t id, std::string response) {
  {
    const std::lock_guard lock(completed_mutex_);
    completed_.emplace_back(id, std::move(response));
  }
  wake();
}

void LocalApiServer::run() {
  std::vector<pollfd> fds;
  std::vector<std::uint64_t> polled;
  while (!stopped_.load()) {
    fds.clear();
    polled.clear();
    const auto now = Clock::now();
    const bool accepting = now >= accept_paused_until_;
    auto next = accepting ? Clock::time_point::max() : accept_paused_until_;
    fds.push_back(pollfd{wake_read_.get(), POLLIN, 0});
    fds.push_back(pollfd{accepting ? listener_.get() : -1, POLLIN, 0});  // poll skips fd -1
    for (const auto& [id, connection] : connections_) {
      if (connection->phase == Connection::Phase::kWorking) {
        continue;  // the lane owns the time; nothing to read or write
      }
      const short events = connection->phase == Connection::Phase::kReading ? POLLIN : POLLOUT;
      fds.push_back(pollfd{connection->fd.get(), events, 0});
      polled.push_back(id);
      next = std::min(next, connection->deadline);
    }
    int timeout_ms = -1;
    if (next != Clock::time_point::max()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
      timeout_ms = static_cast<int>(std::clamp<std::int64_t>(left, 0, INT_MAX));
    }
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      return;
    }
    if (stopped_.load()) {
      return;
    }
    if (ready > 0) {
      if ((fds[0].revents & POLLIN) != 0) {
        std::array<char, 64> drain{};
        while (::read(wake_read_.get(), drain.data(), drain.size()) > 0) {
        }
        take_completions();
      }
      for (std::size_t i = 0; i < polled.size(); ++i) {
        if (fds[i + 2].revents == 0) {
          continue;
        }
        const auto found = connections_.find(polled[i]);
        if (found == connections_.end() || found->second->closing) {
          continue;
        }
        Connection& connection = *found->second;
        if (connection.phase == Connection::Phase::kReading) {
          read_request(polled[i], connection);
        } else if (connection.phase == Connection::Phase::kWriting) {
          write_response(connection);
        }
      }
      if ((fds[1].revents & POLLIN) != 0) {
        accept_pending();
      }
    }
    expire();
    sweep();
  }
}

void LocalApiServer::accept_pending() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    base::UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client.valid()) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        accept_paused_until_ = Clock::now() + kAcceptPause;
      }
      return;  // EAGAIN: drained; EINTR, ECONNABORTED: the next pass retries
    }
    auto peer = peer_identity(client.get());
    const Access access = peer.has_value() ? classify_peer(*peer, options_.rules) : Access::kNone;
    const uid_t uid = peer.has_value() ? peer->uid : static_cast<uid_t>(-1);
    const Admission admission = slots_.admit(uid, access);
    if (admission != Admission::kAdmitted) {
      const bool forbidden = admission == Admission::kForbidden;
      send_line_now(client.get(), local_error_line(forbidden ? "forbidden" : "unavailable", to_string(admission)));
      client.reset();  // closed before it is counted: a counter never runs ahead of the socket
    }
    switch (admission) {
      case Admission::kAdmitted: break;
      case Admission::kForbidden: count(&LocalApiServerStats::forbidden); continue;
      case Admission::kUidFull: count(&LocalApiServerStats::refused_uid); continue;
      case Admission::kReadFull:
      case Admission::kAdminFull: count(&LocalApiServerStats::refused_total); continue;
    }
    auto connection = std::make_unique<Connection>();
    connection->fd = std::move(client);
    connection->uid = uid;
    connection->access = access;
    connection->deadline = Clock::now() + options_.limits.request_deadline;
    connections_.emplace(next_id_++, std::move(connection));
    count(&LocalApiServerStats::accepted);
  }
}

void LocalApiServer::read_request(std::uint64_t id, Connection& connection) {
  std::array<char, 4096> chunk{};
  while (true) {
    const ssize_t n = ::recv(connection.fd.get(), chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // more later, within the deadline
    }
    if (n < 0) {
      connection.closing = true;
      return;
    }
    if (n == 0) {
      start_response(connection, local_error_line("malformed", "request must be one line ending in a newline"));
      return;
    }
    const auto* begin = chunk.data();
    const auto* end = chunk.data() + n;
    const auto* newline = std::find(begin, end, '\n');
    connection.input.append(begin, newline);
    if (connection.input.size() > kMaxLocalRequestBytes) {
      start_response(connection, local_error_line("too_large", "request line above 64 KiB"));
      return;
    }
    if (newline != end) {
      break;
    }
  }
  connection.phase = Connection::Phase::kWorking;
  RequestLane& lane = connection.access == Access::kAdmin ? *admin_lane_ : *read_lane_;
  if (!lane.submit(id, std::move(connection.input), connection.access)) {
    count(&LocalApiServerStats::refused_busy);
    start_response(connection, local_error_line("unavailable", "local API busy, try again"));
  }
  connection.input = std::string();
}

void LocalApiServer::start_response(Connection& connection, std::string line) {
  connection.output = std::move(line);
  connection.output.push_back('\n');
  connection.sent = 0;
  connection.phase = Connection::Phase::kWriting;
  connection.deadline = Clock::now() + options_.limits.request_deadline;
  write_response(connection);
}

void LocalApiServer::write_response(Connection& connection) {
  while (connection.sent < connection.output.size()) {
    const ssize_t n = ::send(connection.fd.get(), connection.output.data() + connection.sent,
                             connection.output.size() - connection.sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // the client reads slowly: POLLOUT, within the deadline
    }
    if (n <= 0) {
      connection.closing = true;
      return;
    }
    connection.sent += static_cast<std::size_t>(n);
  }
  connection.closing = true;
  connection.answered = true;
}

void LocalApiServer::take_completions() {
  std::vector<std::pair<std::uint64_t, std::string>> completed;
  {
    const std::lock_guard lock(completed_mutex_);
    completed.swap(completed_);
  }
  for (auto& [id, response] : completed) {
    const auto found = connections_.find(id);
    if (found != connections_.end() && found->second->phase == Connection::Phase::kWorking) {
      start_response(*found->second, std::move(response));
    }
  }
}

void LocalApiServer::expire() {
  const auto now = Clock::now();
  for (auto& [id, connection] : connections_) {
    if (connection->closing || connection->phase == Connection::Phase::kWorking || now < connection->deadline) {
      continue;
    }
    if (connection->phase == Connection::Phase::kReading) {
      send_line_now(
          connection->fd.get(),
          local_error_line("malformed", "request line not complete within " +
                                            std::to_string(options_.limits.request_deadline.count()) + " ms"));
    }
    connection->closing = true;
    connection->expired = true;
  }
}

void LocalApiServer::sweep() {
  std::uint64_t expired = 0;
  std::uint64_t answered = 0;
  bool released = false;
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& connection = *it->second;
    if (!connection.closing) {
      ++it;
      continue;
    }
    slots_.release(connection.uid, connection.access);
    expired += connection.expired ? 1 : 0;
    answered += connection.answered ? 1 : 0;
    it = connections_.erase(it);  // closes the socket before the counters below say so
    released = true;
  }
  if (released) {
    const std::lock_guard lock(stats_mutex_);
    stats_.expired += expired;
    stats_.answered += answered;
    stats_.read_open = slots_.read_open();
    stats_.admin_open = slots_.admin_open();
  }
}

}  // namespace rustynet::apps::daemon
