// SPDX-License-Identifier: Apache-2.0
// Token signer lookup by (kid, sub): admin keys from configuration, node keys from the registry.
#include "rustynet/control/registry_key_resolver.hpp"

#include <utility>

namespace rustynet::control {

RegistryKeyResolver::RegistryKeyResolver(NodeRegistry& registry, std::vector<crypto::Ed25519PublicKey> admin_keys,
                                         std::string admin_subject)
    : registry_(&registry), admin_keys_(std::move(admin_keys)), admin_subject_(std::move(admin_subject)) {}

base::Result<std::optional<crypto::Ed25519PublicKey>, StateError> RegistryKeyResolver::resolve(
    std::string_view key_id, std::string_view subject) const {
  if (subject == admin_subject_) {
    for (const auto& key : admin_keys_) {
      if (key.key_id() == key_id) {
        return std::optional<crypto::Ed25519PublicKey>(key);
      }
    }
    return std::optional<crypto::Ed25519PublicKey>();
  }
  auto node = registry_->find_node(subject);
  if (!node.has_value()) {
    if (node.error().kind == RegistryErrorKind::kState) {
      return base::unexpected(StateError{node.error().message});
    }
    return std::optional<crypto::Ed25519PublicKey>();
  }
  if (!node->has_value()) {
    return std::optional<crypto::Ed25519PublicKey>();
  }
  auto key = crypto::Ed25519PublicKey::from_bytes((*node)->identity_public_key);
  if (!key.has_value() || key->key_id() != key_id) {
    return std::optional<crypto::Ed25519PublicKey>();
  }
  return std::optional<crypto::Ed25519PublicKey>(*key);
}

}  // namespace rustynet::control
