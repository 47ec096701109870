// SPDX-License-Identifier: Apache-2.0
// Algorithm policy: allowlist, hard denylist and expiring exceptions (spec 5.5, docs/crypto-policy.md).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"

namespace rustynet::crypto {

enum class AlgorithmClass : std::uint8_t {
  kBaseline,       // on the Phase 1 allowlist
  kCompatibility,  // not allowed by default; usable only under a valid, unexpired exception
  kDenied,         // hard denylist: never usable, no exception possible
};

[[nodiscard]] std::string_view to_string(AlgorithmClass algorithm_class) noexcept;

// Classifies a canonical (lowercase) algorithm name; nullopt for names this build does not know.
// Families: "dh-<bits>" is denied below 2048 bits and compatibility from 2048 up; every "*-cbc"
// name is denied (non-AEAD CBC). The full table is in docs/crypto-policy.md.
[[nodiscard]] std::optional<AlgorithmClass> classify_algorithm(std::string_view name);

// Names of every fixed (non-family) algorithm in the registry, for docs and tests.
[[nodiscard]] std::vector<std::string_view> registered_algorithms(AlgorithmClass algorithm_class);

enum class AlgorithmPolicyErrorKind : std::uint8_t {
  kMalformed = 0,           // not valid strict JSON / wrong field types / unknown fields
  kUnsupportedVersion = 1,  // "version" other than 1
  kUnknownAlgorithm = 2,    // a name the registry does not know
  kDeniedAlgorithm = 3,     // a hard-denied algorithm, or a compatibility one without a valid exception
  kNotAllowed = 4,          // known and permissible, but not enabled by this policy
  kInvalidException = 5,    // exception missing owner/reason, bad expiry, duplicate, or not needed
};

struct AlgorithmPolicyError {
  AlgorithmPolicyErrorKind kind = AlgorithmPolicyErrorKind::kMalformed;
  std::string path;  // JSON path or algorithm name
  std::string message;

  [[nodiscard]] std::string describe() const;
};

[[nodiscard]] std::string_view to_string(AlgorithmPolicyErrorKind kind) noexcept;
std::ostream& operator<<(std::ostream& out, const AlgorithmPolicyError& error);

struct AlgorithmException {
  std::string algorithm;
  std::string risk_owner;
  base::UnixTime expires;  // the exception is valid while now < expires
  std::string reason;
};

enum class AlgorithmVerdict : std::uint8_t { kAllowed, kAllowedByException, kDenied };

struct AlgorithmDecision {
  AlgorithmVerdict verdict = AlgorithmVerdict::kDenied;
  std::string message;  // for kAllowedByException: the operator warning; for kDenied: why
};

// Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC only). nullopt if malformed or out of range.
[[nodiscard]] std::optional<base::UnixTime> parse_utc_timestamp(std::string_view text);
[[nodiscard]] std::string format_utc_timestamp(base::UnixTime time);

// An immutable, validated policy. Thread-safe for const use. Time is always a parameter, so an
// exception stops being honoured the second it expires, without a reload.
class AlgorithmPolicy {
 public:
  // Every baseline algorithm allowed, no exceptions.
  [[nodiscard]] static AlgorithmPolicy baseline();

  // Parses a version-1 policy document:
  //   {"version": 1,
  //    "allow": ["ed25519", ...],                      // baseline names only
  //    "exceptions": [{"algorithm": "tls1.2", "risk_owner": "...", "expires": "2027-01-31T00:00:00Z",
  //                    "reason": "..."}]}              // optional; compatibility names only
  // Fails (fail closed) on: malformed JSON/unknown fields (kMalformed), version != 1
  // (kUnsupportedVersion), an unknown name anywhere (kUnknownAlgorithm), a denied name anywhere
  // (kDeniedAlgorithm), a compatibility name in "allow" (kNotAllowed: it needs an exception), an
  // exception without risk owner/reason, with a bad expiry, for a baseline name or duplicated
  // (kInvalidException). Already-expired exceptions parse (so an old file still loads) and are
  // simply never honoured; warnings() reports them.
  [[nodiscard]] static base::Result<AlgorithmPolicy, AlgorithmPolicyError> parse(std::string_view json_text);

  // The verdict for one algorithm at `now`.
  [[nodiscard]] AlgorithmDecision evaluate(std::string_view algorithm, base::UnixTime now) const;

  // Startup check of the algorithms a configuration uses. Reads the wall clock once; if it is
  // unusable no exception is honoured (fail closed). Operator-visible warnings for every exception
  // in use are appended to `warnings`. Errors: the first algorithm that is not allowed, with
  // kUnknownAlgorithm, kDeniedAlgorithm or kNotAllowed.
  [[nodiscard]] base::Status<AlgorithmPolicyError> check_in_use(std::span<const std::string> algorithms,
                                                                const base::Clock& clock,
                                                                std::vector<std::string>& warnings) const;

  // Warnings to show the operator at `now`: one per valid exception (owner, expiry, reason) and
  // one per expired exception (now denied).
  [[nodiscard]] std::vector<std::string> warnings(base::UnixTime now) const;

  [[nodiscard]] const std::vector<std::string>& allowed() const noexcept { return allowed_; }
  [[nodiscard]] const std::vector<AlgorithmException>& exceptions() const noexcept { return exceptions_; }

 private:
  AlgorithmPolicy() = default;
  std::vector<std::string> allowed_;
  std::vector<AlgorithmException> exceptions_;
};

}  // namespace rustynet::crypto
