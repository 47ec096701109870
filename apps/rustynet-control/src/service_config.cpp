// SPDX-License-Identifier: Apache-2.0
// Strict parsing of the rustynet-control configuration file.
#include "service_config.hpp"

#include "rustynet/base/file_io.hpp"
#include "rustynet/base/strict_json.hpp"

namespace rustynet::apps::control_server {
namespace {

ConfigError from_json(const base::JsonError& error) { return ConfigError{error.describe()}; }

}  // namespace

base::Result<ServiceConfig, ConfigError> parse_service_config(std::string_view json_text) {
  auto json = base::parse_strict_json(json_text);
  if (!json.has_value()) {
    return base::unexpected(from_json(json.error()));
  }
  auto root_or = base::JsonObjectReader::create(*json, "$");
  if (!root_or.has_value()) {
    return base::unexpected(from_json(root_or.error()));
  }
  base::JsonObjectReader& root = *root_or;
  if (auto version = base::require_version(root, kConfigVersion); !version.has_value()) {
    return base::unexpected(from_json(version.error()));
  }
  ServiceConfig config;
  auto fail = [](const base::JsonError& error) { return base::unexpected(from_json(error)); };

  auto listen_value = root.required_value("listen");
  if (!listen_value.has_value()) {
    return fail(listen_value.error());
  }
  auto listen = base::JsonObjectReader::create(**listen_value, root.child_path("listen"));
  if (!listen.has_value()) {
    return fail(listen.error());
  }
  auto address = listen->required_string("address");
  auto port = listen->required_int("port");
  if (!address.has_value()) {
    return fail(address.error());
  }
  if (!port.has_value()) {
    return fail(port.error());
  }
  if (*port < 1 || *port > 65535) {
    return base::unexpected(ConfigError{listen->child_path("port") + ": must be 1..65535"});
  }
  if (auto done = listen->finish(); !done.has_value()) {
    return fail(done.error());
  }
  config.listen_address = *address;
  config.port = static_cast<std::uint16_t>(*port);

  auto tls_value = root.required_value("tls");
  if (!tls_value.has_value()) {
    return fail(tls_value.error());
  }
  auto tls = base::JsonObjectReader::create(**tls_value, root.child_path("tls"));
  if (!tls.has_value()) {
    return fail(tls.error());
  }
  for (const char* key : {"min_version", "max_version"}) {
    auto text = tls->required_string(key);
    if (!text.has_value()) {
      return fail(text.error());
    }
    auto version = control::parse_tls_version(*text);
    if (!version.has_value()) {
      return base::unexpected(ConfigError{tls->child_path(key) + ": " + version.error().message});
    }
    (std::string_view(key) == "min_version" ? config.tls_policy.min_version : config.tls_policy.max_version) = *version;
  }
  if (auto valid = control::validate(config.tls_policy); !valid.has_value()) {
    return base::unexpected(ConfigError{tls->path() + ": " + valid.error().message});
  }
  auto cert = tls->required_string("certificate_file");
  auto key = tls->required_string("private_key_file");
  if (!cert.has_value()) {
    return fail(cert.error());
  }
  if (!key.has_value()) {
    return fail(key.error());
  }
  if (auto done = tls->finish(); !done.has_value()) {
    return fail(done.error());
  }
  config.certificate_file = *cert;
  config.private_key_file = *key;

  auto state_dir = root.required_string("state_dir");
  auto event_log = root.required_string("security_event_log");
  auto audience = root.required_string("audience");
  for (auto* field : {&state_dir, &event_log, &audience}) {
    if (!field->has_value()) {
      return fail(field->error());
    }
    if (field->value().empty()) {
      return base::unexpected(ConfigError{"$: state_dir, security_event_log and audience must be non-empty"});
    }
  }
  config.state_dir = *state_dir;
  config.security_event_log = *event_log;
  config.audience = *audience;

  auto keys_value = root.required_value("token_signing_public_keys");
  if (!keys_value.has_value()) {
    return fail(keys_value.error());
  }
  const std::string keys_path = root.child_path("token_signing_public_keys");
  if (!(*keys_value)->is_array() || (*keys_value)->empty()) {
    return base::unexpected(ConfigError{keys_path + ": must be a non-empty array of base64 Ed25519 keys"});
  }
  for (std::size_t i = 0; i < (*keys_value)->size(); ++i) {
    const auto& item = (**keys_value)[i];
    auto parsed = item.is_string()
                      ? crypto::Ed25519PublicKey::from_base64(item.get<std::string>())
                      : base::Result<crypto::Ed25519PublicKey, crypto::CryptoError>(base::unexpected(
                            crypto::CryptoError{crypto::CryptoErrorKind::kInvalidEncoding, "not a string"}));
    if (!parsed.has_value()) {
      return base::unexpected(ConfigError{keys_path + "[" + std::to_string(i) + "]: invalid Ed25519 public key"});
    }
    config.token_keys.push_back(*parsed);
  }
  auto capacity = root.optional_int("nonce_capacity");
  if (!capacity.has_value()) {
    return fail(capacity.error());
  }
  if (capacity->has_value()) {
    if (**capacity < 1 || **capacity > 100'000'000) {
      return base::unexpected(ConfigError{root.child_path("nonce_capacity") + ": must be 1..100000000"});
    }
    config.nonce_capacity = static_cast<std::size_t>(**capacity);
  }
  if (auto done = root.finish(); !done.has_value()) {
    return fail(done.error());
  }
  return config;
}

base::Result<ServiceConfig, ConfigError> load_service_config(const std::string& path) {
  auto text = base::read_file_bounded(path, 1U << 20U);
  if (!text.has_value()) {
    return base::unexpected(ConfigError{text.error().describe()});
  }
  return parse_service_config(*text);
}

}  // namespace rustynet::apps::control_server
