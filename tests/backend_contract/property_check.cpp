// SPDX-License-Identifier: Apache-2.0
// Model-based property test: seeded random operation sequences, backend vs ContractModel after
// every step; a failure is shrunk to a minimal sequence and printed with its seed.
#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "contract_checks.hpp"
#include "contract_model.hpp"
#include "contract_support.hpp"

namespace rustynet::backend_contract::checks {

using namespace detail;  // NOLINT(google-build-using-namespace): check bodies read better unqualified

namespace {

constexpr int kLocal = -1;  // node index meaning "the local node of the current lifecycle"
constexpr int kNoValue = -1;
constexpr int kNodes = 5;
constexpr int kKeys = 5;

// Value pools. Small on purpose: collisions (same key, same prefix, same destination) are what
// exercise the interesting rules.
constexpr const char* kEndpoints[] = {"192.0.2.1:51820", "192.0.2.2:51820", "[2001:db8::1]:51820"};
constexpr const char* kAllowed[] = {"10.81.0.0/24", "10.81.1.0/24", "10.81.2.0/24", "10.81.3.0/24",
                                    "10.81.4.0/24", "10.81.5.5/32", "fd81::/64",    "fd81:1::/64"};
constexpr const char* kDestinations[] = {"10.82.0.0/24", "10.82.1.0/24", "10.82.2.0/24", "192.168.70.0/24",
                                         "fd82::/64",    "0.0.0.0/0",    "::/0"};

enum class OpKind { kStart, kShutdown, kConfigurePeer, kConfigurePeers, kRemovePeer, kApplyRoutes, kSetExitMode };

enum class ContextVariant { kValid, kBadMtu, kZeroKey, kEmptyName, kExtraV6Address };

struct PeerSpec {
  int node = 0;  // 0..kNodes-1 or kLocal
  int key = 0;   // 0..kKeys-1 or kNoValue (all-zero key)
  int endpoint = kNoValue;
  std::vector<int> allowed;
  int keepalive = kNoValue;  // kNoValue, 0 (invalid) or 25
};

struct RouteSpec {
  int destination = 0;
  int via = 0;
  api::RouteKind kind = api::RouteKind::kMesh;
};

struct Op {
  OpKind kind = OpKind::kStart;
  ContextVariant context = ContextVariant::kValid;
  std::vector<PeerSpec> peers;  // one for configure_peer, any number for configure_peers
  int node = 0;                 // remove_peer / set_exit_mode (kNoValue = exit off)
  std::vector<RouteSpec> routes;
};

std::string node_name(int index) {
  return index == kLocal ? std::string("<local>") : std::string("n") + std::to_string(index);
}

std::ostream& operator<<(std::ostream& out, const PeerSpec& p) {
  out << "{" << node_name(p.node)
      << " key=" << (p.key == kNoValue ? std::string("zero") : std::string("k") + std::to_string(p.key));
  if (p.endpoint != kNoValue) {
    out << " ep=" << kEndpoints[p.endpoint];
  }
  out << " allowed=[";
  for (std::size_t i = 0; i < p.allowed.size(); ++i) {
    out << (i == 0 ? "" : ",") << kAllowed[p.allowed[i]];
  }
  out << "]";
  if (p.keepalive != kNoValue) {
    out << " ka=" << p.keepalive;
  }
  return out << "}";
}

std::ostream& operator<<(std::ostream& out, const Op& op) {
  switch (op.kind) {
    case OpKind::kStart: {
      static constexpr const char* kNames[] = {"valid", "bad-mtu", "zero-key", "empty-name", "extra-v6-address"};
      return out << "start(" << kNames[static_cast<int>(op.context)] << " context)";
    }
    case OpKind::kShutdown: return out << "shutdown()";
    case OpKind::kConfigurePeer: return out << "configure_peer(" << op.peers.front() << ")";
    case OpKind::kConfigurePeers: {
      out << "configure_peers([";
      for (std::size_t i = 0; i < op.peers.size(); ++i) {
        out << (i == 0 ? "" : ", ") << op.peers[i];
      }
      return out << "])";
    }
    case OpKind::kRemovePeer: return out << "remove_peer(" << node_name(op.node) << ")";
    case OpKind::kApplyRoutes: {
      out << "apply_routes([";
      for (std::size_t i = 0; i < op.routes.size(); ++i) {
        const RouteSpec& r = op.routes[i];
        out << (i == 0 ? "" : ", ") << kDestinations[r.destination] << " via " << node_name(r.via) << " "
            << api::to_string(r.kind);
      }
      return out << "])";
    }
    case OpKind::kSetExitMode:
      return out << "set_exit_mode("
                 << (op.node == kNoValue ? std::string("off") : std::string("via ") + node_name(op.node)) << ")";
  }
  return out;
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::vector<Op> sequence(std::size_t max_steps) {
    std::vector<Op> ops;
    // Most sequences start the backend first; a few probe the not-running state.
    if (pick(10) != 0) {
      ops.push_back(Op{});
    }
    const std::size_t steps = 1 + pick(max_steps);
    while (ops.size() < steps) {
      ops.push_back(op());
    }
    return ops;
  }

 private:
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }
  int pick_int(int n) { return static_cast<int>(pick(static_cast<std::size_t>(n))); }

  int node() { return pick(20) == 0 ? kLocal : pick_int(kNodes); }

  PeerSpec peer() {
    PeerSpec p;
    p.node = node();
    p.key = pick(25) == 0 ? kNoValue : pick_int(kKeys);
    p.endpoint = pick(4) == 0 ? kNoValue : pick_int(3);
    const std::size_t count = pick(3);
    for (std::size_t i = 0; i < count; ++i) {
      p.allowed.push_back(pick_int(static_cast<int>(std::size(kAllowed))));
    }
    const std::size_t keepalive = pick(12);
    p.keepalive = keepalive == 0 ? 0 : (keepalive < 4 ? 25 : kNoValue);
    return p;
  }

  RouteSpec route() {
    RouteSpec r;
    r.destination = pick_int(static_cast<int>(std::size(kDestinations)));
    r.via = pick(15) == 0 ? kLocal : pick_int(kNodes);
    const std::string_view destination = kDestinations[r.destination];
    if (pick(12) == 0) {
      r.kind = static_cast<api::RouteKind>(1 + pick(3));  // sometimes a mismatched kind
    } else if (destination == "0.0.0.0/0" || destination == "::/0") {
      r.kind = api::RouteKind::kExitDefault;
    } else if (destination == "192.168.70.0/24") {
      r.kind = api::RouteKind::kLan;
    }
    return r;
  }

  Op op() {
    Op op;
    const std::size_t roll = pick(100);
    if (roll < 6) {
      op.kind = OpKind::kStart;
      const std::size_t variant = pick(10);
      op.context = variant < 6 ? ContextVariant::kValid : static_cast<ContextVariant>(variant - 5);
    } else if (roll < 10) {
      op.kind = OpKind::kShutdown;
    } else if (roll < 42) {
      op.kind = OpKind::kConfigurePeer;
      op.peers.push_back(peer());
    } else if (roll < 52) {
      op.kind = OpKind::kConfigurePeers;
      const std::size_t count = pick(5);
      for (std::size_t i = 0; i < count; ++i) {
        op.peers.push_back(peer());
      }
    } else if (roll < 64) {
      op.kind = OpKind::kRemovePeer;
      op.node = node();
    } else if (roll < 86) {
      op.kind = OpKind::kApplyRoutes;
      const std::size_t count = pick(4);
      for (std::size_t i = 0; i < count; ++i) {
        op.routes.push_back(route());
      }
    } else {
      op.kind = OpKind::kSetExitMode;
      op.node = pick(3) == 0 ? kNoValue : node();
    }
    return op;
  }

  std::mt19937_64 rng_;
};

// Turns specs into contract values. The local node is whatever the current lifecycle uses (a
// fixed id while not running).
class Materializer {
 public:
  explicit Materializer(const BackendContractFactory& factory) : factory_(factory) {
    for (int i = 0; i < kKeys; ++i) {
      keys_.push_back(peer_key(factory, 5000 + static_cast<std::size_t>(i)));
    }
  }

  api::NodeId node_id(int index, const std::optional<api::NodeId>& local) const {
    if (index == kLocal) {
      return local.value_or(detail::node("not-running-local"));
    }
    return detail::node(node_name(index));
  }

  api::PeerConfig peer(const PeerSpec& spec, const std::optional<api::NodeId>& local) const {
    api::PeerConfig peer{node_id(spec.node, local),
                         spec.key == kNoValue ? api::PeerPublicKey{} : keys_[static_cast<std::size_t>(spec.key)],
                         std::nullopt,
                         {},
                         std::nullopt};
    if (spec.endpoint != kNoValue) {
      peer.endpoint = endpoint(kEndpoints[spec.endpoint]);
    }
    for (const int a : spec.allowed) {
      peer.allowed_prefixes.push_back(prefix(kAllowed[a]));
    }
    if (spec.keepalive != kNoValue) {
      peer.persistent_keepalive_seconds = static_cast<std::uint16_t>(spec.keepalive);
    }
    return peer;
  }

  api::RuntimeContext context(ContextVariant variant) const {
    api::RuntimeContext context = next_context(factory_);
    switch (variant) {
      case ContextVariant::kValid: break;
      case ContextVariant::kBadMtu: context.mtu = 100; break;
      case ContextVariant::kZeroKey: context.tunnel_private_key = base::SecretBytes(32); break;
      case ContextVariant::kEmptyName: context.interface_name.clear(); break;
      case ContextVariant::kExtraV6Address:
        context.interface_addresses.push_back(interface_address("fd83::1/64"));
        break;
    }
    return context;
  }

 private:
  const BackendContractFactory& factory_;
  std::vector<api::PeerPublicKey> keys_;
};

std::string outcome_text(const ContractModel::Outcome& outcome) {
  return outcome.has_value() ? std::string(api::to_string(*outcome)) : std::string("success");
}

ContractModel::Outcome outcome_of(const api::BackendStatus& status) {
  if (status.has_value()) {
    return std::nullopt;
  }
  return status.error().kind;
}

// What the generated sequences reached, so a generator that drifts into only trivial or only
// failing operations is noticed instead of passing vacuously.
struct Coverage {
  std::array<std::size_t, 7> successes{};
  std::set<api::BackendErrorKind> error_kinds;
  std::size_t max_peers = 0;
  std::size_t max_routes = 0;
  bool exit_via_seen = false;
};

struct RunFailure {
  std::size_t step = 0;  // index of the op after which backend and model disagreed
  std::string message;
};

// Runs `ops` on a fresh backend and a fresh model; the first disagreement, if any.
std::optional<RunFailure> run_sequence(const BackendContractFactory& factory, const Materializer& values,
                                       const std::vector<Op>& ops, Coverage* coverage = nullptr) {
  ScopedBackend backend(factory);
  ContractModel model(factory.expected_capabilities);
  for (std::size_t step = 0; step < ops.size(); ++step) {
    const Op& op = ops[step];
    const std::optional<api::NodeId> local = model.local_node();
    api::BackendStatus status;
    ContractModel::Outcome expected;
    switch (op.kind) {
      case OpKind::kStart: {
        const api::RuntimeContext context = values.context(op.context);
        expected = model.start(context);
        status = backend->start(context);
        break;
      }
      case OpKind::kShutdown:
        expected = model.shutdown();
        status = backend->shutdown();
        break;
      case OpKind::kConfigurePeer: {
        const api::PeerConfig peer = values.peer(op.peers.front(), local);
        expected = model.configure_peer(peer);
        status = backend->configure_peer(peer);
        break;
      }
      case OpKind::kConfigurePeers: {
        std::vector<api::PeerConfig> peers;
        for (const PeerSpec& spec : op.peers) {
          peers.push_back(values.peer(spec, local));
        }
        expected = model.configure_peers(peers);
        status = backend->configure_peers(peers);
        break;
      }
      case OpKind::kRemovePeer: {
        const api::NodeId node_id = values.node_id(op.node, local);
        expected = model.remove_peer(node_id);
        status = backend->remove_peer(node_id);
        break;
      }
      case OpKind::kApplyRoutes: {
        std::vector<api::Route> routes;
        for (const RouteSpec& spec : op.routes) {
          routes.push_back(
              api::Route{prefix(kDestinations[spec.destination]), values.node_id(spec.via, local), spec.kind});
        }
        expected = model.apply_routes(routes);
        status = backend->apply_routes(routes);
        break;
      }
      case OpKind::kSetExitMode: {
        const api::ExitMode mode =
            op.node == kNoValue ? api::ExitMode::off() : api::ExitMode::via(values.node_id(op.node, local));
        expected = model.set_exit_mode(mode);
        status = backend->set_exit_mode(mode);
        break;
      }
    }
    if (outcome_of(status) != expected) {
      return RunFailure{step, "outcome: backend " + describe_outcome(status) + ", contract " + outcome_text(expected)};
    }
    if (coverage != nullptr) {
      if (expected.has_value()) {
        coverage->error_kinds.insert(*expected);
      } else {
        ++coverage->successes[static_cast<std::size_t>(op.kind)];
      }
    }
    auto stats = backend->stats();
    if (!model.running()) {
      if (stats.has_value() || stats.error().kind != api::BackendErrorKind::kNotRunning) {
        return RunFailure{step, "stats() while not running: expected not_running, got " +
                                    (stats.has_value() ? std::string("success") : stats.error().describe())};
      }
      continue;
    }
    if (!stats.has_value()) {
      return RunFailure{step, std::string("stats() failed while running: ") + stats.error().describe()};
    }
    CheckReport structure;
    const ObservedState actual = observe(*stats, structure, "stats");
    if (!structure.ok()) {
      return RunFailure{step, structure.failures().front()};
    }
    const ObservedState wanted = model.observed();
    if (coverage != nullptr) {
      coverage->max_peers = std::max(coverage->max_peers, wanted.peers.size());
      coverage->max_routes = std::max(coverage->max_routes, wanted.routes.size());
      coverage->exit_via_seen = coverage->exit_via_seen || !wanted.exit_mode.is_off();
    }
    if (!(actual == wanted)) {
      return RunFailure{step, std::string("state differs\n      backend:  ") + to_text(actual) +
                                  "\n      contract: " + to_text(wanted)};
    }
  }
  return std::nullopt;
}

// Greedy delta debugging: drop chunks of operations, then elements inside list-valued
// operations, keeping every change after which the sequence still fails.
std::vector<Op> shrink(const BackendContractFactory& factory, const Materializer& values, std::vector<Op> ops,
                       std::size_t& budget) {
  auto fails = [&](const std::vector<Op>& candidate) {
    if (budget == 0) {
      return false;
    }
    --budget;
    return run_sequence(factory, values, candidate).has_value();
  };
  bool progress = true;
  while (progress && budget > 0) {
    progress = false;
    for (std::size_t chunk = std::max<std::size_t>(ops.size() / 2, 1); chunk >= 1; chunk /= 2) {
      for (std::size_t start = 0; start + chunk <= ops.size();) {
        std::vector<Op> candidate = ops;
        candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(start),
                        candidate.begin() + static_cast<std::ptrdiff_t>(start + chunk));
        if (!candidate.empty() && fails(candidate)) {
          ops = std::move(candidate);
          progress = true;
        } else {
          start += chunk;
        }
      }
      if (chunk == 1) {
        break;
      }
    }
    for (std::size_t i = 0; i < ops.size(); ++i) {
      for (std::size_t j = 0; j < ops[i].peers.size();) {
        std::vector<Op> candidate = ops;
        if (candidate[i].kind == OpKind::kConfigurePeer) {
          break;
        }
        candidate[i].peers.erase(candidate[i].peers.begin() + static_cast<std::ptrdiff_t>(j));
        if (fails(candidate)) {
          ops = std::move(candidate);
          progress = true;
        } else {
          ++j;
        }
      }
      for (std::size_t j = 0; j < ops[i].routes.size();) {
        std::vector<Op> candidate = ops;
        candidate[i].routes.erase(candidate[i].routes.begin() + static_cast<std::ptrdiff_t>(j));
        if (fails(candidate)) {
          ops = std::move(candidate);
          progress = true;
        } else {
          ++j;
        }
      }
      for (std::size_t p = 0; p < ops[i].peers.size(); ++p) {
        for (std::size_t j = 0; j < ops[i].peers[p].allowed.size();) {
          std::vector<Op> candidate = ops;
          auto& allowed = candidate[i].peers[p].allowed;
          allowed.erase(allowed.begin() + static_cast<std::ptrdiff_t>(j));
          if (fails(candidate)) {
            ops = std::move(candidate);
            progress = true;
          } else {
            ++j;
          }
        }
      }
    }
  }
  return ops;
}

void check_coverage(const BackendContractFactory& factory, const Coverage& coverage, CheckReport& report) {
  if (factory.property_sequences < 1000) {
    return;  // too few sequences to demand coverage (slow real backends)
  }
  static constexpr const char* kOpNames[] = {"start",       "shutdown",     "configure_peer", "configure_peers",
                                             "remove_peer", "apply_routes", "set_exit_mode"};
  for (std::size_t i = 0; i < coverage.successes.size(); ++i) {
    if (coverage.successes[i] == 0) {
      report.fail(std::string("property generator coverage: no successful ") + kOpNames[i]);
    }
  }
  const api::BackendCapabilities& caps = factory.expected_capabilities;
  std::vector<api::BackendErrorKind> wanted{api::BackendErrorKind::kInvalidInput,
                                            api::BackendErrorKind::kAlreadyRunning, api::BackendErrorKind::kNotRunning};
  if (!caps.supports_roaming || !caps.supports_exit_nodes || !caps.supports_lan_routes || !caps.supports_ipv6) {
    wanted.push_back(api::BackendErrorKind::kUnsupported);
  }
  for (const api::BackendErrorKind kind : wanted) {
    if (!coverage.error_kinds.contains(kind)) {
      report.fail(std::string("property generator coverage: never expected ") + std::string(api::to_string(kind)));
    }
  }
  if (coverage.max_peers < 3 || coverage.max_routes < 2) {
    report.fail("property generator coverage: states stayed trivial (max " + std::to_string(coverage.max_peers) +
                " peers, " + std::to_string(coverage.max_routes) + " routes)");
  }
  if (caps.supports_exit_nodes && !coverage.exit_via_seen) {
    report.fail("property generator coverage: exit mode never set to a node");
  }
}

}  // namespace

void property_model(const BackendContractFactory& factory, CheckReport& report) {
  const Materializer values(factory);
  Coverage coverage;
  for (std::size_t i = 0; i < factory.property_sequences; ++i) {
    const std::uint64_t seed = factory.property_seed + i;
    Generator generator(seed);
    std::vector<Op> ops = generator.sequence(factory.property_max_steps);
    const auto failure = run_sequence(factory, values, ops, &coverage);
    if (!failure.has_value()) {
      continue;
    }
    const std::size_t original_length = ops.size();
    ops.resize(failure->step + 1);
    std::size_t budget = factory.property_shrink_budget;
    ops = shrink(factory, values, std::move(ops), budget);
    const auto minimal = run_sequence(factory, values, ops);
    std::ostringstream text;
    text << "property test failed for seed " << seed << " (sequence " << i << " of " << factory.property_sequences
         << ", base seed " << factory.property_seed << ", " << original_length << " ops).\n"
         << "  first failure at step " << failure->step << ": " << failure->message << "\n"
         << "  minimal failing sequence (" << ops.size() << " ops; keys k0..k4 are factory keys 5000..5004):\n";
    for (std::size_t step = 0; step < ops.size(); ++step) {
      text << "    " << step << ". " << ops[step] << "\n";
    }
    text << "  fails at step " << (minimal.has_value() ? std::to_string(minimal->step) : std::string("?")) << ": "
         << (minimal.has_value() ? minimal->message : std::string("(did not reproduce)"));
    report.fail(text.str());
    return;  // one well-shrunk counterexample is more useful than many raw ones
  }
  check_coverage(factory, coverage, report);
}

}  // namespace rustynet::backend_contract::checks
