// SPDX-License-Identifier: Apache-2.0
// The HTTPS implementation of ControlLink.
#include "control_link.hpp"

#include <atomic>
#include <charconv>
#include <mutex>

#include <nlohmann/json.hpp>

#include "rustynet/base/strict_json.hpp"
#include "rustynet/control/https_client.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/crypto/encoding.hpp"

namespace rustynet::apps::daemon {
namespace {

constexpr std::chrono::seconds kTokenLifetime{60};
constexpr std::chrono::seconds kLongPollMargin{10};
constexpr std::chrono::seconds kTicketRequestTimeout{10};
constexpr std::size_t kMaxTicketBodyBytes = 4096;
constexpr std::size_t kMaxTicketBytes = 512;  // crypto::kMaxRelayTicketBytes; the relay re-checks

DaemonError ticket_rejected(const std::string& what) {
  return DaemonError{DaemonErrorKind::kRejected, "relay-ticket response: " + what};
}

DaemonError http_failure(const control::HttpsResponse& response) {
  std::string message = "control answered HTTP " + std::to_string(response.status);
  if (response.body.size() <= 512) {
    message += ": " + response.body;  // the protocol's error object; never secrets
  }
  return DaemonError{DaemonErrorKind::kControl, std::move(message)};
}

// The "error" member of a refusal's body (docs/control-protocol.md error object); bounded, and
// anything unparsable is simply no class.
ControlRefusal refusal_of(const control::HttpsResponse& response) {
  ControlRefusal refusal{response.status, {}};
  if (response.body.size() <= 4096) {
    const auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string() &&
        body["error"].get_ref<const std::string&>().size() <= 64) {
      refusal.error_class = body["error"].get<std::string>();
    }
  }
  return refusal;
}

std::optional<std::chrono::seconds> parse_retry_after(const std::optional<std::string>& header) {
  if (!header) {
    return std::nullopt;
  }
  unsigned seconds = 0;
  const auto* end = header->data() + header->size();
  const auto [ptr, ec] = std::from_chars(header->data(), end, seconds);
  if (ec != std::errc() || ptr != end || seconds > 3600) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

class HttpsControlLink final : public ControlLink {
 public:
  HttpsControlLink(std::unique_ptr<control::HttpsClient> client, std::unique_ptr<control::HttpsClient> ticket_client,
                   control::TokenIssuer issuer, std::string node_id)
      : client_(std::move(client)),
        ticket_client_(std::move(ticket_client)),
        issuer_(std::move(issuer)),
        node_id_(std::move(node_id)) {}

  base::Result<SyncReply, SyncFailure> sync(const SyncRequest& request) override {
    auto token = issue_token();
    if (!token.has_value()) {
      return base::unexpected(SyncFailure{
          DaemonError{DaemonErrorKind::kControl, "cannot issue a node token: " + token.error().message}, std::nullopt});
    }
    control::HttpsRequest http{"POST", "/v1/node/sync", *token, encode_sync_request(request),
                               std::chrono::seconds(request.wait_seconds) + kLongPollMargin};
    const std::uint64_t interrupts_before = interrupts_.load();
    auto response = client_->send(http);
    if (!response.has_value()) {
      // An interrupt during the send ended it (the client reports it as kIo "interrupted").
      const bool interrupted = interrupts_.load() != interrupts_before;
      return base::unexpected(
          SyncFailure{DaemonError{DaemonErrorKind::kControl, response.error().describe()}, std::nullopt, interrupted});
    }
    if (response->status == 204) {
      return SyncReply{};
    }
    if (response->status == 200) {
      auto payload = parse_sync_response(response->body);
      if (!payload.has_value()) {
        return base::unexpected(SyncFailure{payload.error(), std::nullopt});
      }
      return SyncReply{std::move(payload).value()};
    }
    return base::unexpected(
        SyncFailure{http_failure(*response), parse_retry_after(response->retry_after), false, refusal_of(*response)});
  }

  DaemonResult<RelayTicketGrant> relay_ticket(const std::string& peer) override {
    // One ticket request at a time (the relay workers share this client); never behind sync().
    const std::lock_guard lock(ticket_mutex_);
    auto token = issue_token();
    if (!token.has_value()) {
      return daemon_fail(DaemonErrorKind::kControl, "cannot issue a node token: " + token.error().message);
    }
    const nlohmann::json body{{"version", 1}, {"peer", peer}};
    control::HttpsRequest http{"POST", "/v1/node/relay-ticket", *token, body.dump(), kTicketRequestTimeout};
    auto response = ticket_client_->send(http);
    if (!response.has_value()) {
      return daemon_fail(DaemonErrorKind::kControl, response.error().describe());
    }
    if (response->status != 200) {
      return base::unexpected(http_failure(*response));
    }
    return parse_relay_ticket_response(response->body);
  }

  void abort() override {
    client_->abort();
    ticket_client_->abort();
  }

  void interrupt() override {
    interrupts_.fetch_add(1);
    client_->interrupt();
    ticket_client_->interrupt();  // its kept connection has the same vanished source address
  }

 private:
  base::Result<std::string, control::TokenError> issue_token() {
    const std::lock_guard lock(issuer_mutex_);
    return issuer_.issue(node_id_, kTokenLifetime);
  }

  std::unique_ptr<control::HttpsClient> client_;
  std::unique_ptr<control::HttpsClient> ticket_client_;
  std::mutex ticket_mutex_;
  std::mutex issuer_mutex_;  // sync() and relay_ticket() run on different threads
  std::atomic<std::uint64_t> interrupts_{0};
  control::TokenIssuer issuer_;
  std::string node_id_;
};

}  // namespace

DaemonResult<RelayTicketGrant> ControlLink::relay_ticket(const std::string& /*peer*/) {
  return daemon_fail(DaemonErrorKind::kControl, "this control link cannot request relay tickets");
}

DaemonResult<RelayTicketGrant> parse_relay_ticket_response(std::string_view body) {
  auto json = base::parse_strict_json(body, {kMaxTicketBodyBytes, 4});
  if (!json.has_value()) {
    return base::unexpected(ticket_rejected(json.error().describe()));
  }
  auto reader = base::JsonObjectReader::create(*json, "$");
  if (!reader.has_value()) {
    return base::unexpected(ticket_rejected(reader.error().describe()));
  }
  if (auto version = base::require_version(*reader, 1); !version.has_value()) {
    return base::unexpected(ticket_rejected(version.error().describe()));
  }
  RelayTicketGrant grant;
  auto relay_id = reader->required_string("relay_id");
  auto address = reader->required_string("address");
  auto ticket = reader->required_string("ticket");
  auto expires_at = reader->required_int("expires_at");
  if (!relay_id.has_value() || !address.has_value() || !ticket.has_value() || !expires_at.has_value()) {
    return base::unexpected(ticket_rejected("relay_id, address, ticket and expires_at are required"));
  }
  if (auto finished = reader->finish(); !finished.has_value()) {
    return base::unexpected(ticket_rejected(finished.error().describe()));
  }
  auto bytes = crypto::base64_decode(*ticket);
  if (!bytes.has_value() || bytes->empty() || bytes->size() > kMaxTicketBytes) {
    return base::unexpected(ticket_rejected("$.ticket: not a base64 ticket of at most 512 bytes"));
  }
  grant.relay_id = *relay_id;
  grant.address = *address;
  grant.ticket = std::move(bytes).value();
  grant.expires_at = *expires_at;
  return grant;
}

DaemonResult<std::unique_ptr<ControlLink>> make_https_control_link(const DaemonConfig& config,
                                                                   crypto::Ed25519SigningKey identity,
                                                                   const base::Clock& clock) {
  control::HttpsClientOptions options;
  options.host = config.control.host;
  options.port = config.control.port;
  options.server_name = config.control.server_name;
  options.pin_sha256 = config.control.pin_sha256;
  options.ca_file = config.control.ca_file;
  options.request_timeout = std::chrono::seconds(config.control.long_poll_seconds) + kLongPollMargin;
  auto client = control::HttpsClient::create(options);
  if (!client.has_value()) {
    return daemon_fail(DaemonErrorKind::kControl, client.error().describe());
  }
  options.request_timeout = kTicketRequestTimeout;
  auto ticket_client = control::HttpsClient::create(options);
  if (!ticket_client.has_value()) {
    return daemon_fail(DaemonErrorKind::kControl, ticket_client.error().describe());
  }
  control::TokenIssuer issuer(std::move(identity), config.control.audience, clock);
  return std::unique_ptr<ControlLink>(std::make_unique<HttpsControlLink>(
      std::move(client).value(), std::move(ticket_client).value(), std::move(issuer), config.node_id));
}

bool is_membership_refusal(const SyncFailure& failure) {
  if (!failure.refusal) {
    return false;
  }
  const ControlRefusal& refusal = *failure.refusal;
  if (refusal.status == 403) {
    return true;
  }
  return refusal.status == 401 && (refusal.error_class == "node_removed" || refusal.error_class == "bad_signature" ||
                                   refusal.error_class == "revoked");
}

}  // namespace rustynet::apps::daemon
