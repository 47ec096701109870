// SPDX-License-Identifier: Apache-2.0
// flow_probe: a tiny TCP/UDP listener and prober for the packet-filter end-to-end test.
//
//   flow_probe serve tcp|udp PORT            answers every line (tcp) or datagram (udp) with "ok"
//   flow_probe connect tcp|udp ADDR PORT [TIMEOUT_MS]
//                                            exit 0: the peer answered; 1: no answer in time
//   flow_probe stream ADDR PORT MAX_MS       one TCP connection, an exchange every 100 ms; exit 0
//                                            with the milliseconds until an exchange went
//                                            unanswered (the flow was cut), 1 if still alive
//                                            after MAX_MS, 2 if it never connected
// Bounded in time everywhere; addresses are whatever the test's namespaces hold.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
};

std::optional<Address> make_address(const std::string& text, std::uint16_t port) {
  Address out;
  if (text.empty()) {
    auto* any = reinterpret_cast<sockaddr_in6*>(&out.storage);
    any->sin6_family = AF_INET6;
    any->sin6_port = htons(port);
    any->sin6_addr = in6addr_any;
    out.length = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    return out;
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.length = sizeof(sockaddr_in);
    out.family = AF_INET;
    return out;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.length = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    return out;
  }
  return std::nullopt;
}

std::optional<long> number(std::string_view text) {
  long value = 0;
  const auto* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, value);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != end) {
    return std::nullopt;
  }
  return value;
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, timeout_ms) == 1 && (entry.revents & POLLIN) != 0;
}

// One request/answer exchange on a connected socket: sends "hi\n", expects "ok\n".
bool exchange(int fd, int timeout_ms) {
  constexpr std::string_view kHello = "hi\n";
  if (::send(fd, kHello.data(), kHello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kHello.size())) {
    return false;
  }
  std::string got;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || !wait_readable(fd, static_cast<int>(left))) {
      return false;
    }
    char buffer[64];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      return false;
    }
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got.rfind("ok", 0) == 0;
}

std::optional<Fd> connect_tcp(const Address& address, int timeout_ms) {
  Fd fd(::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return std::nullopt;
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0 &&
      errno != EINPROGRESS) {
    return std::nullopt;
  }
  pollfd entry{fd.get(), POLLOUT, 0};
  if (::poll(&entry, 1, timeout_ms) != 1) {
    return std::nullopt;
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
    return std::nullopt;
  }
  return fd;
}

int serve_tcp(std::uint16_t port) {
  const auto address = make_address("", port);
  Fd listener(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int off = 0;
  const int on = 1;
  if (listener.get() < 0 || ::setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0 ||
      ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
      ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address->storage), address->length) != 0 ||
      ::listen(listener.get(), 64) != 0) {
    std::cerr << "flow_probe: cannot listen on tcp " << port << "\n";
    return 2;
  }
  std::cout << "listening tcp " << port << std::endl;
  for (;;) {
    const int accepted = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted < 0) {
      continue;
    }
    std::thread([accepted] {
      const Fd connection(accepted);
      char buffer[256];
      for (;;) {
        const ssize_t n = ::recv(connection.get(), buffer, sizeof(buffer), 0);
        if (n <= 0) {
          return;
        }
        for (ssize_t i = 0; i < n; ++i) {
          if (buffer[i] == '\n' && ::send(connection.get(), "ok\n", 3, MSG_NOSIGNAL) != 3) {
            return;
          }
        }
      }
    }).detach();
  }
}

int serve_udp(std::uint16_t port) {
  const auto address = make_address("", port);
  Fd socket_fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const int off = 0;
  if (socket_fd.get() < 0 || ::setsockopt(socket_fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0 ||
      ::bind(socket_fd.get(), reinterpret_cast<const sockaddr*>(&address->storage), address->length) != 0) {
    std::cerr << "flow_probe: cannot bind udp " << port << "\n";
    return 2;
  }
  std::cout << "listening udp " << port << std::endl;
  for (;;) {
    char buffer[256];
    sockaddr_storage from{};
    socklen_t from_length = sizeof(from);
    const ssize_t n =
        ::recvfrom(socket_fd.get(), buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n >= 0) {
      (void)::sendto(socket_fd.get(), "ok\n", 3, 0, reinterpret_cast<const sockaddr*>(&from), from_length);
    }
  }
}

int connect_udp(const Address& address, int timeout_ms) {
  Fd socket_fd(::socket(address.family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (socket_fd.get() < 0 ||
      ::connect(socket_fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    return 1;
  }
  // A few tries inside the timeout: the first datagram may race a fresh handshake.
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    (void)::send(socket_fd.get(), "hi\n", 3, 0);
    if (wait_readable(socket_fd.get(), 200)) {
      char buffer[16];
      if (::recv(socket_fd.get(), buffer, sizeof(buffer), 0) >= 2 && buffer[0] == 'o' && buffer[1] == 'k') {
        return 0;
      }
    }
  }
  return 1;
}

int stream(const Address& address, long max_ms) {
  auto connection = connect_tcp(address, 2000);
  if (!connection || !exchange(connection->get(), 2000)) {
    std::cerr << "flow_probe: stream never connected\n";
    return 2;
  }
  std::cout << "connected" << std::endl;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::milliseconds(max_ms)) {
    if (!exchange(connection->get(), 500)) {
      const auto cut = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      std::cout << "cut after " << cut << " ms" << std::endl;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << "still alive after " << max_ms << " ms" << std::endl;
  return 1;
}

int usage() {
  std::cerr << "usage: flow_probe serve tcp|udp PORT | connect tcp|udp ADDR PORT [TIMEOUT_MS] | stream ADDR PORT "
               "MAX_MS\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "serve") {
    const auto port = number(args[2]);
    if (!port || *port < 1 || *port > 65535) {
      return usage();
    }
    return args[1] == "tcp"   ? serve_tcp(static_cast<std::uint16_t>(*port))
           : args[1] == "udp" ? serve_udp(static_cast<std::uint16_t>(*port))
                              : usage();
  }
  if ((args.size() == 4 || args.size() == 5) && args[0] == "connect") {
    const auto port = number(args[3]);
    const auto timeout = args.size() == 5 ? number(args[4]) : std::optional<long>(1000);
    const auto address = port ? make_address(args[2], static_cast<std::uint16_t>(*port)) : std::nullopt;
    if (!address || !timeout || *timeout < 1 || *timeout > 60000) {
      return usage();
    }
    if (args[1] == "tcp") {
      auto connection = connect_tcp(*address, static_cast<int>(*timeout));
      return connection && exchange(connection->get(), static_cast<int>(*timeout)) ? 0 : 1;
    }
    return args[1] == "udp" ? connect_udp(*address, static_cast<int>(*timeout)) : usage();
  }
  if (args.size() == 4 && args[0] == "stream") {
    const auto port = number(args[2]);
    const auto max_ms = number(args[3]);
    const auto address = port ? make_address(args[1], static_cast<std::uint16_t>(*port)) : std::nullopt;
    if (!address || !max_ms || *max_ms < 1 || *max_ms > 600000) {
      return usage();
    }
    return stream(*address, *max_ms);
  }
  return usage();
}
