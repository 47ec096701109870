// SPDX-License-Identifier: Apache-2.0
// Test helpers for metrics endpoints: a raw HTTP exchange on loopback and sample lookup in the text.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "rustynet/base/unique_fd.hpp"

namespace rustynet::testing {

// Connects to 127.0.0.1:port, sends `request` as is, reads until the server closes (or 5 s).
// Returns the whole response, or nullopt when the connection failed.
inline std::optional<std::string> http_exchange(std::uint16_t port, std::string_view request) {
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return std::nullopt;
  }
  union {
    sockaddr generic;
    sockaddr_in v4;
  } address{};
  address.v4.sin_family = AF_INET;
  address.v4.sin_port = htons(port);
  address.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), &address.generic, sizeof(sockaddr_in)) != 0) {
    return std::nullopt;
  }
  while (!request.empty()) {
    const ssize_t n = ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      break;  // the server may close early (oversize request): read what it answered
    }
    request.remove_prefix(static_cast<std::size_t>(n));
  }
  std::string out;
  std::array<char, 4096> chunk{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd one{fd.get(), POLLIN, 0};
    if (::poll(&one, 1, 100) <= 0) {
      continue;
    }
    const ssize_t n = ::recv(fd.get(), chunk.data(), chunk.size(), 0);
    if (n <= 0) {
      break;
    }
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return out;
}

// GET /metrics; the body of a 200 response, or nullopt.
inline std::optional<std::string> scrape_metrics(std::uint16_t port) {
  auto response = http_exchange(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  if (!response || !response->starts_with("HTTP/1.1 200 ")) {
    return std::nullopt;
  }
  const std::size_t body = response->find("\r\n\r\n");
  return body == std::string::npos ? std::nullopt : std::optional<std::string>(response->substr(body + 4));
}

// The value of the sample whose name-and-labels part is exactly `series` (e.g.
// `rustynetd_sync_total{outcome="ok"}`), or nullopt if there is no such line.
inline std::optional<double> sample_value(const std::string& text, std::string_view series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t space = line.rfind(' ');
    if (line.starts_with('#') || space == std::string::npos || std::string_view(line).substr(0, space) != series) {
      continue;
    }
    double value = 0;
    const char* begin = line.data() + space + 1;
    const auto [end, ec] = std::from_chars(begin, line.data() + line.size(), value);
    if (ec == std::errc{} && end == line.data() + line.size()) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace rustynet::testing
