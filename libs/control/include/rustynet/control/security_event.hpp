// SPDX-License-Identifier: Apache-2.0
// Security events: one structured record per access decision, written to a dedicated log sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"

namespace rustynet::control {

// 2 added abuse_key; every version-1 field keeps its name and meaning.
inline constexpr std::int64_t kSecurityEventVersion = 2;

// Schema (JSON object, one per line), see docs/threat-model.md "Abuse visibility":
//   schema "rustynet.security_event", version, timestamp (Unix seconds or null when the wall clock
//   is unusable), source_ip, identity (claimed or verified handle, or null), identity_verified,
//   endpoint, outcome ("allow"/"deny"), failure_class, limiter_decision, lockout_decision,
//   retry_after_ms, abuse_key (which state the limit and lockout used: "source", "source_identity",
//   "identity" or "none"). Never tokens, nonces, keys or request bodies.
struct SecurityEvent {
  std::optional<base::UnixTime> timestamp;
  std::string source_ip;
  std::string identity;  // empty: unknown
  bool identity_verified = false;
  std::string endpoint;
  bool allowed = false;
  std::string failure_class = "none";
  // allow | deny_ip | deny_source_identity | deny_identity | deny_identity_write | deny_identity_failures
  // | error | not_evaluated
  std::string limiter_decision = "not_evaluated";
  std::string lockout_decision = "not_evaluated";  // allow | locked | error | not_evaluated
  std::string abuse_key = "none";                  // source | source_identity | identity | none
  std::chrono::milliseconds retry_after{0};
};

// The event as one JSON line (nlohmann/json; strings escaped, invalid UTF-8 replaced, identity and
// endpoint truncated to 128 bytes).
[[nodiscard]] std::string to_json_line(const SecurityEvent& event);

// Where events go. Implementations must be thread-safe.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const SecurityEvent& event) = 0;
};

// A dedicated spdlog logger (not the global one, not registered) whose only output is the event
// JSON, flushed after every event. Errors: the file cannot be opened.
[[nodiscard]] base::Result<std::unique_ptr<EventSink>, ConfigError> make_file_event_sink(const std::string& path);
// Same logger type writing each formatted line to `consumer` (tests, forwarding).
[[nodiscard]] std::unique_ptr<EventSink> make_callback_event_sink(std::function<void(std::string_view)> consumer);

}  // namespace rustynet::control
