// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the userspace tunnel daemon's UAPI reply parser (UapiReplyParser,
// parse_uapi_get_reply): the text a possibly compromised or buggy userspace process sends back.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "uapi_codec.hpp"
#include "wg_model.hpp"

namespace tunnel = rustynet::backend_wireguard;

namespace {

bool same_state(const tunnel::WgDeviceState& a, const tunnel::WgDeviceState& b) {
  if (a.public_key != b.public_key || a.listen_port != b.listen_port || a.fwmark != b.fwmark ||
      a.peers.size() != b.peers.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    const auto& p = a.peers[i];
    const auto& q = b.peers[i];
    if (p.public_key != q.public_key || p.endpoint != q.endpoint ||
        p.persistent_keepalive_seconds != q.persistent_keepalive_seconds || p.allowed_ips != q.allowed_ips ||
        p.rx_bytes != q.rx_bytes || p.tx_bytes != q.tx_bytes ||
        p.last_handshake_unix_seconds != q.last_handshake_unix_seconds ||
        p.last_handshake_nanoseconds != q.last_handshake_nanoseconds) {
      return false;
    }
  }
  return true;
}

// The get reply a device in `state` would send (the UAPI text protocol).
std::string encode_get_reply(const tunnel::WgDeviceState& state) {
  std::string out = "listen_port=" + std::to_string(state.listen_port) + "\n";
  out += "fwmark=" + std::to_string(state.fwmark) + "\n";
  for (const auto& peer : state.peers) {
    out += "public_key=" + tunnel::hex_encode(peer.public_key.bytes) + "\n";
    if (peer.endpoint.has_value()) {
      out += "endpoint=" + tunnel::format_endpoint(*peer.endpoint) + "\n";
    }
    out += "persistent_keepalive_interval=" + std::to_string(peer.persistent_keepalive_seconds) + "\n";
    for (const auto& allowed_ip : peer.allowed_ips) {
      out += "allowed_ip=" + tunnel::format_allowed_ip(allowed_ip) + "\n";
    }
    out += "rx_bytes=" + std::to_string(peer.rx_bytes) + "\n";
    out += "tx_bytes=" + std::to_string(peer.tx_bytes) + "\n";
    // The parser stores these u64 fields in int64 (two's complement): print the same bits back.
    out += "last_handshake_time_sec=" + std::to_string(static_cast<std::uint64_t>(peer.last_handshake_unix_seconds)) +
           "\n";
    out += "last_handshake_time_nsec=" + std::to_string(static_cast<std::uint64_t>(peer.last_handshake_nanoseconds)) +
           "\n";
  }
  out += "errno=0\n\n";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::fuzz::FuzzInput input(data, size);
  const std::size_t chunk = 1U + input.take_byte() % 64U;
  const auto bytes = input.rest();
  const auto text = input.rest_text();

  auto whole = tunnel::parse_uapi_get_reply(text);
  // Feeding the same bytes in chunks (as they arrive from a socket) gives the same outcome.
  tunnel::UapiReplyParser parser;
  bool chunked_ok = true;
  for (std::size_t offset = 0; offset < bytes.size() && chunked_ok; offset += chunk) {
    chunked_ok = parser.feed(bytes.subspan(offset, std::min(chunk, bytes.size() - offset))).has_value();
  }
  chunked_ok = chunked_ok && parser.complete() && parser.error_number() == 0;
  FUZZ_CHECK(chunked_ok == whole.has_value());
  if (!whole.has_value()) {
    return 0;
  }
  const tunnel::WgDeviceState chunked_state = parser.take_state();
  FUZZ_CHECK(same_state(chunked_state, *whole));
  for (const auto& peer : whole->peers) {
    for (const auto& allowed_ip : peer.allowed_ips) {
      FUZZ_CHECK(allowed_ip.cidr <= (allowed_ip.address.is_v6 ? 128U : 32U));
    }
  }
  // Re-encoding the parsed state as a reply parses back to the same state.
  auto again = tunnel::parse_uapi_get_reply(encode_get_reply(*whole));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(same_state(*again, *whole));
  // A set acknowledgement is exactly "errno=0" and a blank line.
  FUZZ_CHECK(tunnel::parse_uapi_set_reply("errno=0\n\n").has_value());
  return 0;
}
