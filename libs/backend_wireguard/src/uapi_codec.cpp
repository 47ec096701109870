// SPDX-License-Identifier: Apache-2.0
// UAPI text protocol: request encoding and incremental reply parsing.
#include "uapi_codec.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>

namespace rustynet::backend_wireguard {
namespace {

constexpr std::size_t kMaxLineBytes = 1024;
constexpr std::string_view kHexDigits = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::optional<WgAddress> parse_address(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  const std::string copy(text);
  WgAddress address;
  if (copy.find(':') != std::string::npos) {
    address.is_v6 = true;
    if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) {
      return std::nullopt;
    }
    return address;
  }
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) != 1) {
    return std::nullopt;
  }
  return address;
}

std::string format_address(const WgAddress& address) {
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  const char* out = inet_ntop(address.is_v6 ? AF_INET6 : AF_INET, address.bytes.data(), buffer.data(),
                              static_cast<socklen_t>(buffer.size()));
  return out == nullptr ? std::string("?") : std::string(out);
}

void append_line(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out.push_back('=');
  out.append(value);
  out.push_back('\n');
}

WgError protocol_error(std::string detail) {
  return WgError{.operation = "uapi reply", .error_number = EPROTO, .detail = std::move(detail)};
}

}  // namespace

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    out.push_back(kHexDigits[byte >> 4U]);
    out.push_back(kHexDigits[byte & 0x0FU]);
  }
  return out;
}

std::optional<WgPublicKey> parse_hex_key(std::string_view text) {
  if (text.size() != kWgKeySize * 2) {
    return std::nullopt;
  }
  WgPublicKey key;
  for (std::size_t i = 0; i < kWgKeySize; ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    key.bytes[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return key;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  if (value > max) {
    return std::nullopt;
  }
  return value;
}

std::string format_endpoint(const WgEndpoint& endpoint) {
  const std::string host = format_address(endpoint.address);
  const std::string port = std::to_string(endpoint.port);
  return endpoint.address.is_v6 ? "[" + host + "]:" + port : host + ":" + port;
}

std::optional<WgEndpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find('%') != std::string_view::npos) {
      return std::nullopt;  // scoped (link-local) endpoints are not part of our model
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return std::nullopt;
    }
  }
  const auto address = parse_address(host);
  const auto port_value = parse_decimal(port, 65535);
  if (!address.has_value() || !port_value.has_value()) {
    return std::nullopt;
  }
  if (address->is_v6 != (text.front() == '[')) {
    return std::nullopt;
  }
  return WgEndpoint{.address = *address, .port = static_cast<std::uint16_t>(*port_value)};
}

std::string format_allowed_ip(const WgAllowedIp& allowed_ip) {
  return format_address(allowed_ip.address) + "/" + std::to_string(allowed_ip.cidr);
}

std::optional<WgAllowedIp> parse_allowed_ip(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  const auto address = parse_address(text.substr(0, slash));
  if (!address.has_value()) {
    return std::nullopt;
  }
  const auto cidr = parse_decimal(text.substr(slash + 1), address->is_v6 ? 128 : 32);
  if (!cidr.has_value()) {
    return std::nullopt;
  }
  return WgAllowedIp{.address = *address, .cidr = static_cast<std::uint8_t>(*cidr)};
}

UapiSetRequest encode_uapi_set(const WgDeviceUpdate& update) {
  UapiSetRequest request;
  if (update.private_key.has_value()) {
    // Exact-size secret buffer: "private_key=" + 64 hex + "\n"; filled in place, never reallocated.
    constexpr std::string_view kPrefix = "private_key=";
    const auto key = update.private_key->view();
    request.key_line = base::SecretBytes(kPrefix.size() + key.size() * 2 + 1);
    auto out = request.key_line.mutable_view();
    std::size_t at = 0;
    for (const char c : kPrefix) {
      out[at++] = static_cast<std::uint8_t>(c);
    }
    for (const std::uint8_t byte : key) {
      out[at++] = static_cast<std::uint8_t>(kHexDigits[byte >> 4U]);
      out[at++] = static_cast<std::uint8_t>(kHexDigits[byte & 0x0FU]);
    }
    out[at] = static_cast<std::uint8_t>('\n');
  }
  std::string& body = request.body;
  body.reserve(64 + update.peers.size() * 160);
  if (update.listen_port.has_value()) {
    append_line(body, "listen_port", std::to_string(*update.listen_port));
  }
  if (update.fwmark.has_value()) {
    append_line(body, "fwmark", std::to_string(*update.fwmark));
  }
  for (const WgPeerUpdate& peer : update.peers) {
    append_line(body, "public_key", hex_encode(peer.public_key.bytes));
    if (peer.remove) {
      append_line(body, "remove", "true");
      continue;
    }
    if (peer.update_only) {
      append_line(body, "update_only", "true");
    }
    if (peer.endpoint.has_value()) {
      append_line(body, "endpoint", format_endpoint(*peer.endpoint));
    }
    if (peer.persistent_keepalive_seconds.has_value()) {
      append_line(body, "persistent_keepalive_interval", std::to_string(*peer.persistent_keepalive_seconds));
    }
    if (peer.replace_allowed_ips) {
      append_line(body, "replace_allowed_ips", "true");
    }
    for (const WgAllowedIp& allowed_ip : peer.allowed_ips) {
      append_line(body, "allowed_ip", format_allowed_ip(allowed_ip));
    }
  }
  body.push_back('\n');
  return request;
}

UapiReplyParser::UapiReplyParser() { line_.reserve(kMaxLineBytes); }

UapiReplyParser::~UapiReplyParser() { base::secure_wipe(line_); }

base::Status<WgError> UapiReplyParser::feed(std::span<const std::uint8_t> bytes) {
  for (const std::uint8_t byte : bytes) {
    if (complete_) {
      return base::unexpected(protocol_error("unexpected bytes after the end of the reply"));
    }
    if (byte != '\n') {
      if (line_.size() >= kMaxLineBytes) {
        base::secure_wipe(line_);
        line_.clear();
        return base::unexpected(protocol_error("reply line longer than " + std::to_string(kMaxLineBytes) + " bytes"));
      }
      line_.push_back(byte);  // capacity reserved up front: never reallocates
      continue;
    }
    auto status = handle_line();
    base::secure_wipe(line_);
    line_.clear();
    RUSTYNET_RETURN_IF_ERROR(status);
  }
  return {};
}

base::Status<WgError> UapiReplyParser::handle_line() {
  if (line_.empty()) {
    complete_ = true;
    return {};
  }
  std::string_view line(static_cast<const char*>(static_cast<const void*>(line_.data())), line_.size());
  const auto equals = line.find('=');
  if (equals == std::string_view::npos) {
    return base::unexpected(protocol_error("reply line without '='"));
  }
  return handle_pair(line.substr(0, equals), line.substr(equals + 1));
}

base::Status<WgError> UapiReplyParser::handle_pair(std::string_view key, std::string_view value) {
  const auto bad_value = [&key]() {
    return base::unexpected(protocol_error("malformed value for '" + std::string(key) + "'"));
  };
  if (key == "private_key" || key == "preshared_key") {
    return {};  // secrets: deliberately not read
  }
  if (key == "errno") {
    const bool negative = !value.empty() && value.front() == '-';
    const auto number = parse_decimal(negative ? value.substr(1) : value, 4095);
    if (!number.has_value()) {
      return bad_value();
    }
    errno_ = static_cast<int>(*number);
    return {};
  }
  if (key == "public_key") {
    const auto public_key = parse_hex_key(value);
    if (!public_key.has_value()) {
      return bad_value();
    }
    WgPeerState peer;
    peer.public_key = *public_key;
    state_.peers.push_back(std::move(peer));
    in_peer_ = true;
    return {};
  }
  if (!in_peer_) {
    if (key == "listen_port") {
      const auto port = parse_decimal(value, 65535);
      if (!port.has_value()) {
        return bad_value();
      }
      state_.listen_port = static_cast<std::uint16_t>(*port);
      return {};
    }
    if (key == "fwmark") {
      const auto mark = parse_decimal(value, std::numeric_limits<std::uint32_t>::max());
      if (!mark.has_value()) {
        return bad_value();
      }
      state_.fwmark = static_cast<std::uint32_t>(*mark);
      return {};
    }
    return {};  // unknown device-level keys are ignored for forward compatibility
  }
  WgPeerState& peer = state_.peers.back();
  if (key == "endpoint") {
    const auto endpoint = parse_endpoint(value);
    if (!endpoint.has_value()) {
      return bad_value();
    }
    peer.endpoint = *endpoint;
    return {};
  }
  if (key == "allowed_ip") {
    const auto allowed_ip = parse_allowed_ip(value);
    if (!allowed_ip.has_value()) {
      return bad_value();
    }
    peer.allowed_ips.push_back(*allowed_ip);
    return {};
  }
  const auto number = parse_decimal(value, std::numeric_limits<std::uint64_t>::max());
  if (key == "rx_bytes" || key == "tx_bytes" || key == "last_handshake_time_sec" || key == "last_handshake_time_nsec" ||
      key == "persistent_keepalive_interval") {
    if (!number.has_value()) {
      return bad_value();
    }
  }
  if (key == "rx_bytes") {
    peer.rx_bytes = *number;
  } else if (key == "tx_bytes") {
    peer.tx_bytes = *number;
  } else if (key == "last_handshake_time_sec") {
    peer.last_handshake_unix_seconds = static_cast<std::int64_t>(*number);
  } else if (key == "last_handshake_time_nsec") {
    peer.last_handshake_nanoseconds = static_cast<std::int64_t>(*number);
  } else if (key == "persistent_keepalive_interval") {
    if (*number > 65535) {
      return bad_value();
    }
    peer.persistent_keepalive_seconds = static_cast<std::uint16_t>(*number);
  }
  return {};  // protocol_version and future keys are ignored
}

WgDeviceState UapiReplyParser::take_state() { return std::move(state_); }

namespace {

base::Status<WgError> feed_text(UapiReplyParser& parser, std::string_view reply) {
  std::vector<std::uint8_t> bytes(reply.size());
  std::transform(reply.begin(), reply.end(), bytes.begin(), [](char c) { return static_cast<std::uint8_t>(c); });
  auto status = parser.feed(bytes);
  base::secure_wipe(bytes);
  RUSTYNET_RETURN_IF_ERROR(status);
  if (!parser.complete()) {
    return base::unexpected(protocol_error("reply ended before the terminating blank line"));
  }
  if (!parser.error_number().has_value()) {
    return base::unexpected(protocol_error("reply has no errno line"));
  }
  if (*parser.error_number() != 0) {
    return base::unexpected(WgError{
        .operation = "uapi", .error_number = *parser.error_number(), .detail = "the device rejected the request"});
  }
  return {};
}

}  // namespace

base::Result<WgDeviceState, WgError> parse_uapi_get_reply(std::string_view reply) {
  UapiReplyParser parser;
  RUSTYNET_RETURN_IF_ERROR(feed_text(parser, reply));
  return parser.take_state();
}

base::Status<WgError> parse_uapi_set_reply(std::string_view reply) {
  UapiReplyParser parser;
  return feed_text(parser, reply);
}

}  // namespace rustynet::backend_wireguard
