// SPDX-License-Identifier: Apache-2.0
// Algorithm registry, strict policy parsing and time-based exception evaluation.
#include "rustynet/crypto/algorithm_policy.hpp"

#include <algorithm>
#include <array>
#include <ostream>
#include <utility>

#include "rustynet/base/strict_json.hpp"

namespace rustynet::crypto {
namespace {

struct RegistryEntry {
  std::string_view name;
  AlgorithmClass algorithm_class;
};

// Canonical lowercase names. Append only; moving a name to kDenied is a policy change that must
// be reflected in docs/crypto-policy.md.
constexpr std::array kRegistry = {
    // Baseline (spec 5.5 allowlist).
    RegistryEntry{"tls1.3", AlgorithmClass::kBaseline},
    RegistryEntry{"noise-ikpsk2", AlgorithmClass::kBaseline},  // the tunnel protocol's handshake model
    RegistryEntry{"chacha20-poly1305", AlgorithmClass::kBaseline}, RegistryEntry{"ed25519", AlgorithmClass::kBaseline},
    RegistryEntry{"x25519", AlgorithmClass::kBaseline}, RegistryEntry{"sha-256", AlgorithmClass::kBaseline},
    RegistryEntry{"sha-512", AlgorithmClass::kBaseline}, RegistryEntry{"blake2b", AlgorithmClass::kBaseline},
    RegistryEntry{"blake2s", AlgorithmClass::kBaseline}, RegistryEntry{"hkdf-sha256", AlgorithmClass::kBaseline},
    RegistryEntry{"argon2id", AlgorithmClass::kBaseline}, RegistryEntry{"aes-256-gcm", AlgorithmClass::kBaseline},
    RegistryEntry{"xchacha20-poly1305", AlgorithmClass::kBaseline},
    // Appended with the per-facility startup check (issue 18): the trust state's MAC and the
    // relay's keyed hash-table index were in use but had no name.
    RegistryEntry{"hmac-sha512-256", AlgorithmClass::kBaseline},
    RegistryEntry{"siphash-2-4", AlgorithmClass::kBaseline},
    // Compatibility: off unless an unexpired exception names them.
    RegistryEntry{"tls1.2", AlgorithmClass::kCompatibility},
    RegistryEntry{"aes-128-gcm", AlgorithmClass::kCompatibility},
    RegistryEntry{"ecdsa-p256", AlgorithmClass::kCompatibility},
    RegistryEntry{"rsa-2048", AlgorithmClass::kCompatibility},
    RegistryEntry{"rsa-3072", AlgorithmClass::kCompatibility},
    RegistryEntry{"ffdhe2048", AlgorithmClass::kCompatibility},
    RegistryEntry{"ffdhe3072", AlgorithmClass::kCompatibility},
    // Hard denylist (spec 5.5).
    RegistryEntry{"md5", AlgorithmClass::kDenied}, RegistryEntry{"sha-1", AlgorithmClass::kDenied},
    RegistryEntry{"hmac-sha1", AlgorithmClass::kDenied}, RegistryEntry{"rc4", AlgorithmClass::kDenied},
    RegistryEntry{"des", AlgorithmClass::kDenied}, RegistryEntry{"3des", AlgorithmClass::kDenied},
    RegistryEntry{"bf-cbc", AlgorithmClass::kDenied}, RegistryEntry{"aes-128-cbc", AlgorithmClass::kDenied},
    RegistryEntry{"aes-256-cbc", AlgorithmClass::kDenied}, RegistryEntry{"null", AlgorithmClass::kDenied},
    RegistryEntry{"ssl3", AlgorithmClass::kDenied}, RegistryEntry{"tls1.0", AlgorithmClass::kDenied},
    RegistryEntry{"tls1.1", AlgorithmClass::kDenied}, RegistryEntry{"ffdhe1024", AlgorithmClass::kDenied},
    RegistryEntry{"static-session-key", AlgorithmClass::kDenied},  // long-lived keys without a rekey model
    RegistryEntry{"protocol-downgrade", AlgorithmClass::kDenied},  // negotiating below the configured floor
};

constexpr std::string_view kCbcSuffix = "-cbc";
constexpr std::string_view kDhPrefix = "dh-";
constexpr std::int64_t kMinDhBits = 2048;
constexpr std::int64_t kMaxDhBits = 16384;

std::optional<std::int64_t> parse_decimal(std::string_view digits, std::size_t max_digits) {
  if (digits.empty() || digits.size() > max_digits) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t year, std::int64_t month, std::int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool is_leap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

std::int64_t days_in_month(std::int64_t year, std::int64_t month) {
  constexpr std::array<std::int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

AlgorithmPolicyError policy_error(AlgorithmPolicyErrorKind kind, std::string path, std::string message) {
  return AlgorithmPolicyError{kind, std::move(path), std::move(message)};
}

AlgorithmPolicyError from_json(const base::JsonError& error) {
  return policy_error(AlgorithmPolicyErrorKind::kMalformed, error.path, error.message);
}

// Checks a name used in the policy document or a configuration. `path` names where it came from.
base::Status<AlgorithmPolicyError> require_known(std::string_view name, const std::string& path,
                                                 AlgorithmClass& algorithm_class) {
  const auto found = classify_algorithm(name);
  if (!found.has_value()) {
    return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kUnknownAlgorithm, path,
                                         "unknown algorithm '" + std::string(name) + "'"));
  }
  if (*found == AlgorithmClass::kDenied) {
    return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kDeniedAlgorithm, path,
                                         "algorithm '" + std::string(name) + "' is on the hard denylist"));
  }
  algorithm_class = *found;
  return {};
}

std::string exception_warning(const AlgorithmException& exception) {
  return "crypto policy exception in force: '" + exception.algorithm + "' allowed until " +
         format_utc_timestamp(exception.expires) + " (risk owner: " + exception.risk_owner +
         "; reason: " + exception.reason + ")";
}

}  // namespace

std::string_view to_string(AlgorithmClass algorithm_class) noexcept {
  switch (algorithm_class) {
    case AlgorithmClass::kBaseline: return "baseline";
    case AlgorithmClass::kCompatibility: return "compatibility";
    case AlgorithmClass::kDenied: return "denied";
  }
  return "unknown";
}

std::optional<AlgorithmClass> classify_algorithm(std::string_view name) {
  for (const auto& entry : kRegistry) {
    if (entry.name == name) {
      return entry.algorithm_class;
    }
  }
  if (name.size() > kCbcSuffix.size() && name.substr(name.size() - kCbcSuffix.size()) == kCbcSuffix) {
    return AlgorithmClass::kDenied;
  }
  if (name.size() > kDhPrefix.size() && name.substr(0, kDhPrefix.size()) == kDhPrefix) {
    const auto bits = parse_decimal(name.substr(kDhPrefix.size()), 5);
    if (!bits.has_value() || *bits == 0 || *bits > kMaxDhBits || name[kDhPrefix.size()] == '0') {
      return std::nullopt;
    }
    return *bits < kMinDhBits ? AlgorithmClass::kDenied : AlgorithmClass::kCompatibility;
  }
  return std::nullopt;
}

std::vector<std::string_view> registered_algorithms(AlgorithmClass algorithm_class) {
  std::vector<std::string_view> names;
  for (const auto& entry : kRegistry) {
    if (entry.algorithm_class == algorithm_class) {
      names.push_back(entry.name);
    }
  }
  return names;
}

std::string_view to_string(AlgorithmPolicyErrorKind kind) noexcept {
  switch (kind) {
    case AlgorithmPolicyErrorKind::kMalformed: return "malformed";
    case AlgorithmPolicyErrorKind::kUnsupportedVersion: return "unsupported_version";
    case AlgorithmPolicyErrorKind::kUnknownAlgorithm: return "unknown_algorithm";
    case AlgorithmPolicyErrorKind::kDeniedAlgorithm: return "denied_algorithm";
    case AlgorithmPolicyErrorKind::kNotAllowed: return "not_allowed";
    case AlgorithmPolicyErrorKind::kInvalidException: return "invalid_exception";
  }
  return "unknown";
}

std::string AlgorithmPolicyError::describe() const {
  return "crypto policy: " + std::string(to_string(kind)) + ": " + path + ": " + message;
}

std::ostream& operator<<(std::ostream& out, const AlgorithmPolicyError& error) { return out << error.describe(); }

std::optional<base::UnixTime> parse_utc_timestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return std::nullopt;
  }
  const auto year = parse_decimal(text.substr(0, 4), 4);
  const auto month = parse_decimal(text.substr(5, 2), 2);
  const auto day = parse_decimal(text.substr(8, 2), 2);
  const auto hour = parse_decimal(text.substr(11, 2), 2);
  const auto minute = parse_decimal(text.substr(14, 2), 2);
  const auto second = parse_decimal(text.substr(17, 2), 2);
  if (!year || !month || !day || !hour || !minute || !second) {
    return std::nullopt;
  }
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) || *hour > 23 ||
      *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  const std::int64_t days = days_from_civil(*year, *month, *day);
  return base::UnixTime{days * 86400 + *hour * 3600 + *minute * 60 + *second};
}

std::string format_utc_timestamp(base::UnixTime time) {
  // civil_from_days (H. Hinnant).
  const std::int64_t seconds_of_day = ((time.seconds % 86400) + 86400) % 86400;
  const std::int64_t days = (time.seconds - seconds_of_day) / 86400 + 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t mp = (5 * day_of_year + 2) / 153;
  const std::int64_t day = day_of_year - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  auto two = [](std::int64_t value) {
    std::string text = std::to_string(value);
    return text.size() < 2 ? "0" + text : text;
  };
  std::string year_text = std::to_string(year);
  while (year_text.size() < 4) {
    year_text.insert(year_text.begin(), '0');
  }
  return year_text + "-" + two(month) + "-" + two(day) + "T" + two(seconds_of_day / 3600) + ":" +
         two((seconds_of_day % 3600) / 60) + ":" + two(seconds_of_day % 60) + "Z";
}

AlgorithmPolicy AlgorithmPolicy::baseline() {
  AlgorithmPolicy policy;
  for (auto name : registered_algorithms(AlgorithmClass::kBaseline)) {
    policy.allowed_.emplace_back(name);
  }
  return policy;
}

base::Result<AlgorithmPolicy, AlgorithmPolicyError> AlgorithmPolicy::parse(std::string_view json_text) {
  auto document = base::parse_strict_json(json_text);
  if (!document.has_value()) {
    return base::unexpected(from_json(document.error()));
  }
  auto reader_result = base::JsonObjectReader::create(*document, "$");
  if (!reader_result.has_value()) {
    return base::unexpected(from_json(reader_result.error()));
  }
  base::JsonObjectReader reader = std::move(reader_result).value();
  auto version = reader.required_int("version");
  if (!version.has_value()) {
    return base::unexpected(from_json(version.error()));
  }
  if (*version != 1) {
    return base::unexpected(
        policy_error(AlgorithmPolicyErrorKind::kUnsupportedVersion, reader.child_path("version"),
                     "unsupported policy version " + std::to_string(*version) + " (this build reads version 1)"));
  }
  AlgorithmPolicy policy;

  auto allow = reader.required_value("allow");
  if (!allow.has_value()) {
    return base::unexpected(from_json(allow.error()));
  }
  const std::string allow_path = reader.child_path("allow");
  if (!(*allow)->is_array()) {
    return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kMalformed, allow_path, "must be an array"));
  }
  std::size_t index = 0;
  for (const auto& item : **allow) {
    const std::string path = allow_path + "[" + std::to_string(index++) + "]";
    if (!item.is_string()) {
      return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kMalformed, path, "must be a string"));
    }
    const auto& name = item.get_ref<const std::string&>();
    AlgorithmClass algorithm_class = AlgorithmClass::kDenied;
    RUSTYNET_RETURN_IF_ERROR(require_known(name, path, algorithm_class));
    if (algorithm_class != AlgorithmClass::kBaseline) {
      return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kNotAllowed, path,
                                           "'" + name + "' is a compatibility algorithm: it needs an exception"));
    }
    if (std::find(policy.allowed_.begin(), policy.allowed_.end(), name) != policy.allowed_.end()) {
      return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kMalformed, path, "duplicate algorithm"));
    }
    policy.allowed_.push_back(name);
  }

  if (const auto* exceptions = reader.optional_value("exceptions"); exceptions != nullptr) {
    const std::string exceptions_path = reader.child_path("exceptions");
    if (!exceptions->is_array()) {
      return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kMalformed, exceptions_path, "must be an array"));
    }
    index = 0;
    for (const auto& item : *exceptions) {
      const std::string path = exceptions_path + "[" + std::to_string(index++) + "]";
      auto entry_reader_result = base::JsonObjectReader::create(item, path);
      if (!entry_reader_result.has_value()) {
        return base::unexpected(from_json(entry_reader_result.error()));
      }
      base::JsonObjectReader entry = std::move(entry_reader_result).value();
      auto algorithm = entry.required_string("algorithm");
      auto owner = entry.required_string("risk_owner");
      auto expires = entry.required_string("expires");
      auto reason = entry.required_string("reason");
      for (const auto* field : {&algorithm, &owner, &expires, &reason}) {
        if (!field->has_value()) {
          return base::unexpected(
              policy_error(AlgorithmPolicyErrorKind::kInvalidException, field->error().path, field->error().message));
        }
      }
      if (auto finished = entry.finish(); !finished.has_value()) {
        return base::unexpected(from_json(finished.error()));
      }
      AlgorithmClass algorithm_class = AlgorithmClass::kDenied;
      RUSTYNET_RETURN_IF_ERROR(require_known(*algorithm, path + ".algorithm", algorithm_class));
      if (algorithm_class == AlgorithmClass::kBaseline) {
        return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kInvalidException, path + ".algorithm",
                                             "'" + *algorithm + "' is a baseline algorithm: list it in allow"));
      }
      if (owner->empty() || reason->empty()) {
        return base::unexpected(
            policy_error(AlgorithmPolicyErrorKind::kInvalidException, path, "risk_owner and reason must not be empty"));
      }
      const auto expiry = parse_utc_timestamp(*expires);
      if (!expiry.has_value()) {
        return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kInvalidException, path + ".expires",
                                             "must be a UTC timestamp YYYY-MM-DDTHH:MM:SSZ"));
      }
      const bool duplicate = std::any_of(policy.exceptions_.begin(), policy.exceptions_.end(),
                                         [&](const AlgorithmException& e) { return e.algorithm == *algorithm; });
      if (duplicate) {
        return base::unexpected(policy_error(AlgorithmPolicyErrorKind::kInvalidException, path, "duplicate exception"));
      }
      policy.exceptions_.push_back(AlgorithmException{*algorithm, *owner, *expiry, *reason});
    }
  }
  if (auto finished = reader.finish(); !finished.has_value()) {
    return base::unexpected(from_json(finished.error()));
  }
  return policy;
}

AlgorithmDecision AlgorithmPolicy::evaluate(std::string_view algorithm, base::UnixTime now) const {
  const auto algorithm_class = classify_algorithm(algorithm);
  const std::string name(algorithm);
  if (!algorithm_class.has_value()) {
    return {AlgorithmVerdict::kDenied, "unknown algorithm '" + name + "'"};
  }
  switch (*algorithm_class) {
    case AlgorithmClass::kDenied: return {AlgorithmVerdict::kDenied, "'" + name + "' is on the hard denylist"};
    case AlgorithmClass::kBaseline:
      if (std::find(allowed_.begin(), allowed_.end(), name) != allowed_.end()) {
        return {AlgorithmVerdict::kAllowed, {}};
      }
      return {AlgorithmVerdict::kDenied, "'" + name + "' is not enabled by the policy"};
    case AlgorithmClass::kCompatibility: break;
  }
  for (const auto& exception : exceptions_) {
    if (exception.algorithm != name) {
      continue;
    }
    if (now < exception.expires) {
      return {AlgorithmVerdict::kAllowedByException, exception_warning(exception)};
    }
    return {AlgorithmVerdict::kDenied,
            "exception for '" + name + "' expired at " + format_utc_timestamp(exception.expires)};
  }
  return {AlgorithmVerdict::kDenied, "'" + name + "' is a compatibility algorithm without an exception"};
}

base::Status<AlgorithmPolicyError> AlgorithmPolicy::check_in_use(std::span<const std::string> algorithms,
                                                                 const base::Clock& clock,
                                                                 std::vector<std::string>& warnings) const {
  const auto now = clock.wall_now();
  for (const auto& name : algorithms) {
    const auto algorithm_class = classify_algorithm(name);
    if (!algorithm_class.has_value()) {
      return base::unexpected(
          policy_error(AlgorithmPolicyErrorKind::kUnknownAlgorithm, name, "unknown algorithm in configuration"));
    }
    if (*algorithm_class == AlgorithmClass::kCompatibility && !now.has_value()) {
      return base::unexpected(
          policy_error(AlgorithmPolicyErrorKind::kDeniedAlgorithm, name,
                       "wall clock unusable, exceptions cannot be honoured: " + now.error().reason));
    }
    // With no usable clock only baseline names reach evaluate(), which ignores time for them.
    const AlgorithmDecision decision = evaluate(name, now.has_value() ? *now : base::UnixTime{0});
    switch (decision.verdict) {
      case AlgorithmVerdict::kAllowed: break;
      case AlgorithmVerdict::kAllowedByException: warnings.push_back(decision.message); break;
      case AlgorithmVerdict::kDenied: {
        const auto kind = *algorithm_class == AlgorithmClass::kBaseline ? AlgorithmPolicyErrorKind::kNotAllowed
                                                                        : AlgorithmPolicyErrorKind::kDeniedAlgorithm;
        return base::unexpected(policy_error(kind, name, decision.message));
      }
    }
  }
  return {};
}

std::vector<std::string> AlgorithmPolicy::warnings(base::UnixTime now) const {
  std::vector<std::string> out;
  for (const auto& exception : exceptions_) {
    if (now < exception.expires) {
      out.push_back(exception_warning(exception));
    } else {
      out.push_back("crypto policy exception for '" + exception.algorithm + "' expired at " +
                    format_utc_timestamp(exception.expires) + ": the algorithm is denied again");
    }
  }
  return out;
}

}  // namespace rustynet::crypto
