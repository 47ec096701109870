// SPDX-License-Identifier: Apache-2.0
// A datagram socket standing in for systemd's notify socket ($NOTIFY_SOCKET) in process tests.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

namespace rustynet::testing {

class NotifySocket {
 public:
  // `silence_bound` bounds each wait_for(); messages normally arrive within milliseconds.
  explicit NotifySocket(const std::string& path, std::chrono::seconds silence_bound = std::chrono::seconds(20))
      : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) {
      std::abort();
    }
    std::copy(path.begin(), path.end(), std::begin(address.sun_path));
    const void* raw = &address;
    if (fd_ < 0 || ::bind(fd_, static_cast<const sockaddr*>(raw), sizeof(address)) != 0) {
      std::abort();
    }
    timeval tv{static_cast<time_t>(silence_bound.count()), 0};
    (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  NotifySocket(NotifySocket&&) = delete;
  NotifySocket& operator=(NotifySocket&&) = delete;

  // Blocks until a datagram containing `needle` arrives; false after `silence_bound` of silence.
  bool wait_for(const std::string& needle) {
    std::array<char, 4096> buffer{};
    while (true) {
      const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        return false;
      }
      std::string message(buffer.data(), static_cast<std::size_t>(n));
      const bool found = message.find(needle) != std::string::npos;
      seen_.push_back(std::move(message));
      if (found) {
        return true;
      }
    }
  }
  [[nodiscard]] const std::vector<std::string>& seen() const { return seen_; }
  [[nodiscard]] std::string seen_text() const {
    std::string out;
    for (const auto& message : seen_) {
      out += "[" + message + "] ";
    }
    return out;
  }

 private:
  int fd_;
  std::vector<std::string> seen_;
};

}  // namespace rustynet::testing
