// SPDX-License-Identifier: Apache-2.0
// TlsResponder: a tiny loopback HTTPS/1.1 server (TLS 1.3, self-signed) with a scripted handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rustynet::testing {

struct ResponderRequest {
  std::string method;
  std::string target;
  std::string authorization;  // the Authorization header value
  std::string body;
};

struct ResponderReply {
  unsigned status = 200;
  std::string body;
  bool keep_alive = true;
  std::chrono::milliseconds delay{0};  // answer after this long (long-poll / timeout tests)
  bool drop = false;                   // close the connection without answering
  bool close_after = false;            // answer keep-alive, then close (a server's idle timeout)
};

class TlsResponder {
 public:
  using Handler = std::function<ResponderReply(const ResponderRequest&)>;

  // Listens on 127.0.0.1:0 with a fresh self-signed certificate for CN=localhost.
  explicit TlsResponder(Handler handler);
  ~TlsResponder();
  TlsResponder(const TlsResponder&) = delete;
  TlsResponder& operator=(const TlsResponder&) = delete;
  TlsResponder(TlsResponder&&) = delete;
  TlsResponder& operator=(TlsResponder&&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  // Lowercase hex SHA-256 of the DER certificate (the pin), and the PEM (as a CA file).
  [[nodiscard]] const std::string& pin_sha256() const;
  [[nodiscard]] const std::string& certificate_pem() const;
  [[nodiscard]] std::uint64_t connections_accepted() const;
  [[nodiscard]] std::uint64_t requests_served() const;
  // Connections the responder closed after answering (close_after or keep_alive = false).
  [[nodiscard]] std::uint64_t connections_closed_after_reply() const;
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::testing
