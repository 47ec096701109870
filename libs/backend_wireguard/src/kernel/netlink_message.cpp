// SPDX-License-Identifier: Apache-2.0
// Netlink buffer wiping and bounds-checked message/attribute splitting on top of libmnl.
#include "kernel/netlink_message.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <climits>
#include <utility>

#include "kernel/netlink_view.hpp"
#include "rustynet/base/secret_bytes.hpp"

namespace rustynet::backend_wireguard::kernel {
namespace {

// libmnl's MNL_ALIGN mixes int and size_t; the same 4-byte netlink alignment, unsigned.
constexpr std::size_t align4(std::size_t size) noexcept { return (size + 3U) & ~std::size_t{3}; }
constexpr std::size_t kMessageHeaderSize = align4(sizeof(nlmsghdr));
constexpr std::size_t kAttrHeaderSize = align4(sizeof(nlattr));

template <class T>
std::optional<T> read_exact(std::span<const std::uint8_t> payload) noexcept {
  if (payload.size() != sizeof(T)) {
    return std::nullopt;
  }
  std::array<std::uint8_t, sizeof(T)> raw{};
  std::copy(payload.begin(), payload.end(), raw.begin());
  return std::bit_cast<T>(raw);
}

int clamp_length(std::size_t size) noexcept {
  return size > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(size);
}

}  // namespace

NetlinkBuffer::NetlinkBuffer(NetlinkBuffer&& other) noexcept
    : bytes_(std::move(other.bytes_)), size_(std::exchange(other.size_, 0)) {
  other.wipe();
}

NetlinkBuffer& NetlinkBuffer::operator=(NetlinkBuffer&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    size_ = std::exchange(other.size_, 0);
    other.wipe();
  }
  return *this;
}

void NetlinkBuffer::wipe() noexcept {
  base::secure_wipe(bytes_);
  size_ = 0;
}

WgError make_error(std::string_view operation, int error_number, std::string detail) {
  return WgError{std::string(operation), error_number, std::move(detail)};
}

base::Result<std::vector<NetlinkMessageView>, WgError> split_messages(std::span<const std::uint8_t> datagram,
                                                                      std::string_view operation) {
  std::vector<NetlinkMessageView> out;
  std::size_t offset = 0;
  while (offset < datagram.size()) {
    const auto rest = datagram.subspan(offset);
    const nlmsghdr* header = view_nlmsghdr(rest);
    // mnl_nlmsg_ok compares nlmsg_len as a signed int, so a length >= 2^31 slips through it:
    // bound it against the real remaining size as well.
    if (!mnl_nlmsg_ok(header, clamp_length(rest.size())) || header->nlmsg_len > rest.size()) {
      return base::unexpected(make_error(operation, 0, "malformed netlink message in reply"));
    }
    NetlinkMessageView message;
    message.type = header->nlmsg_type;
    message.flags = header->nlmsg_flags;
    message.seq = header->nlmsg_seq;
    message.port_id = header->nlmsg_pid;
    message.payload = rest.subspan(kMessageHeaderSize, header->nlmsg_len - kMessageHeaderSize);
    out.push_back(message);
    offset += std::min<std::size_t>(align4(header->nlmsg_len), rest.size());
  }
  return out;
}

base::Result<std::vector<NetlinkAttrView>, WgError> split_attributes(std::span<const std::uint8_t> region,
                                                                     std::string_view operation) {
  std::vector<NetlinkAttrView> out;
  std::size_t offset = 0;
  while (offset < region.size()) {
    const auto rest = region.subspan(offset);
    const nlattr* attr = view_nlattr(rest);
    if (!mnl_attr_ok(attr, clamp_length(rest.size())) || attr->nla_len > rest.size()) {
      return base::unexpected(make_error(operation, 0, "malformed netlink attribute in reply"));
    }
    out.push_back(
        NetlinkAttrView{mnl_attr_get_type(attr), rest.subspan(kAttrHeaderSize, mnl_attr_get_payload_len(attr))});
    offset += std::min<std::size_t>(align4(attr->nla_len), rest.size());
  }
  return out;
}

std::optional<std::uint8_t> attr_u8(const NetlinkAttrView& attr) noexcept {
  return read_exact<std::uint8_t>(attr.payload);
}
std::optional<std::uint16_t> attr_u16(const NetlinkAttrView& attr) noexcept {
  return read_exact<std::uint16_t>(attr.payload);
}
std::optional<std::uint32_t> attr_u32(const NetlinkAttrView& attr) noexcept {
  return read_exact<std::uint32_t>(attr.payload);
}
std::optional<std::uint64_t> attr_u64(const NetlinkAttrView& attr) noexcept {
  return read_exact<std::uint64_t>(attr.payload);
}

std::optional<std::string> attr_string(const NetlinkAttrView& attr) {
  const auto nul = std::find(attr.payload.begin(), attr.payload.end(), std::uint8_t{0});
  if (nul == attr.payload.end()) {
    return std::nullopt;
  }
  return std::string(attr.payload.begin(), nul);
}

std::optional<int> error_code_of(const NetlinkMessageView& message) noexcept {
  if (message.payload.size() < sizeof(std::int32_t)) {
    return std::nullopt;
  }
  const auto code = read_exact<std::int32_t>(message.payload.first(sizeof(std::int32_t)));
  if (!code.has_value()) {
    return std::nullopt;
  }
  // The kernel sends -errno; a positive value is not valid netlink, report it as-is.
  if (*code == INT32_MIN) {
    return EPROTO;
  }
  return *code < 0 ? -*code : *code;
}

base::Result<ReplyProgress, WgError> parse_ack(std::span<const std::uint8_t> datagram, std::uint32_t seq,
                                               std::string_view operation) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto messages, split_messages(datagram, operation));
  for (const auto& message : messages) {
    if (message.seq != seq || message.type != NLMSG_ERROR) {
      continue;
    }
    const auto code = error_code_of(message);
    if (!code.has_value()) {
      return base::unexpected(make_error(operation, 0, "truncated netlink error message"));
    }
    if (*code != 0) {
      return base::unexpected(make_error(operation, *code, "kernel rejected the request"));
    }
    return ReplyProgress::kDone;
  }
  return ReplyProgress::kMore;
}

}  // namespace rustynet::backend_wireguard::kernel
