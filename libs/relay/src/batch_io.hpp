// SPDX-License-Identifier: Apache-2.0
// Batched UDP I/O shared by the relay server and the node link: recvmmsg with UDP GRO, sendmmsg with UDP GSO.
#pragma once

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <utility>
#include <vector>

#include "socket_address.hpp"

namespace rustynet::relay::detail {

// Largest payload one receive can return: a GRO super-datagram is bounded by the 16-bit UDP length.
constexpr std::size_t kMaxUdpPayload = 65'535;
// UDP_MAX_SEGMENTS is 64 on the oldest kernels with UDP GSO (4.18) and 128 on recent ones.
constexpr std::size_t kMaxGsoSegments = 64;
// One GSO send is one IPv4 datagram before segmentation: 65535 - 20 (IPv4) - 8 (UDP) payload bytes.
constexpr std::size_t kMaxGsoBytes = 65'507;

// Asks the kernel to deliver coalesced datagrams (UDP_GRO, Linux 5.0+). False: refused, nothing changed.
inline bool enable_gro(int fd) noexcept {
  const int one = 1;
  return ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
}

// True when the kernel knows UDP_SEGMENT (Linux 4.18+). Setting the socket default to 0 changes nothing.
inline bool gso_supported(int fd) noexcept {
  const int zero = 0;
  return ::setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
}

// Calls `visit(segment)` for each datagram in `payload`: one when `segment_size` is 0 (no GRO) or covers the
// whole payload, else consecutive `segment_size` slices, the last possibly shorter (how the kernel coalesces).
template <typename Visit>
void for_each_segment(std::span<std::uint8_t> payload, std::size_t segment_size, Visit&& visit) {
  if (segment_size == 0 || segment_size >= payload.size()) {
    visit(payload);
    return;
  }
  for (std::size_t offset = 0; offset < payload.size(); offset += segment_size) {
    visit(payload.subspan(offset, std::min(segment_size, payload.size() - offset)));
  }
}

// Preallocated recvmmsg vectors: `slots` messages of up to `capacity` bytes each. With GRO on the socket a
// message may hold several datagrams (segment_size() > 0); without it every message is one datagram.
class ReceiveBatch {
 public:
  ReceiveBatch(std::size_t slots, std::size_t capacity)
      : capacity_(capacity), buffers_(slots * capacity), sources_(slots), controls_(slots), iov_(slots), msgs_(slots) {}

  // Receives up to slots() messages without blocking; returns how many (-1 on error with errno).
  int receive(int fd) {
    for (std::size_t i = 0; i < msgs_.size(); ++i) {
      iov_[i] = iovec{slot(i), capacity_};
      msgs_[i] = mmsghdr{};
      msgs_[i].msg_hdr.msg_name = &sources_[i];
      msgs_[i].msg_hdr.msg_namelen = sizeof(SocketAddress);
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
      msgs_[i].msg_hdr.msg_control = controls_[i].data();
      msgs_[i].msg_hdr.msg_controllen = controls_[i].size();
    }
    return ::recvmmsg(fd, msgs_.data(), static_cast<unsigned>(msgs_.size()), MSG_DONTWAIT, nullptr);
  }
  [[nodiscard]] std::size_t slots() const noexcept { return msgs_.size(); }
  [[nodiscard]] std::span<std::uint8_t> payload(std::size_t i) { return {slot(i), msgs_[i].msg_len}; }
  [[nodiscard]] bool truncated(std::size_t i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  [[nodiscard]] const SocketAddress& source(std::size_t i) const { return sources_[i]; }
  [[nodiscard]] socklen_t source_length(std::size_t i) const { return msgs_[i].msg_hdr.msg_namelen; }
  // The GRO segment size of message i, 0 when the kernel delivered a single datagram.
  [[nodiscard]] std::size_t segment_size(std::size_t i) {
    msghdr& header = msgs_[i].msg_hdr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        std::array<unsigned char, sizeof(int)> raw{};
        std::copy_n(CMSG_DATA(c), raw.size(), raw.begin());
        const int size = std::bit_cast<int>(raw);
        return size > 0 ? static_cast<std::size_t>(size) : 0;
      }
    }
    return 0;
  }

 private:
  // Room for the UDP_GRO cmsg and one more, so an unexpected extra cmsg cannot hide it (MSG_CTRUNC).
  struct alignas(cmsghdr) Control {
    std::array<unsigned char, 2 * CMSG_SPACE(sizeof(int))> bytes{};
    unsigned char* data() noexcept { return bytes.data(); }
    [[nodiscard]] static constexpr std::size_t size() noexcept { return 2 * CMSG_SPACE(sizeof(int)); }
  };
  std::uint8_t* slot(std::size_t i) { return buffers_.data() + i * capacity_; }

  std::size_t capacity_;
  std::vector<std::uint8_t> buffers_;
  std::vector<SocketAddress> sources_;
  std::vector<Control> controls_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
};

// Outgoing datagrams pointing at caller-owned bytes, sent with sendmmsg. With GSO on, consecutive datagrams
// to the same address and of equal size (the last of a run may be shorter) become one message carrying a
// UDP_SEGMENT cmsg: the kernel routes, filters and queues it once and splits it as late as possible (at the
// receiving socket when that socket does not take GRO). Per-destination order is always kept: a datagram
// joins only the newest message queued for its address. Datagrams are never merged across addresses.
class SendBatch {
 public:
  struct Stats {
    std::uint64_t messages = 0;       // sendmmsg entries that reached the kernel
    std::uint64_t gso_messages = 0;   // of those, carrying more than one datagram
    std::uint64_t gso_fallbacks = 0;  // GSO messages the kernel refused, resent one datagram at a time
  };

  // Room for `max_messages` messages; each has its own iovecs for up to kMaxGsoSegments datagrams.
  explicit SendBatch(std::size_t max_messages)
      : destinations_(max_messages),
        controls_(max_messages),
        queued_(max_messages),
        msgs_(max_messages),
        iov_(max_messages * kMaxGsoSegments) {}

  // Enables coalescing (call once gso_supported() said yes). Off by default.
  void set_gso(bool enabled) noexcept { gso_ = enabled; }
  [[nodiscard]] bool gso() const noexcept { return gso_; }
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }

  // Queues `bytes` for `to` (the bytes must stay valid until the next flush; the kernel only reads them).
  // `coalesce` false: always a message of its own (control replies). Flushes to `fd` first when full.
  void add(int fd, std::span<std::uint8_t> bytes, const SocketAddress& to, socklen_t length, bool coalesce = true) {
    if (coalesce && gso_ && join(bytes, to)) {
      return;
    }
    if (count_ == msgs_.size()) {
      flush(fd);
    }
    queued_[count_] = Queued{1, bytes.size(), bytes.size(), coalesce, false, length};
    destinations_[count_] = to;
    iov_[count_ * kMaxGsoSegments] = iovec{bytes.data(), bytes.size()};
    ++count_;
  }

  // Sends everything queued. A message the kernel refuses is skipped (its datagrams counted in failed());
  // a refused GSO message is resent datagram by datagram (see send_alone) before it counts as failed.
  void flush(int fd) {
    for (std::size_t m = 0; m < count_; ++m) {
      const Queued& q = queued_[m];
      msgs_[m] = mmsghdr{};
      msghdr& header = msgs_[m].msg_hdr;
      header.msg_name = &destinations_[m];
      header.msg_namelen = q.length;
      header.msg_iov = &iov_[m * kMaxGsoSegments];
      header.msg_iovlen = q.datagrams;
      if (q.datagrams > 1) {
        header.msg_control = controls_[m].bytes.data();
        header.msg_controllen = controls_[m].bytes.size();
        cmsghdr* c = CMSG_FIRSTHDR(&header);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto size = std::bit_cast<std::array<unsigned char, 2>>(static_cast<std::uint16_t>(q.segment_size));
        std::copy(size.begin(), size.end(), CMSG_DATA(c));
      }
    }
    std::size_t offset = 0;
    while (offset < count_) {
      const int sent = ::sendmmsg(fd, &msgs_[offset], static_cast<unsigned>(count_ - offset), 0);
      if (sent < 0) {
        if (errno == EINTR) {
          continue;
        }
        refused(fd, offset, errno);
        ++offset;
        continue;
      }
      for (std::size_t m = offset; m < offset + static_cast<std::size_t>(sent); ++m) {
        ++stats_.messages;
        stats_.gso_messages += queued_[m].datagrams > 1 ? 1U : 0U;
      }
      offset += static_cast<std::size_t>(sent);
    }
    count_ = 0;
  }

  // Datagrams the kernel refused since the last call (unreachable destination, full buffer, ...).
  [[nodiscard]] std::size_t take_failed() noexcept { return std::exchange(failed_, 0); }
  [[nodiscard]] std::size_t queued_messages() const noexcept { return count_; }

 private:
  struct Queued {
    std::size_t datagrams = 0;
    std::size_t segment_size = 0;  // size of every datagram but the last
    std::size_t bytes = 0;
    bool coalesce = true;
    bool closed = false;  // ended by a shorter datagram: nothing may follow it in this message
    socklen_t length = 0;
  };
  // Space for one UDP_SEGMENT cmsg (a u16 segment size).
  struct alignas(cmsghdr) SegmentControl {
    std::array<unsigned char, CMSG_SPACE(sizeof(std::uint16_t))> bytes{};
  };

  // Appends to the newest message for `to` when that keeps it a valid GSO message.
  bool join(std::span<std::uint8_t> bytes, const SocketAddress& to) {
    for (std::size_t m = count_; m-- > 0;) {
      if (!same_address(destinations_[m], to)) {
        continue;
      }
      Queued& q = queued_[m];
      const bool fits = q.coalesce && !q.closed && !bytes.empty() && bytes.size() <= q.segment_size &&
                        q.segment_size < segment_ceiling_ && q.datagrams < kMaxGsoSegments &&
                        q.bytes + bytes.size() <= kMaxGsoBytes;
      if (!fits) {
        return false;  // the newest message for `to` cannot take it: a new one keeps the order
      }
      iov_[m * kMaxGsoSegments + q.datagrams] = iovec{bytes.data(), bytes.size()};
      ++q.datagrams;
      q.bytes += bytes.size();
      q.closed = bytes.size() < q.segment_size;
      return true;
    }
    return false;
  }

  // Message `m` failed with `error`. A GSO message the kernel could not segment (old kernel, a device or path
  // without checksum offload: EIO; segment larger than the path MTU: EINVAL/EMSGSIZE) is resent one datagram
  // at a time, and coalescing stops for what failed: everything on EIO-like errors, sizes >= the failed
  // segment size on size errors.
  void refused(int fd, std::size_t m, int error) {
    const Queued& q = queued_[m];
    if (q.datagrams > 1 &&
        (error == EIO || error == EINVAL || error == EMSGSIZE || error == EOPNOTSUPP || error == ENOPROTOOPT)) {
      ++stats_.gso_fallbacks;
      if (error == EINVAL || error == EMSGSIZE) {
        segment_ceiling_ = std::min(segment_ceiling_, q.segment_size);
      } else {
        gso_ = false;
      }
      for (std::size_t d = 0; d < q.datagrams; ++d) {
        send_alone(fd, m, iov_[m * kMaxGsoSegments + d]);
      }
      return;
    }
    failed_ += q.datagrams;
  }

  void send_alone(int fd, std::size_t m, iovec datagram) {
    msghdr header{};
    header.msg_name = &destinations_[m];
    header.msg_namelen = queued_[m].length;
    header.msg_iov = &datagram;
    header.msg_iovlen = 1;
    for (;;) {
      if (::sendmsg(fd, &header, 0) >= 0) {
        ++stats_.messages;
        return;
      }
      if (errno != EINTR) {
        ++failed_;
        return;
      }
    }
  }

  static bool same_address(const SocketAddress& a, const SocketAddress& b) noexcept {
    if (a.generic.sa_family != b.generic.sa_family) {
      return false;
    }
    if (a.generic.sa_family == AF_INET) {
      return a.v4.sin_port == b.v4.sin_port && a.v4.sin_addr.s_addr == b.v4.sin_addr.s_addr;
    }
    return a.v6.sin6_port == b.v6.sin6_port && a.v6.sin6_scope_id == b.v6.sin6_scope_id &&
           std::equal(std::begin(a.v6.sin6_addr.s6_addr), std::end(a.v6.sin6_addr.s6_addr),
                      std::begin(b.v6.sin6_addr.s6_addr));
  }

  std::vector<SocketAddress> destinations_;
  std::vector<SegmentControl> controls_;
  std::vector<Queued> queued_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iov_;
  std::size_t count_ = 0;
  std::size_t failed_ = 0;
  std::size_t segment_ceiling_ = kMaxUdpPayload + 1;
  bool gso_ = false;
  Stats stats_;
};

}  // namespace rustynet::relay::detail
