// SPDX-License-Identifier: Apache-2.0
// Contract checks: configure_peers is exactly the sequence of configure_peer calls.
#include <random>
#include <string>

#include "contract_checks.hpp"
#include "contract_support.hpp"

namespace rustynet::backend_contract::checks {

using namespace detail;  // NOLINT(google-build-using-namespace): check bodies read better unqualified
using api::BackendErrorKind;

void batch_mid_failure(const BackendContractFactory& factory, CheckReport& report) {
  ScopedBackend backend(factory);
  expect_ok(report, backend->start(next_context(factory)), "start");
  std::vector<api::PeerConfig> batch{simple_peer(factory, "peer-a", 1), simple_peer(factory, "peer-b", 2),
                                     simple_peer(factory, "peer-c", 1),  // key clash with peer-a
                                     simple_peer(factory, "peer-d", 4)};
  batch[2].allowed_prefixes.clear();
  expect_kind(report, backend->configure_peers(batch), BackendErrorKind::kInvalidInput, "batch failing at [2]");
  const ObservedState state = observe(*backend, report, "after failed batch");
  if (state.peers.size() != 2 || state.peers[0].node_id != node("peer-a") || state.peers[1].node_id != node("peer-b")) {
    report.fail(std::string("after a batch failing at index 2, exactly elements 0 and 1 must be applied: ") +
                to_text(state));
  }
  // Later elements of a batch see earlier ones: an update of an element added in the same batch.
  api::PeerConfig updated = simple_peer(factory, "peer-e", 5);
  api::PeerConfig original = updated;
  original.allowed_prefixes = {prefix("10.79.0.0/24")};
  expect_ok(report, backend->configure_peers(std::vector{original, updated}), "add then update in one batch");
  const ObservedState after = observe(*backend, report, "after add+update batch");
  if (after.peers.size() != 3 || after.peers[2].allowed_prefixes != updated.allowed_prefixes) {
    report.fail(std::string("the later element of a batch does not win: ") + to_text(after));
  }
  expect_ok(report, backend->configure_peers({}), "empty batch while running");
}

void batch_equals_sequence(const BackendContractFactory& factory, CheckReport& report) {
  std::mt19937_64 rng(factory.property_seed ^ 0xBA7C4ULL);
  for (std::size_t scenario = 0; scenario < factory.batch_scenarios && report.ok(); ++scenario) {
    // Random batches over a small universe so that updates, key clashes, prefix clashes, the
    // local node, invalid and unsupported elements all occur.
    ScopedBackend batched(factory);
    ScopedBackend single(factory);
    api::RuntimeContext context_a = next_context(factory);
    api::RuntimeContext context_b = next_context(factory);
    const api::NodeId local = context_a.local_node;
    context_b.local_node = local;
    expect_ok(report, batched->start(context_a), "start batched");
    expect_ok(report, single->start(context_b), "start single");
    const std::size_t size = rng() % 8;
    std::vector<api::PeerConfig> batch;
    for (std::size_t i = 0; i < size; ++i) {
      api::PeerConfig peer = simple_peer(factory, std::string("p") + std::to_string(rng() % 5), rng() % 5);
      peer.allowed_prefixes = {prefix(std::string("10.80.") + std::to_string(rng() % 6) + ".0/24")};
      switch (rng() % 10) {
        case 0: peer.public_key = api::PeerPublicKey{}; break;
        case 1: peer.persistent_keepalive_seconds = static_cast<std::uint16_t>(rng() % 2); break;
        case 2: peer.node_id = local; break;
        case 3: peer.endpoint = endpoint(std::string("[2001:db8::") + std::to_string(rng() % 3 + 1) + "]:51820"); break;
        case 4: peer.endpoint = endpoint(std::string("198.51.100.") + std::to_string(rng() % 3 + 1) + ":51820"); break;
        case 5: peer.endpoint.reset(); break;
        default: break;
      }
      batch.push_back(std::move(peer));
    }
    const api::BackendStatus batched_status = batched->configure_peers(batch);
    std::string single_outcome = "success";
    for (const api::PeerConfig& peer : batch) {
      const api::BackendStatus status = single->configure_peer(peer);
      if (!status.has_value()) {
        single_outcome = std::string(api::to_string(status.error().kind));
        break;
      }
    }
    const std::string batched_outcome =
        batched_status.has_value() ? std::string("success") : std::string(api::to_string(batched_status.error().kind));
    const ObservedState a = observe(*batched, report, "batched");
    const ObservedState b = observe(*single, report, "single");
    if (batched_outcome != single_outcome || !(a == b)) {
      std::string text = std::string("scenario ") + std::to_string(scenario) + " (seed " +
                         std::to_string(factory.property_seed) +
                         "): configure_peers differs from the sequence of configure_peer calls\n  batch:";
      for (const api::PeerConfig& peer : batch) {
        text += std::string("\n    ") + to_text(peer);
      }
      text +=
          "\n  batched: " + batched_outcome + " " + to_text(a) + "\n  single:  " + single_outcome + " " + to_text(b);
      report.fail(text);
    }
  }
}

}  // namespace rustynet::backend_contract::checks
