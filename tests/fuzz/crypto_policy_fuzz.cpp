// SPDX-License-Identifier: Apache-2.0
// Fuzz target: crypto::AlgorithmPolicy::parse (the operator's crypto algorithm policy file).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/algorithm_policy.hpp"

namespace crypto = rustynet::crypto;
using rustynet::base::UnixTime;

namespace {

// The document a parsed policy stands for, rebuilt from its accessors.
std::string reencode(const crypto::AlgorithmPolicy& parsed) {
  nlohmann::json document = {{"version", 1}, {"allow", parsed.allowed()}};
  nlohmann::json exceptions = nlohmann::json::array();
  for (const auto& exception : parsed.exceptions()) {
    exceptions.push_back({{"algorithm", exception.algorithm},
                          {"risk_owner", exception.risk_owner},
                          {"expires", crypto::format_utc_timestamp(exception.expires)},
                          {"reason", exception.reason}});
  }
  document["exceptions"] = std::move(exceptions);
  return document.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  // The timestamp parser on its own: whatever parses formats back to the same instant.
  if (auto instant = crypto::parse_utc_timestamp(text); instant.has_value()) {
    FUZZ_CHECK(crypto::parse_utc_timestamp(crypto::format_utc_timestamp(*instant)) == instant);
  }
  auto parsed = crypto::AlgorithmPolicy::parse(text);
  if (!parsed.has_value()) {
    return 0;
  }
  const UnixTime now{1'800'000'000};
  // Every allowed name is a baseline algorithm and evaluates as allowed at any time.
  for (const auto& name : parsed->allowed()) {
    FUZZ_CHECK(crypto::classify_algorithm(name) == crypto::AlgorithmClass::kBaseline);
    FUZZ_CHECK(parsed->evaluate(name, now).verdict == crypto::AlgorithmVerdict::kAllowed);
  }
  // Every exception is for a compatibility algorithm, honoured strictly before its expiry only.
  for (const auto& exception : parsed->exceptions()) {
    FUZZ_CHECK(crypto::classify_algorithm(exception.algorithm) == crypto::AlgorithmClass::kCompatibility);
    FUZZ_CHECK(!exception.risk_owner.empty() && !exception.reason.empty());
    FUZZ_CHECK(parsed->evaluate(exception.algorithm, UnixTime{exception.expires.seconds - 1}).verdict ==
               crypto::AlgorithmVerdict::kAllowedByException);
    FUZZ_CHECK(parsed->evaluate(exception.algorithm, exception.expires).verdict == crypto::AlgorithmVerdict::kDenied);
  }
  // Hard-denied algorithms stay denied whatever the document says.
  FUZZ_CHECK(parsed->evaluate("aes-128-cbc", now).verdict == crypto::AlgorithmVerdict::kDenied);
  // Re-encoding the parsed policy gives a document that parses to the same policy.
  auto again = crypto::AlgorithmPolicy::parse(reencode(*parsed));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->allowed() == parsed->allowed());
  FUZZ_CHECK(again->exceptions().size() == parsed->exceptions().size());
  FUZZ_CHECK(reencode(*again) == reencode(*parsed));
  return 0;
}
