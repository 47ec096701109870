// SPDX-License-Identifier: Apache-2.0
// KernelWgDriver: request/ack and dump loops over the NetlinkSocket seam.
#include "kernel/kernel_wg_driver.hpp"

#include <linux/netlink.h>

#include <cerrno>
#include <utility>

namespace rustynet::backend_wireguard::kernel {
namespace {

WgError from_sys(std::string operation, const base::SysError& error) {
  return WgError{std::move(operation), error.error_number, error.operation};
}

// A reply that never completes would otherwise keep us reading forever (the socket has a
// receive timeout, but a flood of unrelated messages would defeat it).
constexpr int kMaxDatagramsPerReply = 1 << 20;

}  // namespace

base::Result<std::unique_ptr<KernelWgDriver>, WgError> KernelWgDriver::open(std::string ifname,
                                                                            KernelWgDriverOptions options) {
  auto socket = open_netlink_socket(NETLINK_GENERIC);
  if (!socket.has_value()) {
    return base::unexpected(from_sys("open generic netlink socket for " + ifname, socket.error()));
  }
  auto driver = std::make_unique<KernelWgDriver>(std::move(ifname), std::move(socket).value(), options);
  RUSTYNET_RETURN_IF_ERROR(driver->family_id());
  return driver;
}

KernelWgDriver::KernelWgDriver(std::string ifname, std::unique_ptr<NetlinkSocket> socket, KernelWgDriverOptions options)
    : ifname_(std::move(ifname)), socket_(std::move(socket)), options_(options) {}

base::Result<std::uint16_t, WgError> KernelWgDriver::family_id() {
  if (family_id_.has_value()) {
    return *family_id_;
  }
  const std::string operation = "CTRL_CMD_GETFAMILY wireguard";
  const std::uint32_t seq = next_seq();
  const NetlinkBuffer request = build_get_family_request(seq);
  if (auto sent = socket_->send(request.bytes()); !sent.has_value()) {
    return base::unexpected(from_sys(operation, sent.error()));
  }
  NetlinkBuffer reply(kReceiveBufferSize);
  for (int datagrams = 0; datagrams < kMaxDatagramsPerReply; ++datagrams) {
    auto received = socket_->receive(reply.storage());
    if (!received.has_value()) {
      return base::unexpected(from_sys(operation, received.error()));
    }
    reply.set_size(*received);
    RUSTYNET_ASSIGN_OR_RETURN(const auto id, parse_get_family_reply(reply.bytes(), seq));
    if (id.has_value()) {
      family_id_ = *id;
      return *id;
    }
  }
  return base::unexpected(make_error(operation, EPROTO, "no reply"));
}

base::Status<WgError> KernelWgDriver::set_device(const WgDeviceUpdate& update) {
  last_request_count_ = 0;
  RUSTYNET_ASSIGN_OR_RETURN(const std::uint16_t family, family_id());
  RUSTYNET_ASSIGN_OR_RETURN(auto requests,
                            build_set_device_requests(family, ifname_, update, seq_ + 1, options_.max_message_size));
  seq_ += static_cast<std::uint32_t>(requests.size());
  NetlinkBuffer reply(kReceiveBufferSize);
  for (std::size_t index = 0; index < requests.size(); ++index) {
    std::string operation = "WG_CMD_SET_DEVICE " + ifname_;
    if (requests.size() > 1) {
      operation += " (request " + std::to_string(index + 1) + " of " + std::to_string(requests.size()) + ")";
    }
    NetlinkBuffer& request = requests[index];
    const std::uint32_t seq = seq_ - static_cast<std::uint32_t>(requests.size() - 1 - index);
    auto sent = socket_->send(request.bytes());
    // The first request may hold the private key: wipe it as soon as the kernel has it.
    request.wipe();
    if (!sent.has_value()) {
      return base::unexpected(from_sys(operation, sent.error()));
    }
    ++last_request_count_;
    bool acked = false;
    for (int datagrams = 0; !acked && datagrams < kMaxDatagramsPerReply; ++datagrams) {
      auto received = socket_->receive(reply.storage());
      if (!received.has_value()) {
        return base::unexpected(from_sys(operation, received.error()));
      }
      reply.set_size(*received);
      RUSTYNET_ASSIGN_OR_RETURN(const ReplyProgress progress, parse_ack(reply.bytes(), seq, operation));
      acked = progress == ReplyProgress::kDone;
    }
    if (!acked) {
      return base::unexpected(make_error(operation, EPROTO, "no acknowledgement"));
    }
  }
  return {};
}

base::Result<WgDeviceState, WgError> KernelWgDriver::dump_once(std::uint16_t family) {
  const std::string operation = "WG_CMD_GET_DEVICE " + ifname_;
  const std::uint32_t seq = next_seq();
  RUSTYNET_ASSIGN_OR_RETURN(const NetlinkBuffer request, build_get_device_request(family, ifname_, seq));
  if (auto sent = socket_->send(request.bytes()); !sent.has_value()) {
    return base::unexpected(from_sys(operation, sent.error()));
  }
  DeviceDumpParser parser(family, seq, operation);
  // Dump datagrams carry the private key: the buffer is wiped on every exit path.
  NetlinkBuffer reply(kReceiveBufferSize);
  for (int datagrams = 0; datagrams < kMaxDatagramsPerReply; ++datagrams) {
    auto received = socket_->receive(reply.storage());
    if (!received.has_value()) {
      return base::unexpected(from_sys(operation, received.error()));
    }
    reply.set_size(*received);
    RUSTYNET_ASSIGN_OR_RETURN(const ReplyProgress progress, parser.feed(reply.bytes()));
    if (progress == ReplyProgress::kDone) {
      if (parser.interrupted()) {
        return base::unexpected(make_error(operation, EINTR, "dump interrupted by a concurrent change"));
      }
      return std::move(parser).take_state();
    }
  }
  return base::unexpected(make_error(operation, EPROTO, "dump did not end"));
}

base::Result<WgDeviceState, WgError> KernelWgDriver::get_device() {
  RUSTYNET_ASSIGN_OR_RETURN(const std::uint16_t family, family_id());
  for (int attempt = 0;; ++attempt) {
    auto state = dump_once(family);
    if (state.has_value() || state.error().error_number != EINTR || attempt >= options_.dump_retries) {
      return state;
    }
  }
}

}  // namespace rustynet::backend_wireguard::kernel
