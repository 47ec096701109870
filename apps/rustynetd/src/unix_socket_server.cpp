// SPDX-License-Identifier: Apache-2.0
// LocalApiServer: bind/listen/accept on a Unix socket, SO_PEERCRED, bounded line I/O.
#include "unix_socket_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <vector>

#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unix_socket.hpp"

namespace rustynet::apps::daemon {
namespace {

DaemonError sys_fail(const std::string& what) {
  return DaemonError{DaemonErrorKind::kLocalApi, base::last_sys_error(what).describe()};
}

void set_timeouts(int fd, int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(timeout_ms % 1000) * 1000;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool write_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
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
  struct stat existing {};
  if (::lstat(options.socket_path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return daemon_fail(DaemonErrorKind::kLocalApi, options.socket_path + " exists and is not a socket");
    }
    (void)::unlink(options.socket_path.c_str());  // a previous instance's socket
  }
  // Created 0600 by the umask, then opened up to the group: never briefly world-accessible.
  const mode_t previous = ::umask(0177);
  auto listening = base::listen_unix_stream(options.socket_path);
  (void)::umask(previous);
  if (!listening.has_value()) {
    return daemon_fail(DaemonErrorKind::kLocalApi, listening.error().describe());
  }
  base::UniqueFd listener = std::move(*listening);
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
      wake_write_(std::move(wake_write)) {}

LocalApiServer::~LocalApiServer() { stop(); }

void LocalApiServer::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  const char byte = 1;
  (void)!::write(wake_write_.get(), &byte, 1);
  if (thread_.joinable()) {
    thread_.join();
  }
  (void)::unlink(options_.socket_path.c_str());
}

void LocalApiServer::run() {
  while (!stopped_.load()) {
    std::array<pollfd, 2> fds{pollfd{listener_.get(), POLLIN, 0}, pollfd{wake_read_.get(), POLLIN, 0}};
    const int ready = ::poll(fds.data(), fds.size(), -1);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      return;
    }
    if ((fds[0].revents & POLLIN) == 0) {
      continue;
    }
    base::UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) {
      continue;  // EINTR, ECONNABORTED, EMFILE: keep serving
    }
    serve(client.get());
  }
}

void LocalApiServer::serve(int fd) {
  set_timeouts(fd, options_.io_timeout_ms);
  auto peer = peer_identity(fd);
  const Access access = peer.has_value() ? classify_peer(*peer, options_.rules) : Access::kNone;
  if (access == Access::kNone) {
    (void)write_all(fd, local_error_line("forbidden", "not authorised for the local API") + "\n");
    return;
  }
  std::string line;
  std::array<char, 4096> chunk{};
  bool complete = false;
  while (line.size() <= kMaxLocalRequestBytes) {
    const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;  // EOF, timeout or error
    }
    const auto* begin = chunk.data();
    const auto* end = chunk.data() + n;
    const auto* newline = std::find(begin, end, '\n');
    line.append(begin, newline);
    if (newline != end) {
      complete = true;
      break;
    }
  }
  std::string response;
  if (line.size() > kMaxLocalRequestBytes) {
    response = local_error_line("too_large", "request line above 64 KiB");
  } else if (!complete) {
    response = local_error_line("malformed", "request must be one line ending in a newline");
  } else {
    response = handle_local_request(line, access, *handler_);
    if (response.size() > kMaxLocalResponseBytes) {
      response = local_error_line("internal", "response above 8 MiB");
    }
  }
  (void)write_all(fd, response + "\n");
}

}  // namespace rustynet::apps::daemon
