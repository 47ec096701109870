// SPDX-License-Identifier: Apache-2.0
// Netlink byte buffers (wiped on release) and bounds-checked splitting of replies into messages
// and attributes. Pure: bytes in, values out; no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard::kernel {

// Room for any single message we build. Large enough that the kernel never truncates a reply into
// it: netlink dumps never exceed 32 KiB per datagram (the kernel caps its dump skb there).
inline constexpr std::size_t kReceiveBufferSize = 32768;

// Owns the bytes of one netlink request or one received datagram. WG_CMD_SET_DEVICE requests and
// WG_CMD_GET_DEVICE replies can carry the device private key, so every buffer is wiped
// (explicit_bzero) when it is released or reused. Move-only. The storage is 4-byte aligned
// (heap allocation), as libmnl requires.
class NetlinkBuffer {
 public:
  explicit NetlinkBuffer(std::size_t capacity) : bytes_(capacity, 0) {}
  ~NetlinkBuffer() { wipe(); }
  NetlinkBuffer(const NetlinkBuffer&) = delete;
  NetlinkBuffer& operator=(const NetlinkBuffer&) = delete;
  NetlinkBuffer(NetlinkBuffer&& other) noexcept;
  NetlinkBuffer& operator=(NetlinkBuffer&& other) noexcept;

  // Whole storage, for libmnl builders and for recv().
  [[nodiscard]] std::span<std::uint8_t> storage() noexcept { return bytes_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return bytes_.size(); }
  // The valid prefix (a built message, or the bytes of the last datagram received).
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return {bytes_.data(), size_}; }
  // Precondition: size <= capacity().
  void set_size(std::size_t size) noexcept { size_ = size <= bytes_.size() ? size : bytes_.size(); }
  // Zeroes the whole storage (not only the valid prefix) and empties the valid prefix.
  void wipe() noexcept;

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t size_ = 0;
};

// One netlink message inside a datagram; `payload` excludes the 16-byte nlmsghdr.
struct NetlinkMessageView {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t port_id = 0;
  std::span<const std::uint8_t> payload;
};

// One attribute; `type` has NLA_F_NESTED / NLA_F_NET_BYTEORDER masked off.
struct NetlinkAttrView {
  std::uint16_t type = 0;
  std::span<const std::uint8_t> payload;
};

// Splits a datagram into messages (validated with mnl_nlmsg_ok). A malformed or truncated message
// is an error naming `operation`; nothing is read out of bounds.
[[nodiscard]] base::Result<std::vector<NetlinkMessageView>, WgError> split_messages(
    std::span<const std::uint8_t> datagram, std::string_view operation);

// Splits an attribute region (message payload after its fixed header, or a nested attribute's
// payload) into attributes (validated with mnl_attr_ok). Trailing bytes that do not form a whole
// attribute are an error.
[[nodiscard]] base::Result<std::vector<NetlinkAttrView>, WgError> split_attributes(std::span<const std::uint8_t> region,
                                                                                   std::string_view operation);

// Fixed-width attribute payloads in host byte order; nullopt if the length is wrong.
[[nodiscard]] std::optional<std::uint8_t> attr_u8(const NetlinkAttrView& attr) noexcept;
[[nodiscard]] std::optional<std::uint16_t> attr_u16(const NetlinkAttrView& attr) noexcept;
[[nodiscard]] std::optional<std::uint32_t> attr_u32(const NetlinkAttrView& attr) noexcept;
[[nodiscard]] std::optional<std::uint64_t> attr_u64(const NetlinkAttrView& attr) noexcept;
// A NUL-terminated string attribute (the terminator is required and not included).
[[nodiscard]] std::optional<std::string> attr_string(const NetlinkAttrView& attr);

// The errno carried by an NLMSG_ERROR message (positive; 0 for an ACK), or nullopt if the
// payload is too short to hold the error code.
[[nodiscard]] std::optional<int> error_code_of(const NetlinkMessageView& message) noexcept;

// Outcome of feeding one datagram to a reply parser.
enum class ReplyProgress { kMore, kDone };

// Reads the ACK for request `seq` out of `datagram`: kDone on an ACK, an error carrying the
// kernel's errno on NLMSG_ERROR, kMore if the datagram held only unrelated messages (stale replies
// to an earlier request are skipped by sequence number).
[[nodiscard]] base::Result<ReplyProgress, WgError> parse_ack(std::span<const std::uint8_t> datagram, std::uint32_t seq,
                                                             std::string_view operation);

// Builds a WgError for `operation`.
[[nodiscard]] WgError make_error(std::string_view operation, int error_number, std::string detail);

}  // namespace rustynet::backend_wireguard::kernel
