// SPDX-License-Identifier: Apache-2.0
// Fuzz target: relay::parse_relay_config (the relay's JSON configuration file).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/relay/endpoint.hpp"
#include "rustynet/relay/relay_config.hpp"
#include "rustynet/relay/relay_limits.hpp"

namespace relay = rustynet::relay;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  auto parsed = relay::parse_relay_config(text);
  if (!parsed.has_value()) {
    FUZZ_CHECK(!parsed.error().empty());
    return 0;
  }
  // An accepted config satisfies the invariants the relay relies on at startup.
  FUZZ_CHECK(text.size() <= relay::kMaxRelayConfigBytes);
  FUZZ_CHECK(!parsed->relay_id.empty());
  FUZZ_CHECK(relay::validate(parsed->limits).has_value());
  // The listen endpoint and the control key round-trip through their text forms.
  auto listen = relay::RelayEndpoint::parse(parsed->listen.to_string());
  FUZZ_CHECK(listen.has_value() && *listen == parsed->listen);
  auto key = rustynet::crypto::Ed25519PublicKey::from_base64(parsed->control_public_key.to_base64());
  FUZZ_CHECK(key.has_value() && key->key_id() == parsed->control_public_key.key_id());
  return 0;
}
