// SPDX-License-Identifier: Apache-2.0
// Admin requests to rustynet-control: settings validation, admin key unsealing, HTTP status mapping.
#include "control_client.hpp"

#include "exit_codes.hpp"
#include "rustynet/base/strict_json.hpp"
#include "rustynet/crypto/custody.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr std::int64_t kProtocolVersion = 1;
constexpr std::size_t kMaxResponseBytes = std::size_t{8} << 20U;

ControlCliError usage(std::string message) { return ControlCliError{kExitUsage, std::move(message)}; }
ControlCliError failure(std::string message) { return ControlCliError{kExitFailure, std::move(message)}; }

int exit_code_for(control::HttpsClientErrorKind kind) {
  switch (kind) {
    case control::HttpsClientErrorKind::kResolve:
    case control::HttpsClientErrorKind::kConnect:
    case control::HttpsClientErrorKind::kTimeout:
    case control::HttpsClientErrorKind::kIo:
    case control::HttpsClientErrorKind::kAborted: return kExitUnreachable;
    case control::HttpsClientErrorKind::kInvalidConfig: return kExitUsage;
    case control::HttpsClientErrorKind::kTls:
    case control::HttpsClientErrorKind::kPinMismatch:
    case control::HttpsClientErrorKind::kProtocol:
    case control::HttpsClientErrorKind::kResponseTooLarge:
    case control::HttpsClientErrorKind::kRequestTooLarge: break;
  }
  return kExitFailure;
}

base::Result<crypto::Ed25519SigningKey, ControlCliError> load_admin_key(const ControlSettings& settings,
                                                                        const ControlClientTuning& tuning) {
  if (settings.admin_key_dir.empty()) {
    return base::unexpected(usage("--admin-key-dir (or admin.key_dir in the CLI config) is required"));
  }
  const bool have_fd = settings.secret_fd.has_value();
  const bool have_file = !settings.secret_file.empty();
  if (!have_fd && !have_file) {
    return base::unexpected(
        usage("the admin key's operator secret is required: --secret-fd N or --secret-file PATH "
              "(or admin.secret_file in the CLI config)"));
  }
  // The command line's --secret-fd wins over a secret_file from the config file.
  auto secret = have_fd ? crypto::OperatorSecret::from_fd(*settings.secret_fd)
                        : crypto::OperatorSecret::from_file(settings.secret_file);
  if (!secret.has_value()) {
    return base::unexpected(failure("admin key: " + secret.error().describe()));
  }
  crypto::EncryptedFileCustodyOptions options;
  options.limits = tuning.limits;
  auto custody = crypto::EncryptedFileCustody::open(settings.admin_key_dir, std::move(secret).value(), options);
  if (!custody.has_value()) {
    return base::unexpected(failure("admin key: " + custody.error().describe()));
  }
  auto key = crypto::load_signing_key(**custody, crypto::KeyPurpose::kControlSigning);
  if (!key.has_value()) {
    return base::unexpected(failure("admin key: " + key.error().describe()));
  }
  return std::move(key).value();
}

// {"version":1,"error":"...","message":"..."} -> "error: message"; anything else -> "".
std::string describe_error_body(const std::string& body) {
  auto parsed = base::parse_strict_json(body, base::JsonLimits{.max_bytes = std::size_t{64} << 10U, .max_depth = 4});
  if (!parsed.has_value() || !parsed->is_object()) {
    return "";
  }
  const auto error = parsed->find("error");
  const auto message = parsed->find("message");
  if (error == parsed->end() || !error->is_string()) {
    return "";
  }
  std::string text = terminal_safe(error->get<std::string>());
  if (message != parsed->end() && message->is_string()) {
    text += ": " + terminal_safe(message->get<std::string>());
  }
  return text;
}

}  // namespace

AdminClient::AdminClient(std::unique_ptr<control::HttpsClient> https, control::TokenIssuer issuer, std::string endpoint)
    : https_(std::move(https)), issuer_(std::move(issuer)), endpoint_(std::move(endpoint)) {}

base::Result<std::unique_ptr<AdminClient>, ControlCliError> AdminClient::create(const ControlSettings& settings,
                                                                                const base::Clock& clock,
                                                                                const ControlClientTuning& tuning) {
  if (settings.control.empty()) {
    return base::unexpected(usage("--control HOST:PORT (or control.url in the CLI config) is required"));
  }
  if (settings.pin_sha256.empty() == settings.ca_file.empty()) {
    return base::unexpected(usage("give exactly one of --pin SHA256 or --ca FILE (or in the CLI config)"));
  }
  auto address = control::parse_host_port(settings.control);
  if (!address.has_value()) {
    return base::unexpected(usage("--control: " + address.error().message));
  }
  control::HttpsClientOptions options;
  options.host = address->first;
  options.port = address->second;
  options.server_name = settings.server_name;
  options.pin_sha256 = settings.pin_sha256;
  options.ca_file = settings.ca_file;
  options.connect_timeout = tuning.connect_timeout;
  options.request_timeout = tuning.request_timeout;
  options.max_response_bytes = kMaxResponseBytes;
  auto https = control::HttpsClient::create(std::move(options));
  if (!https.has_value()) {
    return base::unexpected(ControlCliError{exit_code_for(https.error().kind), https.error().describe()});
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto key, load_admin_key(settings, tuning));
  control::TokenIssuer issuer(std::move(key), settings.audience, clock);
  return std::make_unique<AdminClient>(std::move(https).value(), std::move(issuer), settings.control);
}

base::Result<nlohmann::json, ControlCliError> AdminClient::request(std::string_view method, std::string path,
                                                                   const std::optional<nlohmann::json>& body) {
  auto token = issuer_.issue("admin", kAdminTokenLifetime);
  if (!token.has_value()) {
    return base::unexpected(failure("cannot issue an admin token: " + token.error().message));
  }
  control::HttpsRequest http;
  http.method = std::string(method);
  http.path = std::move(path);
  http.bearer_token = std::move(token).value();
  if (body.has_value()) {
    http.body = body->dump();
  }
  auto response = https_->send(http);
  if (!response.has_value()) {
    const int code = exit_code_for(response.error().kind);
    std::string message = "rustynet-control at " + terminal_safe(endpoint_) + ": " + response.error().describe();
    if (response.error().kind == control::HttpsClientErrorKind::kPinMismatch) {
      message += " (the server's certificate is not the pinned one: check --pin, or a man in the middle)";
    }
    return base::unexpected(ControlCliError{code, std::move(message)});
  }
  if (response->status < 200 || response->status > 299) {
    std::string detail = describe_error_body(response->body);
    std::string message = "rustynet-control refused the request (HTTP " + std::to_string(response->status) +
                          (detail.empty() ? ")" : "): " + detail);
    if (response->status == 429 && response->retry_after.has_value()) {
      message += " (retry after " + terminal_safe(*response->retry_after) + " s)";
    }
    const bool denied = response->status == 401 || response->status == 403;
    if (denied) {
      message += " (is this admin key listed in the control's admin_public_keys?)";
    }
    return base::unexpected(ControlCliError{denied ? kExitPermission : kExitFailure, std::move(message)});
  }
  auto parsed =
      base::parse_strict_json(response->body, base::JsonLimits{.max_bytes = kMaxResponseBytes, .max_depth = 64});
  if (!parsed.has_value()) {
    return base::unexpected(failure("malformed response from rustynet-control: " + parsed.error().describe()));
  }
  if (!parsed->is_object() || !parsed->contains("version") || (*parsed)["version"] != kProtocolVersion) {
    return base::unexpected(failure("malformed response from rustynet-control: $.version: must be 1"));
  }
  return std::move(parsed).value();
}

}  // namespace rustynet::apps::cli
