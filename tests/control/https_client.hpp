// SPDX-License-Identifier: Apache-2.0
// Minimal blocking HTTPS/1.1 client for loopback server tests (TLS 1.3, chosen source address).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace rustynet::testing {

struct HttpReply {
  bool transport_ok = false;  // false: connection closed/reset/timed out before a full response
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // Retry-After header, empty if absent
  bool keep_alive = false;
  std::string error;
};

class HttpsClient {
 public:
  // Connects from `source_ip` (any 127.0.0.0/8 address is local on Linux) to 127.0.0.1:port and
  // completes a TLS 1.3 handshake. Returns nullptr (and sets `error`) on failure.
  [[nodiscard]] static std::unique_ptr<HttpsClient> connect(std::uint16_t port, const std::string& source_ip,
                                                            std::string* error = nullptr);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;
  HttpsClient(HttpsClient&&) = delete;
  HttpsClient& operator=(HttpsClient&&) = delete;

  HttpReply request(const std::string& method, const std::string& target, const std::string& bearer = "",
                    const std::string& body = "");
  // Writes raw bytes inside the TLS stream and reads one response (or the close).
  HttpReply raw(const std::string& bytes);
  // Writes raw bytes and waits until the server closes the connection; returns how long it took,
  // or nullopt-like negative duration if it did not close within `limit`.
  std::chrono::milliseconds wait_for_close_after(const std::string& bytes, std::chrono::milliseconds limit);

  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::testing
