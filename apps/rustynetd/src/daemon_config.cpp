// SPDX-License-Identifier: Apache-2.0
// Strict parsing of the daemon config (unknown fields and unknown versions are errors).
#include "daemon_config.hpp"

#include "rustynet/backend_api/node_id.hpp"
#include "rustynet/backend_api/socket_endpoint.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/base/strict_json.hpp"
#include "rustynet/control/https_client.hpp"
#include "rustynet/crypto/ed25519.hpp"

namespace rustynet::apps::daemon {
namespace {

using base::JsonError;
using base::JsonObjectReader;

base::Unexpected<JsonError> json_fail(std::string path, std::string message) {
  return base::unexpected(JsonError{std::move(path), std::move(message)});
}

base::Result<std::int64_t, JsonError> int_in_range(JsonObjectReader& reader, std::string_view key,
                                                   std::int64_t fallback, std::int64_t low, std::int64_t high) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto value, reader.optional_int(key));
  const std::int64_t out = value.value_or(fallback);
  if (out < low || out > high) {
    return json_fail(reader.child_path(key), "must be " + std::to_string(low) + ".." + std::to_string(high));
  }
  return out;
}

base::Result<std::string, JsonError> absolute_path(JsonObjectReader& reader, std::string_view key) {
  // Not RUSTYNET_ASSIGN_OR_RETURN: GCC 12 at -O2 reports a false maybe-uninitialized on the string
  // moved out of the Result.
  auto value = reader.required_string(key);
  if (!value.has_value()) {
    return base::unexpected(std::move(value).error());
  }
  if (!value->starts_with('/')) {
    return json_fail(reader.child_path(key), "must be an absolute path");
  }
  return std::move(value).value();
}

base::Result<std::optional<std::string>, JsonError> optional_absolute_path(JsonObjectReader& reader,
                                                                           std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(auto value, reader.optional_string(key));
  if (value && (value->empty() || value->front() != '/')) {
    return json_fail(reader.child_path(key), "must be an absolute path");
  }
  return value;
}

base::Result<std::vector<std::string>, JsonError> string_array(JsonObjectReader& reader, std::string_view key,
                                                               std::size_t max_items) {
  std::vector<std::string> out;
  const nlohmann::json* value = reader.optional_value(key);
  if (value == nullptr) {
    return out;
  }
  const std::string path = reader.child_path(key);
  if (!value->is_array()) {
    return json_fail(path, "must be an array of strings");
  }
  if (value->size() > max_items) {
    return json_fail(path, "at most " + std::to_string(max_items) + " entries");
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    const auto& item = (*value)[i];
    if (!item.is_string()) {
      return json_fail(path + "[" + std::to_string(i) + "]", "must be a string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

bool valid_interface_name(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") {
    return false;
  }
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

base::Result<KeyCustodyConfig, JsonError> parse_key_custody(const nlohmann::json& value, std::string path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, JsonObjectReader::create(value, std::move(path)));
  KeyCustodyConfig out;
  RUSTYNET_ASSIGN_OR_RETURN(out.key_dir, absolute_path(reader, "key_dir"));
  RUSTYNET_ASSIGN_OR_RETURN(out.operator_secret_file, optional_absolute_path(reader, "operator_secret_file"));
  RUSTYNET_ASSIGN_OR_RETURN(out.operator_secret_credential, reader.optional_string("operator_secret_credential"));
  if (out.operator_secret_file && out.operator_secret_credential) {
    return json_fail(reader.path(), "at most one of operator_secret_file and operator_secret_credential");
  }
  if (out.operator_secret_credential &&
      (out.operator_secret_credential->empty() || out.operator_secret_credential->find('/') != std::string::npos)) {
    return json_fail(reader.child_path("operator_secret_credential"), "must be a credential name");
  }
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return out;
}

base::Result<ControlConfig, JsonError> parse_control(const nlohmann::json& value, std::string path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, JsonObjectReader::create(value, std::move(path)));
  ControlConfig out;
  RUSTYNET_ASSIGN_OR_RETURN(std::string url, reader.required_string("url"));
  constexpr std::string_view kScheme = "https://";
  std::string_view address = url;
  if (address.substr(0, kScheme.size()) == kScheme) {
    address.remove_prefix(kScheme.size());
  }
  auto host_port = control::parse_host_port(address);
  if (!host_port.has_value()) {
    return json_fail(reader.child_path("url"), host_port.error().message);
  }
  out.host = host_port->first;
  out.port = host_port->second;
  RUSTYNET_ASSIGN_OR_RETURN(auto pin, reader.optional_string("pin_sha256"));
  RUSTYNET_ASSIGN_OR_RETURN(auto ca, optional_absolute_path(reader, "ca_file"));
  if (pin.has_value() == ca.has_value()) {
    return json_fail(reader.path(), "exactly one of pin_sha256 and ca_file is required");
  }
  if (pin) {
    if (pin->size() != 64 || pin->find_first_not_of("0123456789abcdef") != std::string::npos) {
      return json_fail(reader.child_path("pin_sha256"),
                       "must be 64 lowercase hex digits (SHA-256 of the DER certificate)");
    }
    out.pin_sha256 = *pin;
  } else {
    out.ca_file = *ca;
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto server_name, reader.optional_string("server_name"));
  out.server_name = server_name.value_or(out.host);
  RUSTYNET_ASSIGN_OR_RETURN(auto audience, reader.optional_string("audience"));
  if (audience) {
    if (audience->empty() || audience->size() > 128) {
      return json_fail(reader.child_path("audience"), "must be 1..128 characters");
    }
    out.audience = *audience;
  }
  RUSTYNET_ASSIGN_OR_RETURN(out.signing_public_keys, string_array(reader, "signing_public_keys", 64));
  for (std::size_t i = 0; i < out.signing_public_keys.size(); ++i) {
    if (!crypto::Ed25519PublicKey::from_base64(out.signing_public_keys[i]).has_value()) {
      return json_fail(reader.child_path("signing_public_keys") + "[" + std::to_string(i) + "]",
                       "not a base64 Ed25519 public key");
    }
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto poll, int_in_range(reader, "long_poll_seconds", 25, 1, 55));
  out.long_poll_seconds = static_cast<std::uint32_t>(poll);
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return out;
}

base::Result<BackendConfig, JsonError> parse_backend(const nlohmann::json& value, std::string path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, JsonObjectReader::create(value, std::move(path)));
  BackendConfig out;
  RUSTYNET_ASSIGN_OR_RETURN(const std::string kind, reader.required_string("kind"));
  if (kind == "wireguard") {
    out.kind = BackendKind::kWireGuard;
  } else if (kind == "memory") {
    out.kind = BackendKind::kMemory;
  } else {
    return json_fail(reader.child_path("kind"), R"(must be "wireguard" or "memory")");
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto driver, reader.optional_string("driver"));
  const std::string driver_text = driver.value_or("auto");
  if (driver_text == "auto") {
    out.driver = DriverChoice::kAuto;
  } else if (driver_text == "userspace") {
    out.driver = DriverChoice::kUserspace;
  } else if (driver_text == "kernel") {
    out.driver = DriverChoice::kKernel;
  } else {
    return json_fail(reader.child_path("driver"), R"(must be "auto", "userspace" or "kernel")");
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto binary, optional_absolute_path(reader, "userspace_binary"));
  if (binary) {
    out.userspace_binary = *binary;
  }
  RUSTYNET_ASSIGN_OR_RETURN(out.network_namespace, optional_absolute_path(reader, "network_namespace"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return out;
}

base::Result<LocalApiConfig, JsonError> parse_local_api(const nlohmann::json& value, std::string path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, JsonObjectReader::create(value, std::move(path)));
  LocalApiConfig out;
  RUSTYNET_ASSIGN_OR_RETURN(const auto socket, optional_absolute_path(reader, "socket"));
  if (socket) {
    if (socket->size() >= 108) {  // sockaddr_un.sun_path
      return json_fail(reader.child_path("socket"), "path too long for a Unix socket");
    }
    out.socket_path = *socket;
  }
  RUSTYNET_ASSIGN_OR_RETURN(out.group, reader.optional_string("group"));
  RUSTYNET_ASSIGN_OR_RETURN(out.admin_group, reader.optional_string("admin_group"));
  for (const auto* group : {&out.group, &out.admin_group}) {
    if (*group && (*group)->empty()) {
      return json_fail(reader.path(), "group names must not be empty");
    }
  }
  // The ranges are validate_limits' (LocalApiServer::start checks them again).
  const LocalApiLimits defaults;
  const auto cap = static_cast<std::int64_t>(kMaxLocalApiConnections);
  const auto size_field = [&](std::string_view key, std::size_t fallback) {
    return int_in_range(reader, key, static_cast<std::int64_t>(fallback), 1, cap);
  };
  RUSTYNET_ASSIGN_OR_RETURN(const auto max_read, size_field("max_read_connections", defaults.max_read_connections));
  RUSTYNET_ASSIGN_OR_RETURN(const auto per_uid,
                            size_field("max_connections_per_uid", defaults.max_connections_per_uid));
  RUSTYNET_ASSIGN_OR_RETURN(const auto max_admin, size_field("max_admin_connections", defaults.max_admin_connections));
  RUSTYNET_ASSIGN_OR_RETURN(const auto queue, size_field("read_queue_depth", defaults.read_queue_depth));
  RUSTYNET_ASSIGN_OR_RETURN(const auto deadline,
                            int_in_range(reader, "request_deadline_ms", defaults.request_deadline.count(),
                                         kMinLocalApiDeadline.count(), kMaxLocalApiDeadline.count()));
  if (per_uid > max_read) {
    return json_fail(reader.child_path("max_connections_per_uid"), "must not exceed max_read_connections");
  }
  out.limits.max_read_connections = static_cast<std::size_t>(max_read);
  out.limits.max_connections_per_uid = static_cast<std::size_t>(per_uid);
  out.limits.max_admin_connections = static_cast<std::size_t>(max_admin);
  out.limits.read_queue_depth = static_cast<std::size_t>(queue);
  out.limits.request_deadline = std::chrono::milliseconds(deadline);
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return out;
}

base::Result<base::LoopbackEndpoint, JsonError> parse_metrics(const nlohmann::json& value, std::string path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, JsonObjectReader::create(value, std::move(path)));
  RUSTYNET_ASSIGN_OR_RETURN(const std::string listen, reader.required_string("listen"));
  auto endpoint = base::parse_loopback_endpoint(listen);
  if (!endpoint.has_value()) {
    return json_fail(reader.child_path("listen"), endpoint.error().message);
  }
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return *endpoint;
}

base::Result<base::LogLevel, JsonError> parse_level(JsonObjectReader& reader) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto text, reader.optional_string("log_level"));
  if (!text) {
    return base::LogLevel::kInfo;
  }
  const auto level = base::parse_log_level(*text);
  if (!level) {
    return json_fail(reader.child_path("log_level"), R"(must be "debug", "info", "warn" or "error")");
  }
  return *level;
}

base::Result<DaemonConfig, JsonError> parse_document(std::string_view text) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto json, base::parse_strict_json(text, {kMaxConfigBytes, 16}));
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, JsonObjectReader::create(json, "$"));
  RUSTYNET_RETURN_IF_ERROR(base::require_version(reader, kDaemonConfigVersion));
  DaemonConfig out;
  RUSTYNET_ASSIGN_OR_RETURN(out.node_id, reader.required_string("node_id"));
  const auto node_id = backend_api::NodeId::parse(out.node_id);
  if (!node_id.has_value() || node_id->value() != out.node_id) {
    return json_fail("$.node_id", "must be a canonical node id (lower-case [a-z0-9][a-z0-9_-]*, at most 63)");
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto interface, reader.optional_string("interface"));
  if (interface) {
    out.interface_name = *interface;
  }
  if (!valid_interface_name(out.interface_name)) {
    return json_fail("$.interface", "must be 1..15 characters of [A-Za-z0-9_.-]");
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto port, int_in_range(reader, "listen_port", 51820, 1, 65535));
  out.listen_port = static_cast<std::uint16_t>(port);
  RUSTYNET_ASSIGN_OR_RETURN(const auto mtu, int_in_range(reader, "mtu", 1420, 1280, 65535));
  out.mtu = static_cast<std::uint32_t>(mtu);
  RUSTYNET_ASSIGN_OR_RETURN(const auto* custody, reader.required_value("key_custody"));
  RUSTYNET_ASSIGN_OR_RETURN(out.key_custody, parse_key_custody(*custody, "$.key_custody"));
  RUSTYNET_ASSIGN_OR_RETURN(out.trust_state_path, absolute_path(reader, "trust_state"));
  RUSTYNET_ASSIGN_OR_RETURN(const auto last_state, optional_absolute_path(reader, "last_state"));
  out.last_state_path = last_state.value_or(out.trust_state_path + ".last");
  RUSTYNET_ASSIGN_OR_RETURN(const auto* control, reader.required_value("control"));
  RUSTYNET_ASSIGN_OR_RETURN(out.control, parse_control(*control, "$.control"));
  RUSTYNET_ASSIGN_OR_RETURN(const auto* backend, reader.required_value("backend"));
  RUSTYNET_ASSIGN_OR_RETURN(out.backend, parse_backend(*backend, "$.backend"));
  if (const auto* local_api = reader.optional_value("local_api"); local_api != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(out.local_api, parse_local_api(*local_api, "$.local_api"));
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto endpoints, string_array(reader, "advertised_endpoints", kMaxAdvertisedEndpoints));
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    auto endpoint = backend_api::SocketEndpoint::parse(endpoints[i]);
    if (!endpoint.has_value()) {
      return json_fail("$.advertised_endpoints[" + std::to_string(i) + "]", "must be ADDR:PORT ([v6]:PORT)");
    }
    out.advertised_endpoints.push_back(endpoint->to_string());
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto keepalive, int_in_range(reader, "persistent_keepalive_seconds", 25, 1, 3600));
  out.persistent_keepalive_seconds = static_cast<std::uint16_t>(keepalive);
  RUSTYNET_ASSIGN_OR_RETURN(out.crypto_policy_file, optional_absolute_path(reader, "crypto_policy_file"));
  if (const auto* metrics = reader.optional_value("metrics"); metrics != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(out.metrics_listen, parse_metrics(*metrics, "$.metrics"));
  }
  RUSTYNET_ASSIGN_OR_RETURN(out.log_level, parse_level(reader));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return out;
}

}  // namespace

DaemonResult<DaemonConfig> parse_daemon_config(std::string_view text) {
  auto parsed = parse_document(text);
  if (!parsed.has_value()) {
    return daemon_fail(DaemonErrorKind::kConfig, parsed.error().describe());
  }
  return std::move(parsed).value();
}

DaemonResult<DaemonConfig> load_daemon_config(const std::string& path) {
  auto text = base::read_file_bounded(path, kMaxConfigBytes);
  if (!text.has_value()) {
    return daemon_fail(DaemonErrorKind::kConfig, text.error().describe());
  }
  auto parsed = parse_daemon_config(*text);
  if (!parsed.has_value()) {
    return daemon_fail(DaemonErrorKind::kConfig, path + ": " + parsed.error().message);
  }
  return parsed;
}

std::optional<std::string> reload_blocker(const DaemonConfig& current, const DaemonConfig& next) {
  if (current.node_id != next.node_id) {
    return "node_id";
  }
  if (current.interface_name != next.interface_name || current.listen_port != next.listen_port ||
      current.mtu != next.mtu) {
    return "interface/listen_port/mtu";
  }
  if (current.key_custody.key_dir != next.key_custody.key_dir ||
      current.key_custody.operator_secret_file != next.key_custody.operator_secret_file ||
      current.key_custody.operator_secret_credential != next.key_custody.operator_secret_credential) {
    return "key_custody";
  }
  if (current.trust_state_path != next.trust_state_path || current.last_state_path != next.last_state_path) {
    return "trust_state/last_state";
  }
  const auto& a = current.control;
  const auto& b = next.control;
  if (a.host != b.host || a.port != b.port || a.pin_sha256 != b.pin_sha256 || a.ca_file != b.ca_file ||
      a.server_name != b.server_name || a.audience != b.audience) {
    return "control";
  }
  const auto& x = current.backend;
  const auto& y = next.backend;
  if (x.kind != y.kind || x.driver != y.driver || x.userspace_binary != y.userspace_binary ||
      x.network_namespace != y.network_namespace) {
    return "backend";
  }
  if (current.local_api.socket_path != next.local_api.socket_path || current.local_api.group != next.local_api.group ||
      current.local_api.admin_group != next.local_api.admin_group ||
      current.local_api.limits != next.local_api.limits) {
    return "local_api";
  }
  const auto listen_text = [](const std::optional<base::LoopbackEndpoint>& endpoint) {
    return endpoint ? endpoint->to_string() : std::string();
  };
  if (listen_text(current.metrics_listen) != listen_text(next.metrics_listen)) {
    return "metrics";
  }
  return std::nullopt;
}

}  // namespace rustynet::apps::daemon
