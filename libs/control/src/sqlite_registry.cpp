// SPDX-License-Identifier: Apache-2.0
// SQLite node registry: uniqueness enforced by the schema, multi-row writes in one transaction.
#include "sqlite_registry.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "rustynet/policy/node_inventory.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::control::detail {
namespace {

RegistryError state_error(sqlite3* db, std::string_view what) {
  return RegistryError{RegistryErrorKind::kState, db_error(db, what).message};
}

RegistryError invalid(std::string message) { return RegistryError{RegistryErrorKind::kInvalid, std::move(message)}; }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out.push_back(',');
    }
    out.append(item);
  }
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string endpoints_text(const std::vector<policy::SocketAddress>& endpoints) {
  std::vector<std::string> parts;
  parts.reserve(endpoints.size());
  for (const auto& endpoint : endpoints) {
    parts.push_back(endpoint.to_string());
  }
  return join(parts);
}

std::string_view column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (text == nullptr || size <= 0) {
    return {};
  }
  return {static_cast<const char*>(static_cast<const void*>(text)), static_cast<std::size_t>(size)};
}

bool column_key(sqlite3_stmt* stmt, int column, PublicKeyBytes& out) {
  const void* blob = sqlite3_column_blob(stmt, column);
  if (blob == nullptr || sqlite3_column_bytes(stmt, column) != static_cast<int>(out.size())) {
    return false;
  }
  const auto* bytes = static_cast<const std::uint8_t*>(blob);
  std::copy(bytes, bytes + out.size(), out.begin());
  return true;
}

bool bind_blob(sqlite3_stmt* stmt, int index, const PublicKeyBytes& key) {
  return sqlite3_bind_blob(stmt, index, key.data(), static_cast<int>(key.size()), nullptr) == SQLITE_OK;
}

// Which unique column a constraint failure names, in operator terms (no key material).
std::string conflict_message(sqlite3* db) {
  const std::string_view message = sqlite3_errmsg(db);
  if (message.find("nodes.node_id") != std::string_view::npos) {
    return "node_id already registered";
  }
  if (message.find("identity_key") != std::string_view::npos) {
    return "identity_public_key already registered";
  }
  if (message.find("tunnel_key") != std::string_view::npos) {
    return "tunnel_public_key already registered";
  }
  if (message.find("node_addresses.address") != std::string_view::npos) {
    return "address already registered";
  }
  return "conflicts with a registered node";
}

base::Status<RegistryError> validate(const RegisteredNode& node) {
  if (!policy::is_valid_identifier(node.node_id)) {
    return base::unexpected(invalid("node_id: not a valid identifier"));
  }
  if (node.node_id == "admin") {
    return base::unexpected(invalid("node_id: 'admin' is reserved for admin tokens"));
  }
  if (node.addresses.empty() || node.addresses.size() > policy::kMaxAddressesPerNode) {
    return base::unexpected(invalid("addresses: 1.." + std::to_string(policy::kMaxAddressesPerNode) + " required"));
  }
  if (std::set<policy::IpAddress>(node.addresses.begin(), node.addresses.end()).size() != node.addresses.size()) {
    return base::unexpected(invalid("addresses: duplicate address"));
  }
  if (node.tags.size() > policy::kMaxTagsPerNode) {
    return base::unexpected(invalid("tags: too many"));
  }
  for (const auto& tag : node.tags) {
    if (!policy::is_valid_identifier(tag)) {
      return base::unexpected(invalid("tags: not a valid identifier"));
    }
  }
  if (std::set<std::string>(node.tags.begin(), node.tags.end()).size() != node.tags.size()) {
    return base::unexpected(invalid("tags: duplicate tag"));
  }
  if (node.endpoints.size() > policy::kMaxEndpointsPerPeer) {
    return base::unexpected(invalid("endpoints: too many"));
  }
  return {};
}

// Rolls back unless commit() was called.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_) {
      static_cast<void>(exec(db_, "ROLLBACK"));
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  base::Status<RegistryError> begin() {
    if (!exec(db_, "BEGIN IMMEDIATE").has_value()) {
      return base::unexpected(state_error(db_, "begin failed"));
    }
    open_ = true;
    return {};
  }
  base::Status<RegistryError> commit() {
    if (!exec(db_, "COMMIT").has_value()) {
      return base::unexpected(state_error(db_, "commit failed"));
    }
    open_ = false;
    return {};
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace

base::Result<std::unique_ptr<SqliteRegistry>, StateError> SqliteRegistry::create(sqlite3* db, std::mutex& mutex) {
  auto registry = std::make_unique<SqliteRegistry>(db, mutex);
  RUSTYNET_ASSIGN_OR_RETURN(
      registry->insert_node_,
      prepare(db, "INSERT INTO nodes(node_id, identity_key, tunnel_key, tags, endpoints) VALUES(?1, ?2, ?3, ?4, ?5)"));
  RUSTYNET_ASSIGN_OR_RETURN(registry->insert_address_,
                            prepare(db, "INSERT INTO node_addresses(address, node_id, position) VALUES(?1, ?2, ?3)"));
  RUSTYNET_ASSIGN_OR_RETURN(registry->delete_node_, prepare(db, "DELETE FROM nodes WHERE node_id = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(
      registry->select_node_,
      prepare(db, "SELECT node_id, identity_key, tunnel_key, tags, endpoints FROM nodes WHERE node_id = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(
      registry->select_all_,
      prepare(db, "SELECT node_id, identity_key, tunnel_key, tags, endpoints FROM nodes ORDER BY node_id"));
  RUSTYNET_ASSIGN_OR_RETURN(registry->select_addresses_,
                            prepare(db, "SELECT address FROM node_addresses WHERE node_id = ?1 ORDER BY position"));
  RUSTYNET_ASSIGN_OR_RETURN(registry->update_endpoints_,
                            prepare(db, "UPDATE nodes SET endpoints = ?2 WHERE node_id = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(registry->select_policy_, prepare(db, "SELECT generation, document FROM policy"));
  RUSTYNET_ASSIGN_OR_RETURN(registry->upsert_policy_,
                            prepare(db,
                                    "INSERT INTO policy(id, generation, document) VALUES(1, 1, ?1) "
                                    "ON CONFLICT(id) DO UPDATE SET generation = generation + 1, "
                                    "document = excluded.document RETURNING generation"));
  RUSTYNET_ASSIGN_OR_RETURN(
      registry->bump_counter_,
      prepare(db, "UPDATE counters SET value = value + ?1 WHERE name = 'signing_generation' RETURNING value"));
  return registry;
}

base::Status<RegistryError> SqliteRegistry::add_node(const RegisteredNode& node) {
  RUSTYNET_RETURN_IF_ERROR(validate(node));
  const std::lock_guard lock(*mutex_);
  Transaction transaction(db_);
  RUSTYNET_RETURN_IF_ERROR(transaction.begin());
  RUSTYNET_RETURN_IF_ERROR(insert_locked(node));
  return transaction.commit();
}

base::Result<std::uint64_t, RegistryError> SqliteRegistry::add_batch(
    const std::vector<RegisteredNode>& nodes, const std::optional<std::string>& policy_document) {
  const auto named = [](std::size_t index, RegistryError error) {
    error.message = "nodes[" + std::to_string(index) + "]: " + error.message;
    return error;
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (auto valid = validate(nodes[i]); !valid.has_value()) {
      return base::unexpected(named(i, valid.error()));
    }
  }
  if (policy_document.has_value() && policy_document->size() > policy::kMaxPolicyBytes) {
    return base::unexpected(invalid("policy document too large"));
  }
  const std::lock_guard lock(*mutex_);
  Transaction transaction(db_);
  RUSTYNET_RETURN_IF_ERROR(transaction.begin());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (auto inserted = insert_locked(nodes[i]); !inserted.has_value()) {
      return base::unexpected(named(i, inserted.error()));
    }
  }
  std::uint64_t generation = 0;
  if (policy_document.has_value()) {
    RUSTYNET_ASSIGN_OR_RETURN(generation, store_policy_locked(*policy_document));
  }
  RUSTYNET_RETURN_IF_ERROR(transaction.commit());
  return generation;
}

base::Status<RegistryError> SqliteRegistry::insert_locked(const RegisteredNode& node) {
  std::vector<std::string> tags = node.tags;
  {
    sqlite3_stmt* stmt = insert_node_.get();
    const StatementScope scope(stmt);
    const std::string tag_text = join(tags);
    const std::string endpoint_text = endpoints_text(node.endpoints);
    if (!bind_text(stmt, 1, node.node_id) || !bind_blob(stmt, 2, node.identity_public_key) ||
        !bind_blob(stmt, 3, node.tunnel_public_key) || !bind_text(stmt, 4, tag_text) ||
        !bind_text(stmt, 5, endpoint_text)) {
      return base::unexpected(state_error(db_, "bind failed"));
    }
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_CONSTRAINT) {
      return base::unexpected(RegistryError{RegistryErrorKind::kConflict, conflict_message(db_)});
    }
    if (rc != SQLITE_DONE) {
      return base::unexpected(state_error(db_, "node insert failed"));
    }
  }
  int position = 0;
  for (const auto& address : node.addresses) {
    sqlite3_stmt* stmt = insert_address_.get();
    const StatementScope scope(stmt);
    const std::string text = address.to_string();
    if (!bind_text(stmt, 1, text) || !bind_text(stmt, 2, node.node_id) ||
        sqlite3_bind_int(stmt, 3, position++) != SQLITE_OK) {
      return base::unexpected(state_error(db_, "bind failed"));
    }
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_CONSTRAINT) {
      return base::unexpected(RegistryError{RegistryErrorKind::kConflict, conflict_message(db_)});
    }
    if (rc != SQLITE_DONE) {
      return base::unexpected(state_error(db_, "address insert failed"));
    }
  }
  return {};
}

base::Status<RegistryError> SqliteRegistry::remove_node(std::string_view node_id) {
  const std::lock_guard lock(*mutex_);
  sqlite3_stmt* stmt = delete_node_.get();
  const StatementScope scope(stmt);
  if (!bind_text(stmt, 1, node_id)) {
    return base::unexpected(state_error(db_, "bind failed"));
  }
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    return base::unexpected(state_error(db_, "node delete failed"));
  }
  if (sqlite3_changes(db_) == 0) {
    return base::unexpected(RegistryError{RegistryErrorKind::kNotFound, "no such node"});
  }
  return {};  // node_addresses rows go with it (ON DELETE CASCADE, foreign_keys=ON)
}

base::Result<std::optional<RegisteredNode>, RegistryError> SqliteRegistry::find_locked(std::string_view node_id) {
  RegisteredNode node;
  {
    sqlite3_stmt* stmt = select_node_.get();
    const StatementScope scope(stmt);
    if (!bind_text(stmt, 1, node_id)) {
      return base::unexpected(state_error(db_, "bind failed"));
    }
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
      return std::optional<RegisteredNode>();
    }
    if (rc != SQLITE_ROW) {
      return base::unexpected(state_error(db_, "node read failed"));
    }
    node.node_id = std::string(column_text(stmt, 0));
    if (!column_key(stmt, 1, node.identity_public_key) || !column_key(stmt, 2, node.tunnel_public_key)) {
      return base::unexpected(RegistryError{RegistryErrorKind::kState, "control store: corrupt node key"});
    }
    node.tags = split(column_text(stmt, 3));
    for (const auto& text : split(column_text(stmt, 4))) {
      auto endpoint = policy::SocketAddress::parse(text);
      if (!endpoint.has_value()) {
        return base::unexpected(RegistryError{RegistryErrorKind::kState, "control store: corrupt endpoint"});
      }
      node.endpoints.push_back(*endpoint);
    }
  }
  sqlite3_stmt* stmt = select_addresses_.get();
  const StatementScope scope(stmt);
  if (!bind_text(stmt, 1, node.node_id)) {
    return base::unexpected(state_error(db_, "bind failed"));
  }
  int rc = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    auto address = policy::IpAddress::parse(column_text(stmt, 0));
    if (!address.has_value()) {
      return base::unexpected(RegistryError{RegistryErrorKind::kState, "control store: corrupt address"});
    }
    node.addresses.push_back(*address);
  }
  if (rc != SQLITE_DONE) {
    return base::unexpected(state_error(db_, "address read failed"));
  }
  return std::optional<RegisteredNode>(std::move(node));
}

base::Result<std::optional<RegisteredNode>, RegistryError> SqliteRegistry::find_node(std::string_view node_id) {
  const std::lock_guard lock(*mutex_);
  return find_locked(node_id);
}

base::Result<std::vector<RegisteredNode>, RegistryError> SqliteRegistry::list_nodes() {
  const std::lock_guard lock(*mutex_);
  std::vector<std::string> ids;
  {
    sqlite3_stmt* stmt = select_all_.get();
    const StatementScope scope(stmt);
    int rc = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      ids.emplace_back(column_text(stmt, 0));
    }
    if (rc != SQLITE_DONE) {
      return base::unexpected(state_error(db_, "node list failed"));
    }
  }
  std::vector<RegisteredNode> nodes;
  nodes.reserve(ids.size());
  for (const auto& id : ids) {
    RUSTYNET_ASSIGN_OR_RETURN(auto node, find_locked(id));
    if (node.has_value()) {
      nodes.push_back(std::move(*node));
    }
  }
  return nodes;
}

base::Result<bool, RegistryError> SqliteRegistry::set_endpoints(const std::string_view node_id,
                                                                const std::vector<policy::SocketAddress>& endpoints) {
  if (endpoints.size() > policy::kMaxEndpointsPerPeer) {
    return base::unexpected(invalid("endpoints: too many"));
  }
  const std::lock_guard lock(*mutex_);
  RUSTYNET_ASSIGN_OR_RETURN(auto current, find_locked(node_id));
  if (!current.has_value()) {
    return base::unexpected(RegistryError{RegistryErrorKind::kNotFound, "no such node"});
  }
  if (current->endpoints == endpoints) {
    return false;
  }
  sqlite3_stmt* stmt = update_endpoints_.get();
  const StatementScope scope(stmt);
  const std::string text = endpoints_text(endpoints);
  if (!bind_text(stmt, 1, node_id) || !bind_text(stmt, 2, text)) {
    return base::unexpected(state_error(db_, "bind failed"));
  }
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    return base::unexpected(state_error(db_, "endpoint update failed"));
  }
  return true;
}

base::Result<std::optional<StoredPolicy>, RegistryError> SqliteRegistry::load_policy() {
  const std::lock_guard lock(*mutex_);
  sqlite3_stmt* stmt = select_policy_.get();
  const StatementScope scope(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) {
    return std::optional<StoredPolicy>();
  }
  if (rc != SQLITE_ROW) {
    return base::unexpected(state_error(db_, "policy read failed"));
  }
  StoredPolicy stored;
  stored.generation = static_cast<std::uint64_t>(std::max<sqlite3_int64>(0, sqlite3_column_int64(stmt, 0)));
  const void* blob = sqlite3_column_blob(stmt, 1);
  const int size = sqlite3_column_bytes(stmt, 1);
  if (blob != nullptr && size > 0) {
    const auto* bytes = static_cast<const char*>(blob);
    stored.document.assign(bytes, bytes + size);
  }
  return std::optional<StoredPolicy>(std::move(stored));
}

base::Result<std::uint64_t, RegistryError> SqliteRegistry::store_policy(std::string_view document) {
  if (document.size() > policy::kMaxPolicyBytes) {
    return base::unexpected(invalid("policy document too large"));
  }
  const std::lock_guard lock(*mutex_);
  return store_policy_locked(document);
}

base::Result<std::uint64_t, RegistryError> SqliteRegistry::store_policy_locked(std::string_view document) {
  sqlite3_stmt* stmt = upsert_policy_.get();
  const StatementScope scope(stmt);
  if (sqlite3_bind_blob(stmt, 1, document.data(), static_cast<int>(document.size()), nullptr) != SQLITE_OK) {
    return base::unexpected(state_error(db_, "bind failed"));
  }
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    return base::unexpected(state_error(db_, "policy write failed"));
  }
  const sqlite3_int64 generation = sqlite3_column_int64(stmt, 0);
  if (sqlite3_step(stmt) != SQLITE_DONE) {  // completes (commits) the statement
    return base::unexpected(state_error(db_, "policy write failed"));
  }
  return static_cast<std::uint64_t>(std::max<sqlite3_int64>(1, generation));
}

base::Result<std::uint64_t, RegistryError> SqliteRegistry::reserve_signing_generations(std::uint64_t count) {
  if (count == 0 || count > (1U << 20U)) {
    return base::unexpected(invalid("generation reservation must be 1..1048576"));
  }
  const std::lock_guard lock(*mutex_);
  sqlite3_stmt* stmt = bump_counter_.get();
  const StatementScope scope(stmt);
  if (sqlite3_bind_int64(stmt, 1, static_cast<sqlite3_int64>(count)) != SQLITE_OK) {
    return base::unexpected(state_error(db_, "bind failed"));
  }
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    return base::unexpected(state_error(db_, "generation counter update failed"));
  }
  const sqlite3_int64 value = sqlite3_column_int64(stmt, 0);
  // The autocommit write is durable (synchronous=FULL) once the statement completes.
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    return base::unexpected(state_error(db_, "generation counter update failed"));
  }
  if (value <= 0) {
    return base::unexpected(RegistryError{RegistryErrorKind::kState, "control store: corrupt generation counter"});
  }
  return static_cast<std::uint64_t>(value);
}

}  // namespace rustynet::control::detail
