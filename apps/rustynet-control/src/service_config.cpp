// SPDX-License-Identifier: Apache-2.0
// Strict parsing of the rustynet-control configuration file.
#include "service_config.hpp"

#include <set>

#include "rustynet/base/file_io.hpp"
#include "rustynet/base/strict_json.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::apps::control_server {
namespace {

ConfigError syntax(const base::JsonError& error) { return ConfigError{error.describe(), ConfigErrorKind::kSyntax}; }
ConfigError invalid(std::string message) { return ConfigError{std::move(message), ConfigErrorKind::kInvalidValue}; }

// An optional integer field within [min, max] (inclusive); absent keeps `fallback`.
base::Result<std::int64_t, ConfigError> bounded_int(base::JsonObjectReader& reader, std::string_view key,
                                                    std::int64_t min, std::int64_t max, std::int64_t fallback) {
  auto value = reader.optional_int(key);
  if (!value.has_value()) {
    return base::unexpected(syntax(value.error()));
  }
  if (!value->has_value()) {
    return fallback;
  }
  if (**value < min || **value > max) {
    return base::unexpected(
        invalid(reader.child_path(key) + ": must be " + std::to_string(min) + ".." + std::to_string(max)));
  }
  return **value;
}

base::Result<base::JsonObjectReader, ConfigError> child_object(base::JsonObjectReader& parent, std::string_view key) {
  auto value = parent.required_value(key);
  if (!value.has_value()) {
    return base::unexpected(syntax(value.error()));
  }
  auto reader = base::JsonObjectReader::create(**value, parent.child_path(key));
  if (!reader.has_value()) {
    return base::unexpected(syntax(reader.error()));
  }
  return std::move(reader).value();
}

base::Result<std::string, ConfigError> non_empty_string(base::JsonObjectReader& reader, std::string_view key) {
  auto value = reader.required_string(key);
  if (!value.has_value()) {
    return base::unexpected(syntax(value.error()));
  }
  if (value->empty()) {
    return base::unexpected(invalid(reader.child_path(key) + ": must be non-empty"));
  }
  return std::move(value).value();
}

base::Status<ConfigError> finish(const base::JsonObjectReader& reader) {
  if (auto done = reader.finish(); !done.has_value()) {
    return base::unexpected(syntax(done.error()));
  }
  return {};
}

base::Status<ConfigError> parse_listen(base::JsonObjectReader& root, ServiceConfig& config) {
  RUSTYNET_ASSIGN_OR_RETURN(auto listen, child_object(root, "listen"));
  RUSTYNET_ASSIGN_OR_RETURN(config.listen_address, non_empty_string(listen, "address"));
  auto port = listen.required_int("port");
  if (!port.has_value()) {
    return base::unexpected(syntax(port.error()));
  }
  if (*port < 1 || *port > 65535) {
    return base::unexpected(invalid(listen.child_path("port") + ": must be 1..65535"));
  }
  config.port = static_cast<std::uint16_t>(*port);
  return finish(listen);
}

base::Status<ConfigError> parse_tls(base::JsonObjectReader& root, ServiceConfig& config) {
  RUSTYNET_ASSIGN_OR_RETURN(auto tls, child_object(root, "tls"));
  for (const char* key : {"min_version", "max_version"}) {
    auto text = tls.required_string(key);
    if (!text.has_value()) {
      return base::unexpected(syntax(text.error()));
    }
    auto version = control::parse_tls_version(*text);
    if (!version.has_value()) {
      return base::unexpected(invalid(tls.child_path(key) + ": " + version.error().message));
    }
    (std::string_view(key) == "min_version" ? config.tls_policy.min_version : config.tls_policy.max_version) = *version;
  }
  if (auto valid = control::validate(config.tls_policy); !valid.has_value()) {
    return base::unexpected(invalid(tls.path() + ": " + valid.error().message));
  }
  RUSTYNET_ASSIGN_OR_RETURN(config.certificate_file, non_empty_string(tls, "certificate_file"));
  RUSTYNET_ASSIGN_OR_RETURN(config.private_key_file, non_empty_string(tls, "private_key_file"));
  return finish(tls);
}

base::Status<ConfigError> parse_custody(base::JsonObjectReader& root, ServiceConfig& config) {
  RUSTYNET_ASSIGN_OR_RETURN(auto custody, child_object(root, "custody"));
  RUSTYNET_ASSIGN_OR_RETURN(config.key_directory, non_empty_string(custody, "key_directory"));
  auto secret_file = custody.optional_string("operator_secret_file");
  auto credential = custody.optional_string("operator_secret_credential");
  if (!secret_file.has_value()) {
    return base::unexpected(syntax(secret_file.error()));
  }
  if (!credential.has_value()) {
    return base::unexpected(syntax(credential.error()));
  }
  if (secret_file->has_value() && (*secret_file)->empty()) {
    return base::unexpected(invalid(custody.child_path("operator_secret_file") + ": must be non-empty"));
  }
  config.operator_secret_file = *secret_file;
  if (credential->has_value()) {
    if ((*credential)->empty() || (*credential).value().find('/') != std::string::npos) {
      return base::unexpected(
          invalid(custody.child_path("operator_secret_credential") + ": must be a credential name"));
    }
    config.operator_secret_credential = **credential;
  }
  return finish(custody);
}

base::Status<ConfigError> parse_admin_keys(base::JsonObjectReader& root, ServiceConfig& config) {
  auto keys_value = root.required_value("admin_public_keys");
  if (!keys_value.has_value()) {
    return base::unexpected(syntax(keys_value.error()));
  }
  const std::string keys_path = root.child_path("admin_public_keys");
  if (!(*keys_value)->is_array() || (*keys_value)->empty() || (*keys_value)->size() > 64) {
    return base::unexpected(invalid(keys_path + ": must be an array of 1..64 base64 Ed25519 keys"));
  }
  for (std::size_t i = 0; i < (*keys_value)->size(); ++i) {
    const auto& item = (**keys_value)[i];
    auto parsed = item.is_string()
                      ? crypto::Ed25519PublicKey::from_base64(item.get<std::string>())
                      : base::Result<crypto::Ed25519PublicKey, crypto::CryptoError>(base::unexpected(
                            crypto::CryptoError{crypto::CryptoErrorKind::kInvalidEncoding, "not a string"}));
    if (!parsed.has_value()) {
      return base::unexpected(invalid(keys_path + "[" + std::to_string(i) + "]: invalid Ed25519 public key"));
    }
    config.admin_keys.push_back(*parsed);
  }
  return {};
}

base::Result<RelaySite, ConfigError> parse_relay_site(const nlohmann::json& value, const std::string& path) {
  auto reader_or = base::JsonObjectReader::create(value, path);
  if (!reader_or.has_value()) {
    return base::unexpected(syntax(reader_or.error()));
  }
  base::JsonObjectReader& reader = *reader_or;
  RelaySite site;
  RUSTYNET_ASSIGN_OR_RETURN(site.relay_id, non_empty_string(reader, "relay_id"));
  RUSTYNET_ASSIGN_OR_RETURN(const std::string address, non_empty_string(reader, "address"));
  const nlohmann::json* nodes = reader.optional_value("nodes");
  const nlohmann::json* candidates = reader.optional_value("candidate_nodes");
  RUSTYNET_RETURN_IF_ERROR(finish(reader));
  if (!policy::is_valid_identifier(site.relay_id)) {
    return base::unexpected(
        invalid(reader.child_path("relay_id") + ": must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"));
  }
  auto parsed = policy::SocketAddress::parse(address);
  if (!parsed.has_value()) {
    return base::unexpected(invalid(reader.child_path("address") + ": " + parsed.error()));
  }
  site.address = *parsed;
  const auto node_list = [&](const nlohmann::json* list, std::string_view key,
                             std::vector<std::string>& out) -> base::Status<ConfigError> {
    if (list == nullptr) {
      return {};
    }
    const std::string list_path = reader.child_path(key);
    if (!list->is_array() || list->empty() || list->size() > kMaxNodesPerRelaySite) {
      return base::unexpected(invalid(list_path + ": must be a non-empty array of node ids"));
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto& item = (*list)[i];
      const std::string item_path = list_path + "[" + std::to_string(i) + "]";
      if (!item.is_string() || !policy::is_valid_identifier(item.get_ref<const std::string&>()) ||
          item.get_ref<const std::string&>().size() > crypto::kMaxRelayNodeIdLength) {
        return base::unexpected(invalid(item_path + ": must be a node id of 1-64 characters of [A-Za-z0-9._-]"));
      }
      out.push_back(item.get<std::string>());
    }
    return {};
  };
  if (nodes == nullptr && candidates == nullptr) {
    return base::unexpected(invalid(path + ": needs \"nodes\" (always relayed) or \"candidate_nodes\" (relayed when "
                                           "direct fails), or both"));
  }
  RUSTYNET_RETURN_IF_ERROR(node_list(nodes, "nodes", site.nodes));
  RUSTYNET_RETURN_IF_ERROR(node_list(candidates, "candidate_nodes", site.candidate_nodes));
  return site;
}

// "relays" (optional): relay ids unique, every node in at most one list of one relay.
base::Status<ConfigError> parse_relays(base::JsonObjectReader& root, ServiceConfig& config) {
  const nlohmann::json* value = root.optional_value("relays");
  if (value == nullptr) {
    return {};
  }
  const std::string path = root.child_path("relays");
  if (!value->is_array() || value->size() > kMaxRelaySites) {
    return base::unexpected(
        invalid(path + ": must be an array of at most " + std::to_string(kMaxRelaySites) + " relays"));
  }
  std::set<std::string, std::less<>> relay_ids;
  std::set<std::string, std::less<>> nodes;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const std::string site_path = path + "[" + std::to_string(i) + "]";
    RUSTYNET_ASSIGN_OR_RETURN(auto site, parse_relay_site((*value)[i], site_path));
    if (!relay_ids.insert(site.relay_id).second) {
      return base::unexpected(invalid(site_path + ".relay_id: duplicate relay id"));
    }
    for (const auto& [key, list] : {std::pair<const char*, const std::vector<std::string>*>{"nodes", &site.nodes},
                                    {"candidate_nodes", &site.candidate_nodes}}) {
      for (std::size_t n = 0; n < list->size(); ++n) {
        if (!nodes.insert((*list)[n]).second) {
          return base::unexpected(
              invalid(site_path + "." + key + "[" + std::to_string(n) + "]: node is already listed for a relay"));
        }
      }
    }
    config.relays.push_back(std::move(site));
  }
  return {};
}

base::Status<ConfigError> parse_observability(base::JsonObjectReader& root, ServiceConfig& config) {
  if (root.optional_value("metrics") != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(auto metrics, child_object(root, "metrics"));
    RUSTYNET_ASSIGN_OR_RETURN(const auto listen, non_empty_string(metrics, "listen"));
    auto endpoint = base::parse_loopback_endpoint(listen);
    if (!endpoint.has_value()) {
      return base::unexpected(invalid(metrics.child_path("listen") + ": " + endpoint.error().message));
    }
    config.metrics_listen = *endpoint;
    RUSTYNET_RETURN_IF_ERROR(finish(metrics));
  }
  auto level = root.optional_string("log_level");
  if (!level.has_value()) {
    return base::unexpected(syntax(level.error()));
  }
  if (*level) {
    const auto parsed = base::parse_log_level(**level);
    if (!parsed) {
      return base::unexpected(
          invalid(root.child_path("log_level") + R"(: must be "debug", "info", "warn" or "error")"));
    }
    config.log_level = *parsed;
  }
  return {};
}

base::Status<ConfigError> parse_bucket(base::JsonObjectReader& parent, std::string_view key,
                                       control::RateLimitConfig& bucket) {
  const nlohmann::json* value = parent.optional_value(key);
  if (value == nullptr) {
    return {};
  }
  auto reader_or = base::JsonObjectReader::create(*value, parent.child_path(key));
  if (!reader_or.has_value()) {
    return base::unexpected(syntax(reader_or.error()));
  }
  base::JsonObjectReader& reader = *reader_or;
  RUSTYNET_ASSIGN_OR_RETURN(const auto burst, bounded_int(reader, "burst", 1, 100'000, bucket.burst));
  RUSTYNET_ASSIGN_OR_RETURN(const auto tokens, bounded_int(reader, "refill_tokens", 1, 100'000, bucket.refill_tokens));
  RUSTYNET_ASSIGN_OR_RETURN(const auto period,
                            bounded_int(reader, "refill_period_seconds", 1, 86'400, bucket.refill_period.count()));
  RUSTYNET_RETURN_IF_ERROR(finish(reader));
  bucket.burst = static_cast<std::uint32_t>(burst);
  bucket.refill_tokens = static_cast<std::uint32_t>(tokens);
  bucket.refill_period = std::chrono::seconds(period);
  return {};
}

base::Status<ConfigError> parse_lockout(base::JsonObjectReader& parent, control::LockoutConfig& lockout) {
  const nlohmann::json* value = parent.optional_value("lockout");
  if (value == nullptr) {
    return {};
  }
  auto reader_or = base::JsonObjectReader::create(*value, parent.child_path("lockout"));
  if (!reader_or.has_value()) {
    return base::unexpected(syntax(reader_or.error()));
  }
  base::JsonObjectReader& reader = *reader_or;
  RUSTYNET_ASSIGN_OR_RETURN(const auto initial,
                            bounded_int(reader, "initial_seconds", 1, 86'400, lockout.initial_backoff.count()));
  RUSTYNET_ASSIGN_OR_RETURN(const auto cap, bounded_int(reader, "max_seconds", 1, 86'400, lockout.max_backoff.count()));
  RUSTYNET_ASSIGN_OR_RETURN(const auto cooldown,
                            bounded_int(reader, "reset_cooldown_seconds", 1, 604'800, lockout.reset_cooldown.count()));
  RUSTYNET_RETURN_IF_ERROR(finish(reader));
  if (initial > cap) {
    return base::unexpected(invalid(reader.child_path("initial_seconds") + ": must not exceed max_seconds"));
  }
  lockout.initial_backoff = std::chrono::seconds(initial);
  lockout.max_backoff = std::chrono::seconds(cap);
  lockout.reset_cooldown = std::chrono::seconds(cooldown);
  return {};
}

// "abuse_control" (optional): absent members keep the defaults of AbuseControlConfig.
base::Status<ConfigError> parse_abuse_control(base::JsonObjectReader& root, ServiceConfig& config) {
  const nlohmann::json* value = root.optional_value("abuse_control");
  if (value == nullptr) {
    return {};
  }
  auto reader_or = base::JsonObjectReader::create(*value, root.child_path("abuse_control"));
  if (!reader_or.has_value()) {
    return base::unexpected(syntax(reader_or.error()));
  }
  base::JsonObjectReader& reader = *reader_or;
  AbuseControlConfig& abuse = config.abuse;
  RUSTYNET_RETURN_IF_ERROR(parse_bucket(reader, "unproven_per_source", abuse.unproven_per_source));
  RUSTYNET_RETURN_IF_ERROR(parse_bucket(reader, "failing_identity", abuse.failing_identity));
  RUSTYNET_RETURN_IF_ERROR(parse_bucket(reader, "node", abuse.node));
  RUSTYNET_RETURN_IF_ERROR(parse_bucket(reader, "admin", abuse.admin));
  RUSTYNET_RETURN_IF_ERROR(parse_bucket(reader, "admin_write", abuse.admin_write));
  RUSTYNET_RETURN_IF_ERROR(parse_lockout(reader, abuse.lockout));
  // Spec 5.3: +/- 90 s. Wider tolerates worse clocks and widens the replay window by as much.
  RUSTYNET_ASSIGN_OR_RETURN(const auto skew,
                            bounded_int(reader, "clock_skew_seconds", 0, 600, abuse.clock_skew.count()));
  abuse.clock_skew = std::chrono::seconds(skew);
  RUSTYNET_ASSIGN_OR_RETURN(const auto keys, bounded_int(reader, "max_tracked_keys", 1'024, 10'000'000,
                                                         static_cast<std::int64_t>(abuse.max_tracked_keys)));
  abuse.max_tracked_keys = static_cast<std::size_t>(keys);
  for (auto* bucket :
       {&abuse.unproven_per_source, &abuse.failing_identity, &abuse.node, &abuse.admin, &abuse.admin_write}) {
    bucket->max_tracked_keys = abuse.max_tracked_keys;
  }
  abuse.lockout.max_tracked_keys = abuse.max_tracked_keys;
  return finish(reader);
}

}  // namespace

base::Result<ServiceConfig, ConfigError> parse_service_config(std::string_view json_text) {
  auto json = base::parse_strict_json(json_text);
  if (!json.has_value()) {
    return base::unexpected(syntax(json.error()));
  }
  auto root_or = base::JsonObjectReader::create(*json, "$");
  if (!root_or.has_value()) {
    return base::unexpected(syntax(root_or.error()));
  }
  base::JsonObjectReader& root = *root_or;
  if (auto version = base::require_version(root, kConfigVersion); !version.has_value()) {
    return base::unexpected(syntax(version.error()));
  }
  ServiceConfig config;
  RUSTYNET_RETURN_IF_ERROR(parse_listen(root, config));
  RUSTYNET_RETURN_IF_ERROR(parse_tls(root, config));
  RUSTYNET_ASSIGN_OR_RETURN(config.state_dir, non_empty_string(root, "state_dir"));
  RUSTYNET_ASSIGN_OR_RETURN(config.security_event_log, non_empty_string(root, "security_event_log"));
  if (root.optional_value("crypto_policy_file") != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(config.crypto_policy_file, non_empty_string(root, "crypto_policy_file"));
  }
  RUSTYNET_ASSIGN_OR_RETURN(config.audience, non_empty_string(root, "audience"));
  RUSTYNET_RETURN_IF_ERROR(parse_custody(root, config));
  RUSTYNET_RETURN_IF_ERROR(parse_admin_keys(root, config));
  RUSTYNET_ASSIGN_OR_RETURN(const auto lifetime,
                            bounded_int(root, "node_state_lifetime_seconds", 600, 2'592'000, 86'400));
  config.node_state_lifetime = std::chrono::seconds(lifetime);
  RUSTYNET_ASSIGN_OR_RETURN(const auto wait, bounded_int(root, "long_poll_max_wait_seconds", 1, 55, 55));
  config.long_poll_max_wait = std::chrono::seconds(wait);
  RUSTYNET_ASSIGN_OR_RETURN(const auto connections, bounded_int(root, "max_connections", 1, 1'000'000, 4096));
  config.max_connections = static_cast<std::size_t>(connections);
  RUSTYNET_ASSIGN_OR_RETURN(const auto capacity, bounded_int(root, "nonce_capacity", 1, 100'000'000, 1'000'000));
  config.nonce_capacity = static_cast<std::size_t>(capacity);
  RUSTYNET_RETURN_IF_ERROR(parse_relays(root, config));
  RUSTYNET_RETURN_IF_ERROR(parse_observability(root, config));
  RUSTYNET_RETURN_IF_ERROR(parse_abuse_control(root, config));
  RUSTYNET_RETURN_IF_ERROR(finish(root));
  return config;
}

base::Result<ServiceConfig, ConfigError> load_service_config(const std::string& path) {
  auto text = base::read_file_bounded(path, 1U << 20U);
  if (!text.has_value()) {
    return base::unexpected(ConfigError{text.error().describe(), ConfigErrorKind::kUnreadable});
  }
  return parse_service_config(*text);
}

}  // namespace rustynet::apps::control_server
