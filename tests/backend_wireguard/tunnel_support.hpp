// SPDX-License-Identifier: Apache-2.0
// Helpers for tests that run real tunnels: key pairs, contexts, peers, backend options.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "netns_fixture.hpp"
#include "rustynet/backend_api/peer_config.hpp"
#include "rustynet/backend_api/runtime_context.hpp"
#include "rustynet/backend_wireguard/factory.hpp"
#include "wireguard_backend.hpp"

namespace rustynet::backend_wireguard::testing {

struct KeyPair {
  std::array<std::uint8_t, 32> private_key{};
  backend_api::PeerPublicKey public_key;
};

// A real Curve25519 key pair (libsodium), so that handshakes succeed.
KeyPair make_key_pair();

backend_api::RuntimeContext make_context(const std::string& node, const std::string& interface_name,
                                         const std::string& address, std::uint16_t listen_port, const KeyPair& keys);

backend_api::PeerConfig make_peer(const std::string& node, const backend_api::PeerPublicKey& key,
                                  const std::string& endpoint, const std::string& allowed_prefix);

WireGuardBackendOptions options_in(const Netns& netns);

std::unique_ptr<WireGuardBackend> make_backend_in(const Netns& netns);

// Polls `probe` for up to `seconds`; true as soon as it returns true.
bool eventually(int seconds, const std::function<bool()>& probe);

// ping -c 1 -W 1 from inside `netns`.
bool ping_from(const Netns& netns, const std::string& address);

}  // namespace rustynet::backend_wireguard::testing
