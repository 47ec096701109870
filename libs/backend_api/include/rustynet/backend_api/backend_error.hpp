// SPDX-License-Identifier: Apache-2.0
// BackendError: the typed, protocol-agnostic error every TunnelBackend operation returns.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"

namespace rustynet::backend_api {

// Stable numbers: never renumber or reuse a value (they reach logs, CLI exit codes and API JSON).
// The spec (section 4, invariant 6) fixes the first four. kUnsupported is the one addition: a caller
// must tell "this backend cannot do that" (pick another backend, disable the feature) apart from
// "this request is malformed or inconsistent with current state" (a bug or stale data upstream).
enum class BackendErrorKind : std::uint8_t {
  kInvalidInput = 1,    // malformed value, or a request inconsistent with the current state
  kAlreadyRunning = 2,  // start() while running
  kNotRunning = 3,      // any running-state operation (or shutdown()) while not running
  kInternal = 4,        // the backend's own machinery failed (OS call, resource); see tunnel_backend.hpp
  kUnsupported = 5,     // the request needs a capability the backend reports as false (fail closed)
};

// "invalid_input", "already_running", "not_running", "internal", "unsupported".
[[nodiscard]] std::string_view to_string(BackendErrorKind kind) noexcept;
std::ostream& operator<<(std::ostream& out, BackendErrorKind kind);

// `message` is for humans and logs: it never contains secret material. Callers branch on `kind`
// only; messages are not part of the contract and may change.
struct BackendError {
  BackendErrorKind kind = BackendErrorKind::kInternal;
  std::string message;

  [[nodiscard]] static BackendError invalid_input(std::string message);
  [[nodiscard]] static BackendError already_running(std::string message);
  [[nodiscard]] static BackendError not_running(std::string message);
  [[nodiscard]] static BackendError internal(std::string message);
  [[nodiscard]] static BackendError unsupported(std::string message);

  // "kind: message".
  [[nodiscard]] std::string describe() const;

  friend bool operator==(const BackendError&, const BackendError&) = default;
};

std::ostream& operator<<(std::ostream& out, const BackendError& error);

template <class T>
using BackendResult = base::Result<T, BackendError>;
using BackendStatus = base::Status<BackendError>;

// Shorthand for `return fail(BackendError::invalid_input("..."));` style early returns.
[[nodiscard]] inline base::Unexpected<BackendError> fail(BackendError error) {
  return base::unexpected(std::move(error));
}

}  // namespace rustynet::backend_api
