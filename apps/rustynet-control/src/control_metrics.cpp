// SPDX-License-Identifier: Apache-2.0
// ControlMetrics: registration, counting of responses and security events, connection gauges.
#include "control_metrics.hpp"

#include <string>
#include <vector>

namespace rustynet::apps::control_server {
namespace {

// Failure classes come from a fixed vocabulary (auth chain, token validator, transport); the bound
// only guards against a future class set growing without review.
constexpr std::size_t kMaxClasses = 64;

std::string status_class(unsigned status) {
  return status >= 100 && status <= 599 ? std::to_string(status / 100) + "xx" : "other";
}

// The abuse-control stages (rate limiters, then lockout) as one decision per evaluation.
std::string limiter_decision(const control::SecurityEvent& event) {
  if (event.limiter_decision == "deny_ip") {
    return "rate_limited_ip";
  }
  if (event.limiter_decision == "deny_identity") {
    return "rate_limited_identity";
  }
  if (event.limiter_decision == "error" || event.lockout_decision == "error") {
    return "error";
  }
  if (event.lockout_decision == "locked") {
    return "locked_out";
  }
  return "allowed";
}

void bump(base::CounterFamily* family, const std::vector<std::string>& labels) {
  if (auto counter = family->with(labels); counter.has_value()) {
    (*counter)->inc();
  }  // else: over the series bound; the event itself still reaches the log
}

}  // namespace

base::Result<std::unique_ptr<ControlMetrics>, ConfigError> ControlMetrics::create(control::EventSink& next) {
  auto out = std::make_unique<ControlMetrics>(next);
  auto& r = out->registry_;
  const auto fail = [](const base::MetricsError& error) {
    return base::unexpected(ConfigError{"metrics: " + error.message, ConfigErrorKind::kStartup});
  };
  auto requests = r.counter_family("rustynet_control_requests_total",
                                   "Responses by route and status class (2xx, 4xx, ...).", {"route", "class"});
  auto auth =
      r.counter_family("rustynet_control_auth_total",
                       "Auth chain evaluations by result: allowed, or the failure class.", {"result"}, kMaxClasses);
  auto limiter = r.counter_family("rustynet_control_limiter_decisions_total",
                                  "Abuse-control decisions per auth chain evaluation (rate limiters, then lockout).",
                                  {"decision"});
  auto transport = r.counter_family("rustynet_control_transport_denials_total",
                                    "Requests refused before routing (oversize, malformed, timeout, over cap).",
                                    {"reason"}, kMaxClasses);
  auto tls = r.counter("rustynet_control_tls_handshake_failures_total", "TLS handshakes that did not complete.");
  for (const auto* made : {&requests, &auth, &limiter, &transport}) {
    if (!made->has_value()) {
      return fail(made->error());
    }
  }
  if (!tls.has_value()) {
    return fail(tls.error());
  }
  out->requests_ = *requests;
  out->auth_ = *auth;
  out->limiter_ = *limiter;
  out->transport_ = *transport;
  out->tls_failures_ = *tls;
  using Family = base::MetricsRegistry::CollectedFamily;
  using base::MetricSample;
  using base::MetricType;
  auto group = r.collected_group(
      {Family{"rustynet_control_connections_active", "Open client connections.", MetricType::kGauge, {}},
       Family{"rustynet_control_connections_accepted_total", "Connections accepted.", MetricType::kCounter, {}},
       Family{"rustynet_control_connections_refused_total",
              "Connections closed at once over max_connections.",
              MetricType::kCounter,
              {}},
       Family{"rustynet_control_long_polls_waiting", "Node long-polls currently held.", MetricType::kGauge, {}}},
      [raw = out.get()] {
        const ControlServer* server = raw->server_.load();
        if (server == nullptr) {
          return std::vector<std::vector<MetricSample>>{};
        }
        const ServerStats stats = server->stats();
        const auto one = [](double value) { return std::vector<MetricSample>{MetricSample{{}, value}}; };
        return std::vector<std::vector<MetricSample>>{
            one(static_cast<double>(stats.active)), one(static_cast<double>(stats.accepted)),
            one(static_cast<double>(stats.refused_over_cap)), one(static_cast<double>(server->waiting()))};
      });
  if (!group.has_value()) {
    return fail(group.error());
  }
  return out;
}

void ControlMetrics::tls_handshake_failed() noexcept { tls_failures_->inc(); }

void ControlMetrics::responded(std::string_view route, unsigned status) noexcept {
  bump(requests_, {std::string(route), status_class(status)});
}

void ControlMetrics::emit(const control::SecurityEvent& event) {
  if (event.endpoint == "transport") {
    bump(transport_, {event.failure_class});
  } else {
    bump(auth_, {event.allowed ? std::string("allowed") : event.failure_class});
    bump(limiter_, {limiter_decision(event)});
  }
  next_->emit(event);
}

}  // namespace rustynet::apps::control_server
