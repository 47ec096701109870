// SPDX-License-Identifier: Apache-2.0
// Fuzz target: rustynet-control's config parser (parse_service_config).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "rustynet/control/tls_policy.hpp"
#include "service_config.hpp"

namespace control_server = rustynet::apps::control_server;

namespace {

// The config document a parsed ServiceConfig stands for (the schema in service_config.hpp).
std::string reencode(const control_server::ServiceConfig& config) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& key : config.admin_keys) {
    keys.push_back(key.to_base64());
  }
  nlohmann::json custody = {{"key_directory", config.key_directory},
                            {"operator_secret_credential", config.operator_secret_credential}};
  if (config.operator_secret_file.has_value()) {
    custody["operator_secret_file"] = *config.operator_secret_file;
  }
  const nlohmann::json document = {{"version", control_server::kConfigVersion},
                                   {"listen", {{"address", config.listen_address}, {"port", config.port}}},
                                   {"tls",
                                    {{"min_version", "1.3"},
                                     {"max_version", "1.3"},
                                     {"certificate_file", config.certificate_file},
                                     {"private_key_file", config.private_key_file}}},
                                   {"state_dir", config.state_dir},
                                   {"security_event_log", config.security_event_log},
                                   {"audience", config.audience},
                                   {"custody", custody},
                                   {"admin_public_keys", keys},
                                   {"node_state_lifetime_seconds", config.node_state_lifetime.count()},
                                   {"long_poll_max_wait_seconds", config.long_poll_max_wait.count()},
                                   {"max_connections", config.max_connections},
                                   {"nonce_capacity", config.nonce_capacity}};
  return document.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  auto parsed = control_server::parse_service_config(text);
  if (!parsed.has_value()) {
    FUZZ_CHECK(parsed.error().kind == control_server::ConfigErrorKind::kSyntax ||
               parsed.error().kind == control_server::ConfigErrorKind::kInvalidValue);
    FUZZ_CHECK(!parsed.error().message.empty());
    return 0;
  }
  const control_server::ServiceConfig& config = *parsed;
  // Only TLS 1.3 ever gets through (spec: no downgrade by configuration).
  FUZZ_CHECK(rustynet::control::validate(config.tls_policy).has_value());
  FUZZ_CHECK(config.tls_policy.min_version == rustynet::control::TlsVersion::kTls13);
  FUZZ_CHECK(config.tls_policy.max_version == rustynet::control::TlsVersion::kTls13);
  FUZZ_CHECK(config.port >= 1);
  FUZZ_CHECK(!config.admin_keys.empty() && config.admin_keys.size() <= 64);
  FUZZ_CHECK(config.node_state_lifetime.count() >= 600 && config.node_state_lifetime.count() <= 2'592'000);
  FUZZ_CHECK(config.long_poll_max_wait.count() >= 1 && config.long_poll_max_wait.count() <= 55);
  FUZZ_CHECK(config.operator_secret_credential.find('/') == std::string::npos);
  // Re-encoding the parsed config gives a document that parses to the same config.
  const std::string encoded = reencode(config);
  auto again = control_server::parse_service_config(encoded);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(reencode(*again) == encoded);
  FUZZ_CHECK(again->admin_keys.size() == config.admin_keys.size());
  for (std::size_t i = 0; i < config.admin_keys.size(); ++i) {
    FUZZ_CHECK(again->admin_keys[i].key_id() == config.admin_keys[i].key_id());
  }
  return 0;
}
