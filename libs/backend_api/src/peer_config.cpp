// SPDX-License-Identifier: Apache-2.0
// PeerPublicKey and PeerConfig helpers and formatting.
#include "rustynet/backend_api/peer_config.hpp"

#include <algorithm>
#include <ostream>

namespace rustynet::backend_api {

BackendResult<PeerPublicKey> PeerPublicKey::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) {
    return fail(BackendError::invalid_input(std::string("peer public key must be 32 bytes, got ") +
                                            std::to_string(bytes.size())));
  }
  PeerPublicKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes.begin());
  return key;
}

bool PeerPublicKey::is_zero() const noexcept {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

std::string PeerPublicKey::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(kSize * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4U]);
    out.push_back(kDigits[b & 0xFU]);
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const PeerPublicKey& key) { return out << key.to_hex(); }

std::vector<IpPrefix> canonical_prefixes(std::span<const IpPrefix> prefixes) {
  std::vector<IpPrefix> out(prefixes.begin(), prefixes.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::ostream& operator<<(std::ostream& out, const PeerConfig& peer) {
  out << "peer{" << peer.node_id << " key=" << peer.public_key.to_hex().substr(0, 8) << "...";
  if (peer.endpoint.has_value()) {
    out << " endpoint=" << *peer.endpoint;
  }
  out << " allowed=[";
  for (std::size_t i = 0; i < peer.allowed_prefixes.size(); ++i) {
    out << (i == 0 ? "" : ",") << peer.allowed_prefixes[i];
  }
  out << "]";
  if (peer.persistent_keepalive_seconds.has_value()) {
    out << " keepalive=" << *peer.persistent_keepalive_seconds;
  }
  return out << "}";
}

}  // namespace rustynet::backend_api
