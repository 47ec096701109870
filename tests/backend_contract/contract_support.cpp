// SPDX-License-Identifier: Apache-2.0
// Contract suite helpers.
#include "contract_support.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace rustynet::backend_contract::detail {
namespace {

std::atomic<std::size_t> g_context_index{0};

template <class T>
T parse_literal(std::string_view text, api::BackendResult<T> (*parse)(std::string_view)) {
  auto parsed = parse(text);
  if (!parsed.has_value()) {
    std::fprintf(stderr, "backend contract suite: bad literal '%.*s': %s\n", static_cast<int>(text.size()), text.data(),
                 parsed.error().describe().c_str());
    std::abort();
  }
  return std::move(parsed).value();
}

}  // namespace

ScopedBackend::ScopedBackend(const BackendContractFactory& factory) : backend_(factory.make_backend()) {}

ScopedBackend::~ScopedBackend() {
  if (backend_ != nullptr) {
    // Not running is fine here: the check may have shut it down itself.
    (void)backend_->shutdown();
  }
}

api::RuntimeContext next_context(const BackendContractFactory& factory) {
  return factory.make_context(g_context_index.fetch_add(1));
}

api::PeerPublicKey peer_key(const BackendContractFactory& factory, std::size_t index) {
  if (factory.make_peer_key) {
    return factory.make_peer_key(index);
  }
  api::PeerPublicKey key;
  // splitmix64 over the index: distinct indices give distinct, non-zero keys.
  std::uint64_t state = 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(index) + 1);
  for (std::size_t i = 0; i < key.bytes.size(); i += 8) {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    z ^= z >> 31U;
    for (std::size_t j = 0; j < 8; ++j) {
      key.bytes[i + j] = static_cast<std::uint8_t>(z >> (8U * j));
    }
  }
  key.bytes[0] = static_cast<std::uint8_t>(key.bytes[0] | 1U);
  return key;
}

api::NodeId node(std::string_view text) { return parse_literal<api::NodeId>(text, &api::NodeId::parse); }
api::IpPrefix prefix(std::string_view text) { return parse_literal<api::IpPrefix>(text, &api::IpPrefix::parse); }
api::SocketEndpoint endpoint(std::string_view text) {
  return parse_literal<api::SocketEndpoint>(text, &api::SocketEndpoint::parse);
}
api::InterfaceAddress interface_address(std::string_view text) {
  return parse_literal<api::InterfaceAddress>(text, &api::InterfaceAddress::parse);
}

api::PeerConfig simple_peer(const BackendContractFactory& factory, std::string_view name, std::size_t key_index) {
  const std::size_t host = key_index % 65000 + 1;
  api::PeerConfig peer{node(name), peer_key(factory, key_index), std::nullopt, {}, std::nullopt};
  peer.endpoint = endpoint(std::string("192.0.2.") + std::to_string(key_index % 250 + 1) + ":51820");
  peer.allowed_prefixes.push_back(
      prefix(std::string("10.77.") + std::to_string(host / 256) + "." + std::to_string(host % 256) + "/32"));
  return peer;
}

api::Route route(std::string_view destination, std::string_view via, api::RouteKind kind) {
  return api::Route{prefix(destination), node(via), kind};
}

std::ostream& operator<<(std::ostream& out, const ObservedState& state) {
  out << "{peers=[";
  for (std::size_t i = 0; i < state.peers.size(); ++i) {
    const ObservedPeer& peer = state.peers[i];
    out << (i == 0 ? "" : ", ") << peer.node_id << " key=" << peer.public_key.to_hex().substr(0, 8);
    if (peer.endpoint.has_value()) {
      out << " ep=" << *peer.endpoint;
    }
    out << " allowed=[";
    for (std::size_t j = 0; j < peer.allowed_prefixes.size(); ++j) {
      out << (j == 0 ? "" : ",") << peer.allowed_prefixes[j];
    }
    out << "]";
    if (peer.persistent_keepalive_seconds.has_value()) {
      out << " ka=" << *peer.persistent_keepalive_seconds;
    }
  }
  out << "] routes=[";
  for (std::size_t i = 0; i < state.routes.size(); ++i) {
    out << (i == 0 ? "" : ", ") << state.routes[i];
  }
  return out << "] exit=" << state.exit_mode << "}";
}

ObservedState observe(const api::TunnelStats& stats, CheckReport& report, std::string_view what) {
  ObservedState state;
  std::uint64_t rx = 0;
  std::uint64_t tx = 0;
  for (std::size_t i = 0; i < stats.peers.size(); ++i) {
    const api::PeerStats& peer = stats.peers[i];
    if (i > 0 && !(stats.peers[i - 1].node_id < peer.node_id)) {
      report.fail(std::string(what) + ": stats peers not strictly sorted by node id at " + peer.node_id.value());
    }
    if (api::canonical_prefixes(peer.allowed_prefixes) != peer.allowed_prefixes) {
      report.fail(std::string(what) + ": allowed prefixes of " + peer.node_id.value() +
                  " not sorted and de-duplicated");
    }
    rx += peer.rx_bytes;
    tx += peer.tx_bytes;
    state.peers.push_back(ObservedPeer{peer.node_id, peer.public_key, peer.endpoint, peer.allowed_prefixes,
                                       peer.persistent_keepalive_seconds});
  }
  for (std::size_t i = 1; i < stats.routes.size(); ++i) {
    if (!(stats.routes[i - 1].destination < stats.routes[i].destination)) {
      report.fail(std::string(what) + ": stats routes not strictly sorted by destination at " +
                  stats.routes[i].destination.to_string());
    }
  }
  if (rx != stats.total_rx_bytes || tx != stats.total_tx_bytes) {
    report.fail(std::string(what) + ": stats totals are not the sums of the per-peer counters");
  }
  state.routes = stats.routes;
  state.exit_mode = stats.exit_mode;
  return state;
}

ObservedState observe(api::TunnelBackend& backend, CheckReport& report, std::string_view what) {
  auto stats = backend.stats();
  if (!stats.has_value()) {
    report.fail(std::string(what) + ": stats() failed: " + stats.error().describe());
    return {};
  }
  return observe(*stats, report, what);
}

std::string describe_outcome(const api::BackendStatus& status) {
  return status.has_value() ? std::string("success") : status.error().describe();
}

void expect_ok(CheckReport& report, const api::BackendStatus& status, std::string_view what) {
  if (!status.has_value()) {
    report.fail(std::string(what) + ": expected success, got " + status.error().describe());
  }
}

void expect_kind(CheckReport& report, const api::BackendStatus& status, api::BackendErrorKind kind,
                 std::string_view what) {
  if (status.has_value()) {
    report.fail(std::string(what) + ": expected " + std::string(api::to_string(kind)) + ", got success");
  } else if (status.error().kind != kind) {
    report.fail(std::string(what) + ": expected " + std::string(api::to_string(kind)) + ", got " +
                status.error().describe());
  }
}

void expect_unchanged(CheckReport& report, const ObservedState& before, const ObservedState& after,
                      std::string_view what) {
  if (!(before == after)) {
    report.fail(std::string(what) + ": a failed call changed state\n  before: " + to_text(before) +
                std::string("\n  after:  ") + to_text(after));
  }
}

}  // namespace rustynet::backend_contract::detail
