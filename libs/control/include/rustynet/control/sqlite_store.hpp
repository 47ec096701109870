// SPDX-License-Identifier: Apache-2.0
// SqliteControlStore: durable control state (revocations, nonces, node registry, policy) in one SQLite file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"
#include "rustynet/control/node_registry.hpp"
#include "rustynet/control/nonce_store.hpp"
#include "rustynet/control/revocation_store.hpp"

namespace rustynet::control {

// The store interface callers see: a PostgreSQL implementation for multi-instance deployments can
// implement it without touching them.
class ControlStore : public RevocationStore, public NonceStore, public NodeRegistry {
 public:
  // Drops revoked-token and nonce entries whose retain_until is before `now`.
  [[nodiscard]] virtual base::Status<StateError> prune(base::UnixTime now) = 0;
};

inline constexpr std::int64_t kControlStoreSchemaVersion = 2;  // 2 adds the node registry (1 upgrades in place)

struct SqliteStoreOptions {
  std::size_t nonce_capacity = 1'000'000;  // unexpired nonces kept at most; beyond: kFull (deny)
};

// One database file (mode 0600, created if missing) in the state directory. journal_mode=WAL,
// synchronous=FULL: a recorded nonce or revocation survives a crash or power loss once the call
// returned, so a restart never reopens a replay window. Thread-safe (one connection, one mutex).
class SqliteControlStore final : public ControlStore {
 public:
  // Errors: cannot open/create, not a database, WAL unavailable, schema version unknown.
  [[nodiscard]] static base::Result<std::unique_ptr<SqliteControlStore>, StateError> open(
      const std::string& path, const SqliteStoreOptions& options = {});
  ~SqliteControlStore() override;
  SqliteControlStore(const SqliteControlStore&) = delete;
  SqliteControlStore& operator=(const SqliteControlStore&) = delete;
  SqliteControlStore(SqliteControlStore&&) = delete;
  SqliteControlStore& operator=(SqliteControlStore&&) = delete;

  [[nodiscard]] base::Status<StateError> revoke_token(std::string_view token_id, base::UnixTime retain_until) override;
  [[nodiscard]] base::Status<StateError> revoke_subject(std::string_view subject) override;
  [[nodiscard]] base::Status<StateError> unrevoke_subject(std::string_view subject) override;
  [[nodiscard]] base::Result<bool, StateError> is_revoked(std::string_view token_id, std::string_view subject) override;
  [[nodiscard]] base::Result<NonceOutcome, StateError> record_once(std::string_view nonce, base::UnixTime retain_until,
                                                                   base::UnixTime now) override;
  [[nodiscard]] base::Status<StateError> prune(base::UnixTime now) override;

  [[nodiscard]] base::Status<RegistryError> add_node(const RegisteredNode& node) override;
  [[nodiscard]] base::Result<std::uint64_t, RegistryError> add_batch(
      const std::vector<RegisteredNode>& nodes, const std::optional<std::string>& policy_document) override;
  [[nodiscard]] base::Status<RegistryError> remove_node(std::string_view node_id) override;
  [[nodiscard]] base::Result<std::vector<RegisteredNode>, RegistryError> list_nodes() override;
  [[nodiscard]] base::Result<std::optional<RegisteredNode>, RegistryError> find_node(std::string_view node_id) override;
  [[nodiscard]] base::Result<bool, RegistryError> set_endpoints(
      std::string_view node_id, const std::vector<policy::SocketAddress>& endpoints) override;
  [[nodiscard]] base::Result<std::optional<StoredPolicy>, RegistryError> load_policy() override;
  [[nodiscard]] base::Result<std::uint64_t, RegistryError> store_policy(std::string_view document) override;
  [[nodiscard]] base::Result<std::uint64_t, RegistryError> reserve_signing_generations(std::uint64_t count) override;

  // "wal" when the database is in WAL mode (for tests and startup diagnostics).
  [[nodiscard]] base::Result<std::string, StateError> journal_mode();

 private:
  struct Impl;
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Use open(); public only so that std::make_unique can reach it.
  SqliteControlStore(PrivateTag tag, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rustynet::control
