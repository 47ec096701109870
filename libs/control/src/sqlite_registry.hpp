// SPDX-License-Identifier: Apache-2.0
// The node registry, policy document and signing counter on the control store's SQLite connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"
#include "rustynet/control/node_registry.hpp"
#include "sqlite_util.hpp"

namespace rustynet::control::detail {

// Shares the store's connection and mutex (one writer, one lock order). Multi-statement writes run
// inside BEGIN IMMEDIATE ... COMMIT and roll back on any failure.
class SqliteRegistry {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<SqliteRegistry>, StateError> create(sqlite3* db, std::mutex& mutex);
  SqliteRegistry(sqlite3* db, std::mutex& mutex) : db_(db), mutex_(&mutex) {}

  [[nodiscard]] base::Status<RegistryError> add_node(const RegisteredNode& node);
  [[nodiscard]] base::Result<std::uint64_t, RegistryError> add_batch(const std::vector<RegisteredNode>& nodes,
                                                                     const std::optional<std::string>& policy_document);
  [[nodiscard]] base::Status<RegistryError> remove_node(std::string_view node_id);
  [[nodiscard]] base::Result<std::vector<RegisteredNode>, RegistryError> list_nodes();
  [[nodiscard]] base::Result<std::optional<RegisteredNode>, RegistryError> find_node(std::string_view node_id);
  [[nodiscard]] base::Result<bool, RegistryError> set_endpoints(std::string_view node_id,
                                                                const std::vector<policy::SocketAddress>& endpoints);
  [[nodiscard]] base::Result<std::optional<StoredPolicy>, RegistryError> load_policy();
  [[nodiscard]] base::Result<std::uint64_t, RegistryError> store_policy(std::string_view document);
  [[nodiscard]] base::Result<std::uint64_t, RegistryError> reserve_signing_generations(std::uint64_t count);

 private:
  [[nodiscard]] base::Result<std::optional<RegisteredNode>, RegistryError> find_locked(std::string_view node_id);
  // Inside the caller's transaction; the caller validated the node.
  [[nodiscard]] base::Status<RegistryError> insert_locked(const RegisteredNode& node);
  [[nodiscard]] base::Result<std::uint64_t, RegistryError> store_policy_locked(std::string_view document);

  sqlite3* db_;
  std::mutex* mutex_;
  Statement insert_node_;
  Statement insert_address_;
  Statement delete_node_;
  Statement select_node_;
  Statement select_all_;
  Statement select_addresses_;
  Statement update_endpoints_;
  Statement select_policy_;
  Statement upsert_policy_;
  Statement bump_counter_;
};

}  // namespace rustynet::control::detail
