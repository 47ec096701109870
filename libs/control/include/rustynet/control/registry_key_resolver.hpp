// SPDX-License-Identifier: Apache-2.0
// RegistryKeyResolver: node tokens verify with the registered identity key, admin tokens with config keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/control/node_registry.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::control {

// sub == admin_subject: one of `admin_keys` whose key id is `kid`, never a node key.
// Any other sub: the identity key registered for that node id, if its key id is `kid`; a removed
// or unknown node resolves to nothing, so its tokens stop verifying at once. Thread-safe.
class RegistryKeyResolver final : public TokenKeyResolver {
 public:
  RegistryKeyResolver(NodeRegistry& registry, std::vector<crypto::Ed25519PublicKey> admin_keys,
                      std::string admin_subject = "admin");

  [[nodiscard]] base::Result<std::optional<crypto::Ed25519PublicKey>, StateError> resolve(
      std::string_view key_id, std::string_view subject) const override;

 private:
  NodeRegistry* registry_;
  std::vector<crypto::Ed25519PublicKey> admin_keys_;
  std::string admin_subject_;
};

}  // namespace rustynet::control
