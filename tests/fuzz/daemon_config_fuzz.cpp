// SPDX-License-Identifier: Apache-2.0
// Fuzz target: rustynetd's config parser (parse_daemon_config, /etc/rustynet/rustynetd.json).
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon_config.hpp"
#include "fuzz_support.hpp"
#include "rustynet/backend_api/node_id.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"

namespace daemon_app = rustynet::apps::daemon;
namespace backend_api = rustynet::backend_api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  auto parsed = daemon_app::parse_daemon_config(text);
  if (!parsed.has_value()) {
    FUZZ_CHECK(parsed.error().kind == daemon_app::DaemonErrorKind::kConfig);
    return 0;
  }
  const daemon_app::DaemonConfig& config = *parsed;
  // Invariants the daemon relies on after a successful parse.
  auto node_id = backend_api::NodeId::parse(config.node_id);
  FUZZ_CHECK(node_id.has_value() && node_id->value() == config.node_id);
  FUZZ_CHECK(config.listen_port >= 1);
  FUZZ_CHECK(config.mtu >= 1280 && config.mtu <= 65535);
  FUZZ_CHECK(config.control.long_poll_seconds >= 1 && config.control.long_poll_seconds <= 55);
  FUZZ_CHECK(config.control.port >= 1);
  FUZZ_CHECK(!config.control.host.empty());
  FUZZ_CHECK(config.control.pin_sha256.empty() != config.control.ca_file.empty());
  FUZZ_CHECK(!config.trust_state_path.empty() && !config.last_state_path.empty());
  FUZZ_CHECK(config.persistent_keepalive_seconds >= 1 && config.persistent_keepalive_seconds <= 3600);
  FUZZ_CHECK(config.advertised_endpoints.size() <= daemon_app::kMaxAdvertisedEndpoints);
  for (const auto& endpoint : config.advertised_endpoints) {
    // Stored in canonical form: parsing and printing again is the identity.
    auto again = backend_api::SocketEndpoint::parse(endpoint);
    FUZZ_CHECK(again.has_value() && again->to_string() == endpoint);
  }
  // Parsing is deterministic, and a config never blocks a reload to itself.
  auto twice = daemon_app::parse_daemon_config(text);
  FUZZ_CHECK(twice.has_value());
  FUZZ_CHECK(!daemon_app::reload_blocker(config, *twice).has_value());
  FUZZ_CHECK(twice->advertised_endpoints == config.advertised_endpoints);
  FUZZ_CHECK(twice->control.signing_public_keys == config.control.signing_public_keys);
  return 0;
}
