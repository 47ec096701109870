// SPDX-License-Identifier: Apache-2.0
// TrustStore: fail-closed verification and atomic, MAC-protected persistence of trust state.
#include "rustynet/crypto/trust_state.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

namespace rustynet::crypto {
namespace {

using base::unexpected;

SignedStateError file_error(const base::FileError& error) {
  switch (error.kind) {
    case base::FileErrorKind::kNotFound:
      return SignedStateError{SignedStateErrorKind::kTrustStateMissing,
                              "trust state " + error.path + " does not exist; re-enroll or restore it"};
    case base::FileErrorKind::kIsSymlink:
    case base::FileErrorKind::kNotRegularFile:
    case base::FileErrorKind::kPermissionMismatch:
    case base::FileErrorKind::kOwnerMismatch:
      return SignedStateError{SignedStateErrorKind::kTrustStateInsecure, "trust state " + error.describe()};
    default: return SignedStateError{SignedStateErrorKind::kTrustStateCorrupt, "trust state " + error.describe()};
  }
}

base::Result<TrustState, SignedStateError> load_file(const TrustStore::Options& options,
                                                     const base::SecretBytes& mac_key) {
  if (options.require_private_file) {
    auto private_file = base::check_private_file(options.path, 0600, ::geteuid());
    if (!private_file.has_value()) {
      return unexpected(file_error(private_file.error()));
    }
  }
  auto bytes = base::read_file_bounded(options.path, kMaxTrustStateBytes);
  if (!bytes.has_value()) {
    return unexpected(file_error(bytes.error()));
  }
  const std::string& text = *bytes;
  std::vector<std::uint8_t> raw(text.size());
  std::transform(text.begin(), text.end(), raw.begin(), [](char c) { return static_cast<std::uint8_t>(c); });
  auto state = decode_trust_state(raw, mac_key);
  if (!state.has_value()) {
    auto error = std::move(state).error();
    error.message = "trust state " + options.path + ": " + error.message;
    return unexpected(std::move(error));
  }
  return state;
}

// Shared by verify() and commit(): generation monotonicity for one (type, subject).
base::Result<bool, SignedStateError> check_generation(const TrustState& state, const EnvelopeHeader& header,
                                                      const Sha256Digest& digest) {
  const AcceptedGeneration* last = state.find_accepted(header.type, header.subject);
  if (last == nullptr || header.generation > last->generation) {
    return false;
  }
  if (header.generation < last->generation) {
    return unexpected(SignedStateError{SignedStateErrorKind::kRollback,
                                       "generation " + std::to_string(header.generation) +
                                           " is older than the last accepted " + std::to_string(last->generation)});
  }
  if (digest != last->envelope_digest) {
    return unexpected(SignedStateError{
        SignedStateErrorKind::kGenerationConflict,
        "generation " + std::to_string(header.generation) + " was already accepted with different content"});
  }
  return true;
}

}  // namespace

TrustStore TrustStore::open(Options options, base::SecretBytes mac_key) {
  TrustStore store(std::move(options), std::move(mac_key));
  auto loaded = load_file(store.options_, store.mac_key_);
  if (loaded.has_value()) {
    store.state_ = std::move(loaded).value();
  } else {
    store.failure_ = std::move(loaded).error();
  }
  return store;
}

base::Result<TrustStore, SignedStateError> TrustStore::initialize(Options options, base::SecretBytes mac_key,
                                                                  const std::vector<Ed25519PublicKey>& signers) {
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(options.path, ec);
  if (!ec && status.type() != std::filesystem::file_type::not_found) {
    return unexpected(SignedStateError{
        SignedStateErrorKind::kInvalidArgument,
        "trust state " + options.path + " already exists; refusing to overwrite (it holds rollback protection)"});
  }
  if (signers.empty()) {
    return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument, "at least one signer is required"});
  }
  TrustState state;
  for (const auto& signer : signers) {
    if (state.find_signer(signer.key_id()) != nullptr) {
      return unexpected(
          SignedStateError{SignedStateErrorKind::kInvalidArgument, "duplicate signer " + signer.key_id()});
    }
    state.signers.push_back(signer);
  }
  TrustStore store(std::move(options), std::move(mac_key));
  RUSTYNET_RETURN_IF_ERROR(store.persist(state));
  store.state_ = std::move(state);
  return store;
}

base::Status<SignedStateError> TrustStore::status() const {
  if (failure_.has_value()) {
    return unexpected(*failure_);
  }
  return {};
}

base::Result<VerifiedArtifact, SignedStateError> TrustStore::verify(std::span<const std::uint8_t> envelope_bytes,
                                                                    ArtifactType expected_type,
                                                                    std::string_view expected_subject,
                                                                    const base::Clock& clock) const {
  RUSTYNET_RETURN_IF_ERROR(status());
  RUSTYNET_ASSIGN_OR_RETURN(auto envelope, decode_envelope(envelope_bytes));
  if (envelope.header.type != expected_type) {
    return unexpected(SignedStateError{
        SignedStateErrorKind::kWrongArtifactType,
        "expected " + std::string(to_string(expected_type)) + ", got " + std::string(to_string(envelope.header.type))});
  }
  const Ed25519PublicKey* signer = state_.find_signer(envelope.signer_key_id);
  if (signer == nullptr) {
    return unexpected(
        SignedStateError{SignedStateErrorKind::kUnknownSigner, "signer " + envelope.signer_key_id + " is not trusted"});
  }
  // The message is rebuilt with the EXPECTED type's domain over the exact received bytes.
  if (!signer->verify(signing_message(expected_type, envelope.signed_bytes), envelope.signature).has_value()) {
    return unexpected(SignedStateError{SignedStateErrorKind::kBadSignature,
                                       "signature by " + envelope.signer_key_id + " does not verify"});
  }
  if (envelope.header.subject != expected_subject) {
    return unexpected(SignedStateError{
        SignedStateErrorKind::kWrongSubject,
        "artifact is for \"" + envelope.header.subject + "\", expected \"" + std::string(expected_subject) + "\""});
  }
  auto now = clock.wall_now();
  if (!now.has_value()) {
    return unexpected(SignedStateError{SignedStateErrorKind::kClockUnavailable,
                                       "wall clock unusable (" + now.error().reason + "); refusing to judge validity"});
  }
  const std::int64_t seconds = now->seconds;
  if (envelope.header.issued_at > seconds + kClockSkewSeconds) {
    return unexpected(SignedStateError{SignedStateErrorKind::kNotYetValid,
                                       "issued at " + std::to_string(envelope.header.issued_at) + ", now " +
                                           std::to_string(seconds) + " (skew tolerance " +
                                           std::to_string(kClockSkewSeconds) + " s)"});
  }
  if (envelope.header.expires_at <= seconds - kClockSkewSeconds) {
    return unexpected(
        SignedStateError{SignedStateErrorKind::kExpired, "expired at " + std::to_string(envelope.header.expires_at) +
                                                             ", now " + std::to_string(seconds) + " (skew tolerance " +
                                                             std::to_string(kClockSkewSeconds) + " s)"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(const bool already, check_generation(state_, envelope.header, envelope.envelope_digest));
  return VerifiedArtifact{std::move(envelope.header), std::move(envelope.signer_key_id), std::move(envelope.payload),
                          envelope.envelope_digest, already};
}

base::Status<SignedStateError> TrustStore::commit(const VerifiedArtifact& artifact) {
  const std::array<const VerifiedArtifact*, 1> one = {&artifact};
  return commit(std::span<const VerifiedArtifact* const>(one));
}

base::Status<SignedStateError> TrustStore::commit(std::span<const VerifiedArtifact* const> artifacts) {
  RUSTYNET_RETURN_IF_ERROR(status());
  TrustState next = state_;
  bool changed = false;
  for (const VerifiedArtifact* artifact : artifacts) {
    // Checked against `next`, so two artifacts for the same (type, subject) in one batch are
    // ordered too.
    RUSTYNET_ASSIGN_OR_RETURN(const bool already, check_generation(next, artifact->header, artifact->envelope_digest));
    if (already) {
      continue;
    }
    AcceptedGeneration record{artifact->header.type, artifact->header.subject, artifact->header.generation,
                              artifact->envelope_digest};
    auto it = std::find_if(next.accepted.begin(), next.accepted.end(), [&](const AcceptedGeneration& a) {
      return a.type == record.type && a.subject == record.subject;
    });
    if (it != next.accepted.end()) {
      *it = std::move(record);
    } else {
      if (next.accepted.size() >= kMaxAcceptedRecords) {
        return unexpected(
            SignedStateError{SignedStateErrorKind::kInvalidArgument, "too many accepted-artifact records"});
      }
      next.accepted.push_back(std::move(record));
    }
    changed = true;
  }
  if (!changed) {
    return {};
  }
  RUSTYNET_RETURN_IF_ERROR(persist(next));
  state_ = std::move(next);
  return {};
}

base::Status<SignedStateError> TrustStore::add_signer(const Ed25519PublicKey& key) {
  RUSTYNET_RETURN_IF_ERROR(status());
  if (state_.find_signer(key.key_id()) != nullptr) {
    return unexpected(
        SignedStateError{SignedStateErrorKind::kInvalidArgument, "signer " + key.key_id() + " is already trusted"});
  }
  if (state_.signers.size() >= kMaxTrustedSigners) {
    return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument, "too many trusted signers"});
  }
  TrustState next = state_;
  next.signers.push_back(key);
  RUSTYNET_RETURN_IF_ERROR(persist(next));
  state_ = std::move(next);
  return {};
}

base::Status<SignedStateError> TrustStore::remove_signer(std::string_view key_id) {
  RUSTYNET_RETURN_IF_ERROR(status());
  if (state_.find_signer(key_id) == nullptr) {
    return unexpected(
        SignedStateError{SignedStateErrorKind::kInvalidArgument, "signer " + std::string(key_id) + " is not trusted"});
  }
  if (state_.signers.size() == 1) {
    return unexpected(SignedStateError{SignedStateErrorKind::kInvalidArgument,
                                       "refusing to remove the last trusted signer (add its successor first)"});
  }
  TrustState next = state_;
  next.signers.erase(std::remove_if(next.signers.begin(), next.signers.end(),
                                    [&](const Ed25519PublicKey& k) { return k.key_id() == key_id; }),
                     next.signers.end());
  RUSTYNET_RETURN_IF_ERROR(persist(next));
  state_ = std::move(next);
  return {};
}

base::Status<SignedStateError> TrustStore::reload() {
  auto loaded = load_file(options_, mac_key_);
  if (!loaded.has_value()) {
    failure_ = loaded.error();
    return unexpected(std::move(loaded).error());
  }
  state_ = std::move(loaded).value();
  failure_.reset();
  return {};
}

base::Status<SignedStateError> TrustStore::persist(const TrustState& next) {
  auto encoded = encode_trust_state(next, mac_key_);
  if (!encoded.has_value()) {
    return unexpected(std::move(encoded).error());
  }
  base::AtomicWriteOptions write_options = options_.write_options;
  write_options.mode = 0600;
  auto written = base::atomic_write_file(options_.path, *encoded, write_options);
  if (!written.has_value()) {
    // Memory and disk may now disagree about what was accepted: stop trusting anything until an
    // operator repairs the file and reload() succeeds.
    failure_ = SignedStateError{SignedStateErrorKind::kTrustStateUnwritable,
                                "could not persist trust state: " + written.error().describe()};
    return unexpected(*failure_);
  }
  return {};
}

}  // namespace rustynet::crypto
