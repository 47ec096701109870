// SPDX-License-Identifier: Apache-2.0
// Encoding and parsing of the cross-platform WireGuard UAPI text protocol (set=1 / get=1).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/base/secret_bytes.hpp"
#include "wg_model.hpp"

namespace rustynet::backend_wireguard {

// A set=1 request split so that the private key never sits in a growable (reallocating) buffer:
// the wire bytes are "set=1\n" + key_line + body, where body ends with the terminating blank line.
struct UapiSetRequest {
  base::SecretBytes key_line;  // "private_key=<hex>\n" or empty
  std::string body;            // everything else; never contains secrets
};

// Builds the request for one device update. Peers are emitted in order, each as its own
// public_key= section (never replace_peers). Precondition: a private key, if present, is 32 bytes.
[[nodiscard]] UapiSetRequest encode_uapi_set(const WgDeviceUpdate& update);

// Lowercase hex of `bytes`.
[[nodiscard]] std::string hex_encode(std::span<const std::uint8_t> bytes);
// Strict: exactly 64 hex digits (either case).
[[nodiscard]] std::optional<WgPublicKey> parse_hex_key(std::string_view text);
// "1.2.3.4:51820" / "[2001:db8::1]:51820".
[[nodiscard]] std::string format_endpoint(const WgEndpoint& endpoint);
[[nodiscard]] std::optional<WgEndpoint> parse_endpoint(std::string_view text);
// "10.0.0.0/24" / "fd00::/64". Parsing rejects a cidr beyond the family's width.
[[nodiscard]] std::string format_allowed_ip(const WgAllowedIp& allowed_ip);
[[nodiscard]] std::optional<WgAllowedIp> parse_allowed_ip(std::string_view text);
// Strict unsigned decimal (no sign, no leading spaces), bounded by `max`.
[[nodiscard]] std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max);

// Incremental parser for a UAPI reply (get=1 dump or set=1 acknowledgement). Feed the bytes as
// they arrive; complete() turns true after the terminating blank line. The private_key line of a
// get reply is discarded unread and the line buffer is wiped after every line, so the device's
// private key never survives in this object.
class UapiReplyParser {
 public:
  UapiReplyParser();
  ~UapiReplyParser();
  UapiReplyParser(const UapiReplyParser&) = delete;
  UapiReplyParser& operator=(const UapiReplyParser&) = delete;

  // Returns an error on a malformed line (the detail never echoes a secret line). Bytes after the
  // terminating blank line are an error.
  [[nodiscard]] base::Status<WgError> feed(std::span<const std::uint8_t> bytes);
  [[nodiscard]] bool complete() const noexcept { return complete_; }
  // errno= value of the reply (absolute value; wireguard-go reports negative codes). nullopt if
  // the reply had no errno line.
  [[nodiscard]] std::optional<int> error_number() const noexcept { return errno_; }
  // The parsed device state (meaningful for get replies).
  [[nodiscard]] WgDeviceState take_state();

 private:
  base::Status<WgError> handle_line();
  base::Status<WgError> handle_pair(std::string_view key, std::string_view value);

  std::vector<std::uint8_t> line_;
  bool complete_ = false;
  std::optional<int> errno_;
  WgDeviceState state_;
  bool in_peer_ = false;
};

// Convenience for tests and small replies: parse a whole get reply; a non-zero errno is an error.
[[nodiscard]] base::Result<WgDeviceState, WgError> parse_uapi_get_reply(std::string_view reply);
// Parse a whole set reply: success only on "errno=0".
[[nodiscard]] base::Status<WgError> parse_uapi_set_reply(std::string_view reply);

}  // namespace rustynet::backend_wireguard
