// SPDX-License-Identifier: Apache-2.0
// libmnl-backed NetlinkSocket.
#include "kernel/netlink_socket.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <string>

namespace rustynet::backend_wireguard::kernel {
namespace {

struct MnlSocketCloser {
  void operator()(mnl_socket* socket) const noexcept { mnl_socket_close(socket); }
};
using MnlSocketPtr = std::unique_ptr<mnl_socket, MnlSocketCloser>;

class MnlNetlinkSocket final : public NetlinkSocket {
 public:
  explicit MnlNetlinkSocket(MnlSocketPtr socket) : socket_(std::move(socket)) {}

  base::Status<base::SysError> send(std::span<const std::uint8_t> message) override {
    const ssize_t sent = mnl_socket_sendto(socket_.get(), message.data(), message.size());
    if (sent < 0) {
      return base::unexpected(base::last_sys_error("netlink sendto"));
    }
    if (static_cast<std::size_t>(sent) != message.size()) {
      return base::unexpected(base::SysError{"netlink sendto (short write)", EMSGSIZE});
    }
    return {};
  }

  base::Result<std::size_t, base::SysError> receive(std::span<std::uint8_t> buffer) override {
    for (;;) {
      const ssize_t received = mnl_socket_recvfrom(socket_.get(), buffer.data(), buffer.size());
      if (received >= 0) {
        return static_cast<std::size_t>(received);
      }
      if (errno != EINTR) {
        return base::unexpected(base::last_sys_error("netlink recvfrom"));
      }
    }
  }

 private:
  MnlSocketPtr socket_;
};

}  // namespace

base::Result<std::unique_ptr<NetlinkSocket>, base::SysError> open_netlink_socket(int protocol, int receive_timeout_ms) {
  const std::string what = "netlink socket (protocol " + std::to_string(protocol) + ")";
  MnlSocketPtr socket(mnl_socket_open2(protocol, SOCK_CLOEXEC));
  if (!socket) {
    return base::unexpected(base::last_sys_error("open " + what));
  }
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return base::unexpected(base::last_sys_error("bind " + what));
  }
  int enable = 1;
  if (mnl_socket_setsockopt(socket.get(), NETLINK_CAP_ACK, &enable, sizeof(enable)) < 0) {
    return base::unexpected(base::last_sys_error("setsockopt NETLINK_CAP_ACK on " + what));
  }
  timeval timeout{};
  timeout.tv_sec = receive_timeout_ms / 1000;
  timeout.tv_usec = static_cast<suseconds_t>(receive_timeout_ms % 1000) * 1000;
  if (::setsockopt(mnl_socket_get_fd(socket.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
    return base::unexpected(base::last_sys_error("setsockopt SO_RCVTIMEO on " + what));
  }
  return std::unique_ptr<NetlinkSocket>(std::make_unique<MnlNetlinkSocket>(std::move(socket)));
}

}  // namespace rustynet::backend_wireguard::kernel
