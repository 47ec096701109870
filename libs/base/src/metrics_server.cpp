// SPDX-License-Identifier: Apache-2.0
// MetricsServer: loopback TCP listener, bounded request head read with a deadline, fixed replies.
#include "rustynet/base/metrics_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <vector>

namespace rustynet::base {
namespace {

// The sockets API takes sockaddr*; a union of the address structs is how relay's socket_address
// avoids a cast too.
union SocketAddress {
  sockaddr generic;
  sockaddr_in v4;
  sockaddr_in6 v6;
  sockaddr_storage storage;
};

Unexpected<MetricsError> endpoint_fail(std::string_view text, std::string_view why) {
  return unexpected(MetricsError{"metrics listen address '" + std::string(text) + "': " + std::string(why)});
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;  // includes SO_SNDTIMEO expiry: a client that does not read is dropped
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string response(std::string_view status, std::string_view content_type, std::string_view body) {
  std::string out = "HTTP/1.1 ";
  out += status;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

std::string error_response(std::string_view status) {
  return response(status, "text/plain; charset=utf-8", std::string(status) + "\n");
}

enum class Head : std::uint8_t { kComplete, kTooLarge, kIncomplete };

// Reads until the blank line ending the request head, `limit` bytes or `deadline`, whichever first.
Head read_head(int fd, std::size_t limit, std::chrono::steady_clock::time_point deadline, std::string& head) {
  std::array<char, 1024> chunk{};
  while (true) {
    if (head.find("\r\n\r\n") != std::string::npos) {
      return Head::kComplete;
    }
    if (head.size() >= limit) {
      return Head::kTooLarge;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Head::kIncomplete;
    }
    pollfd one{fd, POLLIN, 0};
    const int ready = ::poll(&one, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      return Head::kIncomplete;
    }
    const std::size_t want = std::min(chunk.size(), limit - head.size());
    const ssize_t n = ::recv(fd, chunk.data(), want, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Head::kIncomplete;
    }
    head.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

// After the reply: half-close, then read what the client still sends (bounded in bytes and time)
// so that closing with unread data does not reset the connection before the client read the reply.
void finish(int fd) {
  (void)::shutdown(fd, SHUT_WR);
  std::array<char, 1024> sink{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  for (std::size_t drained = 0; drained < std::size_t{64} * 1024U;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd one{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&one, 1, static_cast<int>(left.count())) <= 0) {
      return;
    }
    const ssize_t n = ::recv(fd, sink.data(), sink.size(), 0);
    if (n <= 0) {
      return;
    }
    drained += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string LoopbackEndpoint::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_ntop(ipv6 ? AF_INET6 : AF_INET, address.data(), text.data(), text.size()) == nullptr) {
    return "?";
  }
  const std::string host(text.data());
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<LoopbackEndpoint, MetricsError> parse_loopback_endpoint(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return endpoint_fail(text, "must be ADDRESS:PORT");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return endpoint_fail(text, "port must be 0..65535");
  }
  LoopbackEndpoint out;
  out.port = static_cast<std::uint16_t>(port);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    out.ipv6 = true;
  }
  if (host.empty() || host.size() >= INET6_ADDRSTRLEN) {
    return endpoint_fail(text, "not an IP address");
  }
  const std::string host_text(host);
  if (::inet_pton(out.ipv6 ? AF_INET6 : AF_INET, host_text.c_str(), out.address.data()) != 1) {
    return endpoint_fail(text, out.ipv6 ? "not an IPv6 address" : "not an IPv4 address (IPv6 goes in brackets)");
  }
  std::array<std::uint8_t, 16> v6_loopback{};
  v6_loopback[15] = 1;
  const bool loopback = out.ipv6 ? out.address == v6_loopback : out.address[0] == 127;
  if (!loopback) {
    return endpoint_fail(text, "must be a loopback address (127.0.0.0/8 or [::1]): the endpoint has no authentication");
  }
  return out;
}

Result<std::unique_ptr<MetricsServer>, SysError> MetricsServer::start(const LoopbackEndpoint& endpoint,
                                                                      const MetricsRegistry& registry,
                                                                      MetricsServerOptions options) {
  const std::string where = endpoint.to_string();
  UniqueFd listener(::socket(endpoint.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) {
    return unexpected(last_sys_error("socket for metrics " + where));
  }
  const int on = 1;
  if (::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return unexpected(last_sys_error("setsockopt SO_REUSEADDR for metrics " + where));
  }
  SocketAddress address{};
  socklen_t length = 0;
  if (endpoint.ipv6) {
    address.v6.sin6_family = AF_INET6;
    address.v6.sin6_port = htons(endpoint.port);
    std::copy(endpoint.address.begin(), endpoint.address.end(), address.v6.sin6_addr.s6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    address.v4.sin_family = AF_INET;
    address.v4.sin_port = htons(endpoint.port);
    std::array<std::uint8_t, 4> bytes{};
    std::copy_n(endpoint.address.begin(), 4, bytes.begin());
    address.v4.sin_addr.s_addr = std::bit_cast<in_addr_t>(bytes);
    length = sizeof(sockaddr_in);
  }
  if (::bind(listener.get(), &address.generic, length) != 0) {
    return unexpected(last_sys_error("bind metrics " + where));
  }
  if (::listen(listener.get(), 8) != 0) {
    return unexpected(last_sys_error("listen metrics " + where));
  }
  SocketAddress bound{};
  socklen_t bound_length = sizeof(bound);
  if (::getsockname(listener.get(), &bound.generic, &bound_length) != 0) {
    return unexpected(last_sys_error("getsockname metrics " + where));
  }
  const std::uint16_t port = ntohs(endpoint.ipv6 ? bound.v6.sin6_port : bound.v4.sin_port);
  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    return unexpected(last_sys_error("pipe2 for metrics"));
  }
  auto server = std::make_unique<MetricsServer>(registry, options, std::move(listener), UniqueFd(pipe_fds[0]),
                                                UniqueFd(pipe_fds[1]), port);
  server->thread_ = std::thread([raw = server.get()] { raw->run(); });
  return server;
}

MetricsServer::MetricsServer(const MetricsRegistry& registry, MetricsServerOptions options, UniqueFd listener,
                             UniqueFd wake_read, UniqueFd wake_write, std::uint16_t port)
    : registry_(&registry),
      options_(options),
      listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      port_(port) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  const char byte = 1;
  (void)!::write(wake_write_.get(), &byte, 1);
  if (thread_.joinable()) {
    thread_.join();
  }
  listener_.reset();  // the port is free again once stop() returns
}

void MetricsServer::run() {
  while (!stopped_.load()) {
    std::array<pollfd, 2> fds{pollfd{listener_.get(), POLLIN, 0}, pollfd{wake_read_.get(), POLLIN, 0}};
    const int ready = ::poll(fds.data(), fds.size(), -1);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      return;
    }
    if ((fds[0].revents & POLLIN) == 0) {
      continue;
    }
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (client.valid()) {
      serve(client.get());
      finish(client.get());
    }  // else EINTR, ECONNABORTED, EMFILE: keep serving
  }
}

void MetricsServer::serve(int fd) {
  const auto timeout = options_.io_timeout;
  timeval send_timeout{};
  send_timeout.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  send_timeout.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  std::string head;
  const Head read = read_head(fd, options_.max_request_bytes, std::chrono::steady_clock::now() + timeout, head);
  if (read == Head::kTooLarge) {
    (void)send_all(fd, error_response("431 Request Header Fields Too Large"));
    return;
  }
  if (read == Head::kIncomplete) {
    (void)send_all(fd, error_response("408 Request Timeout"));
    return;
  }
  const std::string_view line = std::string_view(head).substr(0, head.find("\r\n"));
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos || !line.substr(second + 1).starts_with("HTTP/1.")) {
    (void)send_all(fd, error_response("400 Bad Request"));
    return;
  }
  const std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  target = target.substr(0, target.find('?'));
  if (target != "/metrics") {
    (void)send_all(fd, error_response("404 Not Found"));
    return;
  }
  if (method != "GET") {
    (void)send_all(
        fd, response("405 Method Not Allowed\r\nAllow: GET", "text/plain; charset=utf-8", "405 Method Not Allowed\n"));
    return;
  }
  (void)send_all(fd, response("200 OK", "text/plain; version=0.0.4; charset=utf-8", registry_->render()));
}

}  // namespace rustynet::base
