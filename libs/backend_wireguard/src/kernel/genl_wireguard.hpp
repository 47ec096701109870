// SPDX-License-Identifier: Apache-2.0
// Pure encoding and decoding of the "wireguard" generic-netlink family (and the generic-netlink
// controller lookup that finds its id): requests out as byte buffers, replies in as byte buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kernel/netlink_message.hpp"
#include "rustynet/base/result.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard::kernel {

// Largest WG_CMD_SET_DEVICE request we send by default. Same bound wireguard-tools uses
// (libmnl's MNL_SOCKET_BUFFER_SIZE on 4 KiB-page machines is 4096; 8192 halves the round trips
// and is still far below the default socket send buffer).
inline constexpr std::size_t kDefaultMaxMessageSize = 8192;
// Bounds for a configurable maximum: small enough values exist only to exercise splitting in
// tests; the upper bound keeps every nested attribute below the 16-bit nla_len limit.
inline constexpr std::size_t kMinMaxMessageSize = 512;
inline constexpr std::size_t kMaxMaxMessageSize = 65535;

// CTRL_CMD_GETFAMILY for "wireguard" to GENL_ID_CTRL.
[[nodiscard]] NetlinkBuffer build_get_family_request(std::uint32_t seq);

// Reads the CTRL_CMD_GETFAMILY reply: the family id once found, nullopt if this datagram held no
// reply for `seq` yet; ENOENT from the kernel means the wireguard module is not loaded.
[[nodiscard]] base::Result<std::optional<std::uint16_t>, WgError> parse_get_family_reply(
    std::span<const std::uint8_t> datagram, std::uint32_t seq);

// Encodes `update` as one or more WG_CMD_SET_DEVICE requests for interface `ifname`, each at most
// `max_message_size` bytes, with sequence numbers first_seq, first_seq+1, ... Device attributes
// (private key, listen port, fwmark) go only in the first request. Peers are packed in order; a
// peer whose allowed IPs do not fit continues in the next request carrying only its public key,
// WGPEER_F_UPDATE_ONLY and the remaining allowed IPs, so WGPEER_F_REPLACE_ALLOWEDIPS is applied
// exactly once (in the first chunk). WGDEVICE_F_REPLACE_PEERS is never set. Sending the requests
// in order and stopping at the first error is the caller's job.
// Errors: invalid interface name, private key not 32 bytes, max_message_size out of
// [kMinMaxMessageSize, kMaxMaxMessageSize], allowed-IP prefix longer than its address family.
[[nodiscard]] base::Result<std::vector<NetlinkBuffer>, WgError> build_set_device_requests(
    std::uint16_t family_id, std::string_view ifname, const WgDeviceUpdate& update, std::uint32_t first_seq,
    std::size_t max_message_size = kDefaultMaxMessageSize);

// WG_CMD_GET_DEVICE dump request for `ifname`.
[[nodiscard]] base::Result<NetlinkBuffer, WgError> build_get_device_request(std::uint16_t family_id,
                                                                            std::string_view ifname, std::uint32_t seq);

// Accumulates a WG_CMD_GET_DEVICE dump, which the kernel spreads over several datagrams; a peer
// whose allowed IPs did not fit continues in the next message and is merged back here. The
// private key and preshared keys in the dump are never copied out of the datagram.
class DeviceDumpParser {
 public:
  DeviceDumpParser(std::uint16_t family_id, std::uint32_t seq, std::string operation);

  // Feeds one received datagram. kDone once NLMSG_DONE arrives; errors carry the kernel's errno.
  [[nodiscard]] base::Result<ReplyProgress, WgError> feed(std::span<const std::uint8_t> datagram);
  // True if the kernel flagged the dump as inconsistent (NLM_F_DUMP_INTR: the device changed
  // while it was being dumped). The caller should retry.
  [[nodiscard]] bool interrupted() const noexcept { return interrupted_; }
  [[nodiscard]] const WgDeviceState& state() const noexcept { return state_; }
  [[nodiscard]] WgDeviceState take_state() && { return std::move(state_); }

 private:
  base::Status<WgError> parse_device(std::span<const std::uint8_t> attributes);
  base::Status<WgError> parse_peer(std::span<const std::uint8_t> attributes);

  std::uint16_t family_id_;
  std::uint32_t seq_;
  std::string operation_;
  bool interrupted_ = false;
  bool done_ = false;
  WgDeviceState state_;
};

}  // namespace rustynet::backend_wireguard::kernel
