// SPDX-License-Identifier: Apache-2.0
// Test-only netlink TLV writer (independent of libmnl) and a scripted fake NetlinkSocket.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "kernel/netlink_socket.hpp"

namespace rustynet::backend_wireguard::kernel::testing {

using Bytes = std::vector<std::uint8_t>;

inline void put_le16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value & 0xFFU));
  out.push_back(static_cast<std::uint8_t>(value >> 8U));
}
inline void put_le32(Bytes& out, std::uint32_t value) {
  for (unsigned shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<std::uint8_t>((value >> shift) & 0xFFU));
  }
}
inline void put_le64(Bytes& out, std::uint64_t value) {
  for (unsigned shift = 0; shift < 64; shift += 8) {
    out.push_back(static_cast<std::uint8_t>((value >> shift) & 0xFFU));
  }
}
inline Bytes le16(std::uint16_t value) {
  Bytes out;
  put_le16(out, value);
  return out;
}
inline Bytes le32(std::uint32_t value) {
  Bytes out;
  put_le32(out, value);
  return out;
}
inline Bytes le64(std::uint64_t value) {
  Bytes out;
  put_le64(out, value);
  return out;
}
inline Bytes filled(std::size_t size, std::uint8_t value) { return Bytes(size, value); }
inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) {
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// One attribute: 4-byte header, payload, zero padding to 4 bytes.
inline Bytes attr(std::uint16_t type, const Bytes& payload) {
  Bytes out;
  put_le16(out, static_cast<std::uint16_t>(4 + payload.size()));
  put_le16(out, type);
  out.insert(out.end(), payload.begin(), payload.end());
  while (out.size() % 4 != 0) {
    out.push_back(0);
  }
  return out;
}
inline Bytes nested(std::uint16_t type, std::initializer_list<Bytes> children) {
  return attr(static_cast<std::uint16_t>(type | 0x8000U), concat(children));  // NLA_F_NESTED, as the kernel sends
}
inline Bytes strz(const std::string& text) {
  Bytes out(text.begin(), text.end());
  out.push_back(0);
  return out;
}

// A netlink message: 16-byte header + payload (already aligned).
inline Bytes message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const Bytes& payload) {
  Bytes out;
  put_le32(out, static_cast<std::uint32_t>(16 + payload.size()));
  put_le16(out, type);
  put_le16(out, flags);
  put_le32(out, seq);
  put_le32(out, 4242);  // kernel-assigned port id; not checked
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}
inline Bytes genl_header(std::uint8_t command) { return Bytes{command, 1, 0, 0}; }
// NLMSG_ERROR (type 2) with -errno (0 = ACK) and the echoed request header (NETLINK_CAP_ACK).
inline Bytes error_message(std::uint32_t seq, int errno_value) {
  Bytes payload;
  put_le32(payload, static_cast<std::uint32_t>(-errno_value));
  payload.resize(payload.size() + 16, 0);
  return message(2, 0x100 /* NLM_F_CAPPED */, seq, payload);
}
inline Bytes done_message(std::uint32_t seq) { return message(3, 2, seq, le32(0)); }

// Reads the sequence number and type out of a request we sent.
inline std::uint32_t seq_of(std::span<const std::uint8_t> request) {
  return static_cast<std::uint32_t>(request[8]) | (static_cast<std::uint32_t>(request[9]) << 8U) |
         (static_cast<std::uint32_t>(request[10]) << 16U) | (static_cast<std::uint32_t>(request[11]) << 24U);
}
inline std::uint16_t type_of(std::span<const std::uint8_t> request) {
  return static_cast<std::uint16_t>(request[4] | (request[5] << 8U));
}

// A NetlinkSocket whose replies come from `responder`, called once per sent request with the
// request bytes; its datagrams are queued and handed out one per receive().
class FakeNetlinkSocket final : public NetlinkSocket {
 public:
  using Responder = std::function<std::vector<Bytes>(std::span<const std::uint8_t> request)>;
  explicit FakeNetlinkSocket(Responder responder, std::vector<Bytes>* sent_log = nullptr)
      : responder_(std::move(responder)), sent_log_(sent_log) {}

  base::Status<base::SysError> send(std::span<const std::uint8_t> request) override {
    if (sent_log_ != nullptr) {
      sent_log_->emplace_back(request.begin(), request.end());
    }
    for (auto& datagram : responder_(request)) {
      queue_.push_back(std::move(datagram));
    }
    return {};
  }

  base::Result<std::size_t, base::SysError> receive(std::span<std::uint8_t> buffer) override {
    if (queue_.empty()) {
      return base::unexpected(base::SysError{"fake recv", 11 /* EAGAIN: would block forever */});
    }
    Bytes datagram = std::move(queue_.front());
    queue_.pop_front();
    if (datagram.size() > buffer.size()) {
      return base::unexpected(base::SysError{"fake recv", 28 /* ENOSPC */});
    }
    std::copy(datagram.begin(), datagram.end(), buffer.begin());
    return datagram.size();
  }

 private:
  Responder responder_;
  std::vector<Bytes>* sent_log_;
  std::deque<Bytes> queue_;
};

}  // namespace rustynet::backend_wireguard::kernel::testing
