// SPDX-License-Identifier: Apache-2.0
// RelayConfig parsing on the project's strict JSON reader.
#include "rustynet/relay/relay_config.hpp"

#include <limits>
#include <optional>

#include "rustynet/base/strict_json.hpp"

namespace rustynet::relay {
namespace {

std::string describe(const base::JsonError& error) { return error.describe(); }

template <class T>
base::Status<std::string> read_limit(base::JsonObjectReader& reader, std::string_view key, T& field) {
  auto value = reader.optional_int(key);
  if (!value.has_value()) {
    return base::unexpected(describe(value.error()));
  }
  if (!value->has_value()) {
    return {};
  }
  const std::int64_t number = **value;
  if (number < 0 || static_cast<std::uint64_t>(number) > std::numeric_limits<T>::max()) {
    return base::unexpected(reader.child_path(key) + ": out of range");
  }
  field = static_cast<T>(number);
  return {};
}

base::Status<std::string> read_limits(const nlohmann::json& value, const std::string& path, RelayLimits& limits) {
  auto created = base::JsonObjectReader::create(value, path);
  if (!created.has_value()) {
    return base::unexpected(describe(created.error()));
  }
  base::JsonObjectReader reader = std::move(created).value();
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "max_sessions", limits.max_sessions));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "max_sessions_per_node", limits.max_sessions_per_node));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "session_idle_timeout_seconds", limits.session_idle_timeout_seconds));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "max_session_lifetime_seconds", limits.max_session_lifetime_seconds));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "per_session_bytes_per_second", limits.per_session_bytes_per_second));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "per_source_packets_per_second", limits.per_source_packets_per_second));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "hello_per_source_per_second", limits.hello_per_source_per_second));
  RUSTYNET_RETURN_IF_ERROR(
      read_limit(reader, "ticket_verifications_per_second", limits.ticket_verifications_per_second));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "max_replay_entries", limits.max_replay_entries));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "max_datagram_bytes", limits.max_datagram_bytes));
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "security_events_per_second", limits.security_events_per_second));
  if (auto done = reader.finish(); !done.has_value()) {
    return base::unexpected(describe(done.error()));
  }
  if (auto valid = validate(limits); !valid.has_value()) {
    return base::unexpected(path + ": " + valid.error().message);
  }
  return {};
}

base::Result<base::LoopbackEndpoint, std::string> read_metrics(const nlohmann::json& value, std::string path) {
  auto created = base::JsonObjectReader::create(value, std::move(path));
  if (!created.has_value()) {
    return base::unexpected(describe(created.error()));
  }
  base::JsonObjectReader reader = std::move(created).value();
  auto listen = reader.required_string("listen");
  if (!listen.has_value()) {
    return base::unexpected(describe(listen.error()));
  }
  auto endpoint = base::parse_loopback_endpoint(*listen);
  if (!endpoint.has_value()) {
    return base::unexpected(reader.child_path("listen") + ": " + endpoint.error().message);
  }
  if (auto done = reader.finish(); !done.has_value()) {
    return base::unexpected(describe(done.error()));
  }
  return *endpoint;
}

}  // namespace

base::Result<RelayConfig, std::string> parse_relay_config(std::string_view text) {
  auto parsed = base::parse_strict_json(text, base::JsonLimits{kMaxRelayConfigBytes, 8});
  if (!parsed.has_value()) {
    return base::unexpected(describe(parsed.error()));
  }
  auto created = base::JsonObjectReader::create(*parsed, "$");
  if (!created.has_value()) {
    return base::unexpected(describe(created.error()));
  }
  base::JsonObjectReader reader = std::move(created).value();
  if (auto version = base::require_version(reader, kRelayConfigVersion); !version.has_value()) {
    return base::unexpected(describe(version.error()));
  }
  auto relay_id = reader.required_string("relay_id");
  auto listen_text = reader.required_string("listen");
  auto key_text = reader.required_string("control_public_key");
  for (const auto* field : {&relay_id, &listen_text, &key_text}) {
    if (!field->has_value()) {
      return base::unexpected(describe(field->error()));
    }
  }
  if (relay_id->empty() || relay_id->size() > 128 ||
      relay_id->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos) {
    return base::unexpected(std::string("$.relay_id: must be 1-128 characters of [A-Za-z0-9._-]"));
  }
  auto listen = RelayEndpoint::parse(*listen_text);
  if (!listen.has_value()) {
    return base::unexpected("$.listen: " + listen.error());
  }
  auto key = crypto::Ed25519PublicKey::from_base64(*key_text);
  if (!key.has_value()) {
    return base::unexpected(std::string("$.control_public_key: not a valid base64 Ed25519 public key"));
  }
  RelayConfig config{*relay_id, *listen, *key, RelayLimits{}, 60, std::nullopt, base::LogLevel::kInfo, std::nullopt};
  if (const nlohmann::json* limits = reader.optional_value("limits"); limits != nullptr) {
    RUSTYNET_RETURN_IF_ERROR(read_limits(*limits, reader.child_path("limits"), config.limits));
  }
  RUSTYNET_RETURN_IF_ERROR(read_limit(reader, "stats_interval_seconds", config.stats_interval_seconds));
  if (const nlohmann::json* metrics = reader.optional_value("metrics"); metrics != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(config.metrics_listen, read_metrics(*metrics, reader.child_path("metrics")));
  }
  auto level = reader.optional_string("log_level");
  if (!level.has_value()) {
    return base::unexpected(describe(level.error()));
  }
  if (*level) {
    const auto parsed_level = base::parse_log_level(**level);
    if (!parsed_level) {
      return base::unexpected(std::string(R"($.log_level: must be "debug", "info", "warn" or "error")"));
    }
    config.log_level = *parsed_level;
  }
  auto policy_file = reader.optional_string("crypto_policy_file");
  if (!policy_file.has_value()) {
    return base::unexpected(describe(policy_file.error()));
  }
  if (*policy_file) {
    if (policy_file->value().empty()) {
      return base::unexpected(std::string("$.crypto_policy_file: must not be empty"));
    }
    config.crypto_policy_file = **policy_file;
  }
  if (auto done = reader.finish(); !done.has_value()) {
    return base::unexpected(describe(done.error()));
  }
  return config;
}

}  // namespace rustynet::relay
