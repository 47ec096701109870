// SPDX-License-Identifier: Apache-2.0
// FakeDaemon: a Unix-socket server in the test process that records request lines and answers
// each connection with a canned reply (or misbehaves on purpose).
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rustynet/base/unique_fd.hpp"
#include "rustynet/base/unix_socket.hpp"

namespace rustynet::testing {

struct FakeReply {
  std::string bytes;              // written as-is (include the '\n' for a well-formed reply)
  bool read_request = true;       // read one request line first
  bool hold_until_close = false;  // after writing, keep the connection until the client closes
};

class FakeDaemon {
 public:
  // Binds `path` and serves replies.size() connections, one reply each, in order.
  FakeDaemon(std::string path, std::vector<FakeReply> replies) : path_(std::move(path)) {
    auto listener = base::listen_unix_stream(path_, 8);
    if (!listener.has_value()) {
      std::abort();
    }
    listener_ = std::move(listener).value();
    thread_ = std::thread([this, replies = std::move(replies)] { serve(replies); });
  }
  ~FakeDaemon() {
    // Wakes a blocked accept() if a test ended before connecting.
    static_cast<void>(::shutdown(listener_.get(), SHUT_RDWR));
    thread_.join();
    static_cast<void>(::unlink(path_.c_str()));
  }
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;
  FakeDaemon(FakeDaemon&&) = delete;
  FakeDaemon& operator=(FakeDaemon&&) = delete;

  [[nodiscard]] std::vector<std::string> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve(const std::vector<FakeReply>& replies) {
    for (const auto& reply : replies) {
      const base::UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!connection.valid()) {
        return;
      }
      if (reply.read_request) {
        std::string line;
        char c = 0;
        while (::read(connection.get(), &c, 1) == 1 && c != '\n') {
          line.push_back(c);
        }
        const std::lock_guard lock(mutex_);
        requests_.push_back(line);
      }
      std::string_view rest = reply.bytes;
      while (!rest.empty()) {
        const ssize_t sent = ::send(connection.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
        if (sent <= 0) {
          break;  // the client stopped reading (oversize tests): expected
        }
        rest.remove_prefix(static_cast<std::size_t>(sent));
      }
      if (reply.hold_until_close) {
        char c = 0;
        while (::read(connection.get(), &c, 1) > 0) {
        }
      }
    }
  }

  std::string path_;
  base::UniqueFd listener_;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace rustynet::testing
