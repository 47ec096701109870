// SPDX-License-Identifier: Apache-2.0
// The HTTPS implementation of ControlLink.
#include "control_link.hpp"

#include <charconv>

#include "rustynet/control/https_client.hpp"
#include "rustynet/control/token_validator.hpp"

namespace rustynet::apps::daemon {
namespace {

constexpr std::chrono::seconds kTokenLifetime{60};
constexpr std::chrono::seconds kLongPollMargin{10};

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
  HttpsControlLink(std::unique_ptr<control::HttpsClient> client, control::TokenIssuer issuer, std::string node_id)
      : client_(std::move(client)), issuer_(std::move(issuer)), node_id_(std::move(node_id)) {}

  base::Result<SyncReply, SyncFailure> sync(const SyncRequest& request) override {
    auto token = issuer_.issue(node_id_, kTokenLifetime);
    if (!token.has_value()) {
      return base::unexpected(SyncFailure{
          DaemonError{DaemonErrorKind::kControl, "cannot issue a node token: " + token.error().message}, std::nullopt});
    }
    control::HttpsRequest http{"POST", "/v1/node/sync", *token, encode_sync_request(request),
                               std::chrono::seconds(request.wait_seconds) + kLongPollMargin};
    auto response = client_->send(http);
    if (!response.has_value()) {
      return base::unexpected(
          SyncFailure{DaemonError{DaemonErrorKind::kControl, response.error().describe()}, std::nullopt});
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
    std::string message = "control answered HTTP " + std::to_string(response->status);
    if (response->body.size() <= 512) {
      message += ": " + response->body;  // the protocol's error object; never secrets
    }
    return base::unexpected(SyncFailure{DaemonError{DaemonErrorKind::kControl, std::move(message)},
                                        parse_retry_after(response->retry_after)});
  }

  void abort() override { client_->abort(); }

 private:
  std::unique_ptr<control::HttpsClient> client_;
  control::TokenIssuer issuer_;
  std::string node_id_;
};

}  // namespace

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
  control::TokenIssuer issuer(std::move(identity), config.control.audience, clock);
  return std::unique_ptr<ControlLink>(
      std::make_unique<HttpsControlLink>(std::move(client).value(), std::move(issuer), config.node_id));
}

}  // namespace rustynet::apps::daemon
