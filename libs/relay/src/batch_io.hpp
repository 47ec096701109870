// SPDX-License-Identifier: Apache-2.0
// DatagramBatch: preallocated recvmmsg/sendmmsg vectors shared by the relay server and the link.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "socket_address.hpp"

namespace rustynet::relay::detail {

template <std::size_t N>
class DatagramBatch {
 public:
  explicit DatagramBatch(std::size_t capacity) : capacity_(capacity), buffers_(N * capacity) {}

  // Receives up to N datagrams without blocking; returns how many (0 when none, -1 on error with errno).
  int receive(int fd) {
    for (std::size_t i = 0; i < N; ++i) {
      iov_[i] = iovec{slot(i), capacity_};
      msgs_[i] = mmsghdr{};
      msgs_[i].msg_hdr.msg_name = &sources_[i];
      msgs_[i].msg_hdr.msg_namelen = sizeof(SocketAddress);
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    return ::recvmmsg(fd, msgs_.data(), N, MSG_DONTWAIT, nullptr);
  }
  [[nodiscard]] std::span<std::uint8_t> datagram(std::size_t i) { return {slot(i), msgs_[i].msg_len}; }
  [[nodiscard]] bool truncated(std::size_t i) const { return (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }
  [[nodiscard]] const SocketAddress& source(std::size_t i) const { return sources_[i]; }
  [[nodiscard]] socklen_t source_length(std::size_t i) const { return msgs_[i].msg_hdr.msg_namelen; }

 private:
  std::uint8_t* slot(std::size_t i) { return buffers_.data() + i * capacity_; }
  std::size_t capacity_;
  std::vector<std::uint8_t> buffers_;
  std::array<SocketAddress, N> sources_{};
  std::array<iovec, N> iov_{};
  std::array<mmsghdr, N> msgs_{};
};

// Outgoing datagrams pointing at caller-owned bytes; flush() sends them with sendmmsg.
template <std::size_t N>
class SendBatch {
 public:
  // `bytes` must stay valid until flush(); the kernel only reads it.
  void add(std::span<std::uint8_t> bytes, const SocketAddress& to, socklen_t length) {
    destinations_[count_] = to;
    iov_[count_] = iovec{bytes.data(), bytes.size()};
    msgs_[count_] = mmsghdr{};
    msgs_[count_].msg_hdr.msg_name = &destinations_[count_];
    msgs_[count_].msg_hdr.msg_namelen = length;
    msgs_[count_].msg_hdr.msg_iov = &iov_[count_];
    msgs_[count_].msg_hdr.msg_iovlen = 1;
    ++count_;
  }
  [[nodiscard]] bool full() const { return count_ == N; }
  // Sends everything queued; returns the number of datagrams that failed (each skipped).
  std::size_t flush(int fd) {
    std::size_t offset = 0;
    std::size_t failed = 0;
    while (offset < count_) {
      const int sent = ::sendmmsg(fd, &msgs_[offset], static_cast<unsigned>(count_ - offset), 0);
      if (sent < 0) {
        if (errno == EINTR) {
          continue;
        }
        ++failed;
        ++offset;
        continue;
      }
      offset += static_cast<std::size_t>(sent);
    }
    count_ = 0;
    return failed;
  }

 private:
  std::size_t count_ = 0;
  std::array<SocketAddress, N> destinations_{};
  std::array<iovec, N> iov_{};
  std::array<mmsghdr, N> msgs_{};
};

}  // namespace rustynet::relay::detail
