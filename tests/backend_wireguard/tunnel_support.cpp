// SPDX-License-Identifier: Apache-2.0
// Real-tunnel test helpers.
#include "tunnel_support.hpp"

#include <sodium.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace rustynet::backend_wireguard::testing {

namespace api = backend_api;

KeyPair make_key_pair() {
  if (sodium_init() < 0) {
    ADD_FAILURE() << "sodium_init failed";
  }
  KeyPair pair;
  randombytes_buf(pair.private_key.data(), pair.private_key.size());
  if (crypto_scalarmult_curve25519_base(pair.public_key.bytes.data(), pair.private_key.data()) != 0) {
    ADD_FAILURE() << "crypto_scalarmult_curve25519_base failed";
  }
  return pair;
}

api::RuntimeContext make_context(const std::string& node, const std::string& interface_name, const std::string& address,
                                 std::uint16_t listen_port, const KeyPair& keys) {
  api::RuntimeContext context{api::NodeId::parse(node).value(),
                              interface_name,
                              {api::InterfaceAddress::parse(address).value()},
                              listen_port,
                              1420,
                              base::SecretBytes(keys.private_key)};
  return context;
}

api::PeerConfig make_peer(const std::string& node, const api::PeerPublicKey& key, const std::string& endpoint,
                          const std::string& allowed_prefix) {
  api::PeerConfig peer{api::NodeId::parse(node).value(), key, std::nullopt, {}, std::nullopt};
  if (!endpoint.empty()) {
    peer.endpoint = api::SocketEndpoint::parse(endpoint).value();
  }
  peer.allowed_prefixes.push_back(api::IpPrefix::parse(allowed_prefix).value());
  return peer;
}

WireGuardBackendOptions options_in(const Netns& netns) {
  WireGuardBackendOptions options;
  options.network_namespace_path = netns.path();
  options.terminate_daemon_with_owner = true;
  return options;
}

std::unique_ptr<WireGuardBackend> make_backend_in(const Netns& netns) {
  return std::make_unique<WireGuardBackend>(options_in(netns));
}

bool eventually(int seconds, const std::function<bool()>& probe) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return probe();
}

bool ping_from(const Netns& netns, const std::string& address) {
  return netns.exec({"ping", "-n", "-q", "-c", "1", "-W", "1", address}).exit_code == 0;
}

}  // namespace rustynet::backend_wireguard::testing
