// SPDX-License-Identifier: Apache-2.0
// SQLite implementation of the control store: WAL, synchronous=FULL, prepared statements, one mutex.
#include "rustynet/control/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"
#include "sqlite_registry.hpp"
#include "sqlite_util.hpp"

namespace rustynet::control {
namespace {

using detail::bind_text;
using detail::db_error;
using detail::DbHandle;
using detail::exec;
using detail::prepare;
using detail::Statement;
using detail::StatementScope;

constexpr std::size_t kPruneEvery = 4096;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS revoked_tokens(token_id TEXT PRIMARY KEY, retain_until INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS revoked_subjects(subject TEXT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS used_nonces(nonce TEXT PRIMARY KEY, retain_until INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS used_nonces_by_retain ON used_nonces(retain_until);"
    "CREATE INDEX IF NOT EXISTS revoked_tokens_by_retain ON revoked_tokens(retain_until);"
    // Schema 2: the node registry, the policy document and the signing-generation counter.
    "CREATE TABLE IF NOT EXISTS nodes(node_id TEXT PRIMARY KEY, identity_key BLOB NOT NULL UNIQUE,"
    " tunnel_key BLOB NOT NULL UNIQUE, tags TEXT NOT NULL, endpoints TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS node_addresses(address TEXT PRIMARY KEY,"
    " node_id TEXT NOT NULL REFERENCES nodes(node_id) ON DELETE CASCADE, position INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS node_addresses_by_node ON node_addresses(node_id);"
    "CREATE TABLE IF NOT EXISTS policy(id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL,"
    " document BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO counters(name, value) VALUES('signing_generation', 0);";

// Creates the file 0600 before SQLite does (SQLite would honour the umask); the WAL and shm files
// inherit the database file's mode.
base::Status<StateError> ensure_private_file(const std::string& path) {
  const base::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    return base::unexpected(StateError{"control store: " + base::last_sys_error("open " + path).describe()});
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return base::unexpected(StateError{"control store: " + base::last_sys_error("fstat " + path).describe()});
  }
  if (!S_ISREG(info.st_mode) || info.st_uid != ::geteuid() || (info.st_mode & 077U) != 0) {
    return base::unexpected(StateError{"control store: " + path + " must be a regular file owned by us, mode 0600"});
  }
  return {};
}

}  // namespace

struct SqliteControlStore::Impl {
  std::mutex mutex;
  DbHandle db;
  SqliteStoreOptions options;
  Statement revoke_token;
  Statement revoke_subject;
  Statement unrevoke_subject;
  Statement token_revoked;
  Statement subject_revoked;
  Statement nonce_insert;
  Statement nonce_lookup;
  Statement nonce_delete;
  Statement nonce_count;
  Statement prune_nonces;
  Statement prune_tokens;
  Statement floor_write;
  std::unique_ptr<detail::SqliteRegistry> registry;
  std::size_t live_nonces = 0;  // rows in used_nonces, maintained to avoid COUNT(*) per request
  std::int64_t last_prune = INT64_MIN;
  std::size_t inserts_since_prune = 0;
  // Anti-replay floor (persisted as counter 'nonce_prune_floor'): rows retained until before it
  // may have been deleted, so a nonce retained until before it cannot be proven unused and is
  // refused. Without it, a wall clock stepped forward (pruning everything) and then corrected
  // would accept a replay of a still-valid token. Pruning never cuts past max_retained + 1, the
  // latest retention ever recorded, so a forward step raises the floor only to what was
  // really recorded and tokens issued after the correction still pass.
  std::int64_t prune_floor = INT64_MIN;
  std::int64_t max_retained = INT64_MIN;

  base::Status<StateError> raise_floor_locked(std::int64_t cutoff) {
    if (cutoff <= prune_floor) {
      return {};
    }
    // Persisted before any row is deleted: a crash in between leaves rows a higher floor covers.
    const StatementScope scope(floor_write.get());
    if (sqlite3_bind_int64(floor_write.get(), 1, cutoff) != SQLITE_OK) {
      return base::unexpected(db_error(db.get(), "bind failed"));
    }
    RUSTYNET_RETURN_IF_ERROR(step_done(floor_write.get()));
    prune_floor = cutoff;
    return {};
  }

  base::Status<StateError> step_done(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
      return base::unexpected(db_error(db.get(), "write failed"));
    }
    return {};
  }

  base::Result<bool, StateError> step_has_row(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc == SQLITE_DONE) {
      return false;
    }
    return base::unexpected(db_error(db.get(), "read failed"));
  }

  base::Result<std::size_t, StateError> count_nonces() {
    const StatementScope scope(nonce_count.get());
    RUSTYNET_ASSIGN_OR_RETURN(const bool row, step_has_row(nonce_count.get()));
    if (!row) {
      return base::unexpected(StateError{"control store: count returned no row"});
    }
    const sqlite3_int64 count = sqlite3_column_int64(nonce_count.get(), 0);
    return count < 0 ? std::size_t{0} : static_cast<std::size_t>(count);
  }

  base::Status<StateError> prune_locked(base::UnixTime now) {
    const std::int64_t cutoff = max_retained == INT64_MIN ? now.seconds : std::min(now.seconds, max_retained + 1);
    RUSTYNET_RETURN_IF_ERROR(raise_floor_locked(cutoff));
    for (sqlite3_stmt* stmt : {prune_nonces.get(), prune_tokens.get()}) {
      const StatementScope scope(stmt);
      if (sqlite3_bind_int64(stmt, 1, cutoff) != SQLITE_OK) {
        return base::unexpected(db_error(db.get(), "bind failed"));
      }
      RUSTYNET_RETURN_IF_ERROR(step_done(stmt));
      if (stmt == prune_nonces.get()) {
        const auto removed = static_cast<std::size_t>(std::max(0, sqlite3_changes(db.get())));
        live_nonces = removed > live_nonces ? 0 : live_nonces - removed;
      }
    }
    last_prune = now.seconds;
    inserts_since_prune = 0;
    return {};
  }
};

base::Result<std::unique_ptr<SqliteControlStore>, StateError> SqliteControlStore::open(
    const std::string& path, const SqliteStoreOptions& options) {
  if (options.nonce_capacity == 0) {
    return base::unexpected(StateError{"control store: nonce capacity must be positive"});
  }
  RUSTYNET_RETURN_IF_ERROR(ensure_private_file(path));
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    return base::unexpected(db_error(db.get(), "open failed"));
  }
  if (sqlite3_db_readonly(db.get(), "main") != 0) {
    return base::unexpected(StateError{"control store: database opened read-only"});
  }
  sqlite3_busy_timeout(db.get(), 2000);
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->db = std::move(db);
  sqlite3* handle = impl->db.get();

  // journal_mode returns the resulting mode as a row: anything but "wal" is a refusal.
  {
    RUSTYNET_ASSIGN_OR_RETURN(Statement wal, prepare(handle, "PRAGMA journal_mode=WAL"));
    RUSTYNET_ASSIGN_OR_RETURN(const bool row, impl->step_has_row(wal.get()));
    const unsigned char* mode = row ? sqlite3_column_text(wal.get(), 0) : nullptr;
    if (mode == nullptr || std::string_view(static_cast<const char*>(static_cast<const void*>(mode))) != "wal") {
      return base::unexpected(StateError{"control store: WAL journal mode unavailable"});
    }
  }
  RUSTYNET_RETURN_IF_ERROR(exec(handle, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  {
    RUSTYNET_ASSIGN_OR_RETURN(Statement version, prepare(handle, "PRAGMA user_version"));
    RUSTYNET_ASSIGN_OR_RETURN(const bool row, impl->step_has_row(version.get()));
    const sqlite3_int64 current = row ? sqlite3_column_int64(version.get(), 0) : -1;
    // Schema 1 (no registry) is upgraded in place: its tables are unchanged, the new ones are added.
    if (current != 0 && current != 1 && current != kControlStoreSchemaVersion) {
      return base::unexpected(StateError{"control store: unknown schema version " + std::to_string(current)});
    }
  }
  RUSTYNET_RETURN_IF_ERROR(exec(handle, "BEGIN IMMEDIATE"));
  if (auto created = exec(handle, kSchema); !created.has_value()) {
    (void)exec(handle, "ROLLBACK");
    return base::unexpected(std::move(created).error());
  }
  RUSTYNET_RETURN_IF_ERROR(exec(handle, "PRAGMA user_version=2; COMMIT"));

  RUSTYNET_ASSIGN_OR_RETURN(impl->revoke_token,
                            prepare(handle,
                                    "INSERT INTO revoked_tokens(token_id, retain_until) VALUES(?1, ?2) "
                                    "ON CONFLICT(token_id) DO UPDATE SET retain_until = "
                                    "max(retain_until, excluded.retain_until)"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->revoke_subject,
                            prepare(handle, "INSERT OR IGNORE INTO revoked_subjects(subject) VALUES(?1)"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->unrevoke_subject, prepare(handle, "DELETE FROM revoked_subjects WHERE subject = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->token_revoked, prepare(handle, "SELECT 1 FROM revoked_tokens WHERE token_id = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->subject_revoked,
                            prepare(handle, "SELECT 1 FROM revoked_subjects WHERE subject = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->nonce_insert,
                            prepare(handle, "INSERT INTO used_nonces(nonce, retain_until) VALUES(?1, ?2)"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->nonce_lookup,
                            prepare(handle, "SELECT retain_until FROM used_nonces WHERE nonce = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->nonce_delete, prepare(handle, "DELETE FROM used_nonces WHERE nonce = ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->nonce_count, prepare(handle, "SELECT COUNT(*) FROM used_nonces"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->prune_nonces, prepare(handle, "DELETE FROM used_nonces WHERE retain_until < ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->prune_tokens, prepare(handle, "DELETE FROM revoked_tokens WHERE retain_until < ?1"));
  RUSTYNET_ASSIGN_OR_RETURN(impl->floor_write,
                            prepare(handle,
                                    "INSERT INTO counters(name, value) VALUES('nonce_prune_floor', ?1) "
                                    "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)"));
  {
    RUSTYNET_ASSIGN_OR_RETURN(Statement bounds,
                              prepare(handle,
                                      "SELECT (SELECT value FROM counters WHERE name = 'nonce_prune_floor'),"
                                      " (SELECT max(retain_until) FROM used_nonces),"
                                      " (SELECT max(retain_until) FROM revoked_tokens)"));
    RUSTYNET_ASSIGN_OR_RETURN(const bool row, impl->step_has_row(bounds.get()));
    if (!row) {
      return base::unexpected(StateError{"control store: anti-replay bounds returned no row"});
    }
    const auto column = [&bounds](int index) -> std::optional<std::int64_t> {
      if (sqlite3_column_type(bounds.get(), index) == SQLITE_NULL) {
        return std::nullopt;
      }
      return static_cast<std::int64_t>(sqlite3_column_int64(bounds.get(), index));
    };
    for (int index = 0; index < 3; ++index) {
      if (const auto value = column(index); value.has_value()) {
        if (index == 0) {
          impl->prune_floor = *value;
        }
        impl->max_retained = std::max(impl->max_retained, *value);
      }
    }
  }
  RUSTYNET_ASSIGN_OR_RETURN(impl->live_nonces, impl->count_nonces());
  RUSTYNET_ASSIGN_OR_RETURN(impl->registry, detail::SqliteRegistry::create(handle, impl->mutex));
  return std::make_unique<SqliteControlStore>(PrivateTag{}, std::move(impl));
}

SqliteControlStore::SqliteControlStore(PrivateTag /*tag*/, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteControlStore::~SqliteControlStore() = default;

base::Status<StateError> SqliteControlStore::revoke_token(std::string_view token_id, base::UnixTime retain_until) {
  const std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* stmt = impl_->revoke_token.get();
  const StatementScope scope(stmt);
  if (!bind_text(stmt, 1, token_id) || sqlite3_bind_int64(stmt, 2, retain_until.seconds) != SQLITE_OK) {
    return base::unexpected(db_error(impl_->db.get(), "bind failed"));
  }
  RUSTYNET_RETURN_IF_ERROR(impl_->step_done(stmt));
  impl_->max_retained = std::max(impl_->max_retained, retain_until.seconds);
  return {};
}

base::Status<StateError> SqliteControlStore::revoke_subject(std::string_view subject) {
  const std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* stmt = impl_->revoke_subject.get();
  const StatementScope scope(stmt);
  if (!bind_text(stmt, 1, subject)) {
    return base::unexpected(db_error(impl_->db.get(), "bind failed"));
  }
  return impl_->step_done(stmt);
}

base::Status<StateError> SqliteControlStore::unrevoke_subject(std::string_view subject) {
  const std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* stmt = impl_->unrevoke_subject.get();
  const StatementScope scope(stmt);
  if (!bind_text(stmt, 1, subject)) {
    return base::unexpected(db_error(impl_->db.get(), "bind failed"));
  }
  return impl_->step_done(stmt);
}

base::Result<bool, StateError> SqliteControlStore::is_revoked(std::string_view token_id, std::string_view subject) {
  const std::lock_guard lock(impl_->mutex);
  {
    sqlite3_stmt* stmt = impl_->token_revoked.get();
    const StatementScope scope(stmt);
    if (!bind_text(stmt, 1, token_id)) {
      return base::unexpected(db_error(impl_->db.get(), "bind failed"));
    }
    RUSTYNET_ASSIGN_OR_RETURN(const bool revoked, impl_->step_has_row(stmt));
    if (revoked) {
      return true;
    }
  }
  sqlite3_stmt* stmt = impl_->subject_revoked.get();
  const StatementScope scope(stmt);
  if (!bind_text(stmt, 1, subject)) {
    return base::unexpected(db_error(impl_->db.get(), "bind failed"));
  }
  return impl_->step_has_row(stmt);
}

base::Result<NonceOutcome, StateError> SqliteControlStore::record_once(std::string_view nonce,
                                                                       base::UnixTime retain_until,
                                                                       base::UnixTime now) {
  const std::lock_guard lock(impl_->mutex);
  sqlite3* db = impl_->db.get();
  if (retain_until.seconds < impl_->prune_floor) {
    return NonceOutcome::kReplayed;  // its record may have been pruned: first use is unprovable
  }
  {
    sqlite3_stmt* stmt = impl_->nonce_lookup.get();
    const StatementScope scope(stmt);
    if (!bind_text(stmt, 1, nonce)) {
      return base::unexpected(db_error(db, "bind failed"));
    }
    RUSTYNET_ASSIGN_OR_RETURN(const bool present, impl_->step_has_row(stmt));
    if (present) {
      if (sqlite3_column_int64(stmt, 0) >= now.seconds) {
        return NonceOutcome::kReplayed;
      }
      // An expired entry for the same nonce: drop it (raising the floor past it) and record
      // afresh below.
      RUSTYNET_RETURN_IF_ERROR(impl_->raise_floor_locked(sqlite3_column_int64(stmt, 0) + 1));
      sqlite3_stmt* del = impl_->nonce_delete.get();
      const StatementScope del_scope(del);
      if (!bind_text(del, 1, nonce)) {
        return base::unexpected(db_error(db, "bind failed"));
      }
      RUSTYNET_RETURN_IF_ERROR(impl_->step_done(del));
      if (impl_->live_nonces > 0) {
        --impl_->live_nonces;
      }
    }
  }
  // Expired rows are dropped every few thousand inserts, and when full; a full store of
  // unexpired rows is pruned at most once per second (nothing new can expire within the second),
  // so a flood at capacity costs no repeated table scans.
  const bool full = impl_->live_nonces >= impl_->options.nonce_capacity;
  if ((full && now.seconds != impl_->last_prune) || impl_->inserts_since_prune >= kPruneEvery) {
    RUSTYNET_RETURN_IF_ERROR(impl_->prune_locked(now));
  }
  if (impl_->live_nonces >= impl_->options.nonce_capacity) {
    return NonceOutcome::kFull;
  }
  sqlite3_stmt* stmt = impl_->nonce_insert.get();
  const StatementScope scope(stmt);
  if (!bind_text(stmt, 1, nonce) || sqlite3_bind_int64(stmt, 2, retain_until.seconds) != SQLITE_OK) {
    return base::unexpected(db_error(db, "bind failed"));
  }
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_CONSTRAINT) {
    return NonceOutcome::kReplayed;  // raced with another writer of the same file
  }
  if (rc != SQLITE_DONE) {
    return base::unexpected(db_error(db, "nonce write failed"));
  }
  ++impl_->live_nonces;
  ++impl_->inserts_since_prune;
  impl_->max_retained = std::max(impl_->max_retained, retain_until.seconds);
  return NonceOutcome::kFresh;
}

base::Status<StateError> SqliteControlStore::prune(base::UnixTime now) {
  const std::lock_guard lock(impl_->mutex);
  return impl_->prune_locked(now);
}

base::Result<std::string, StateError> SqliteControlStore::journal_mode() {
  const std::lock_guard lock(impl_->mutex);
  RUSTYNET_ASSIGN_OR_RETURN(Statement stmt, prepare(impl_->db.get(), "PRAGMA journal_mode"));
  RUSTYNET_ASSIGN_OR_RETURN(const bool row, impl_->step_has_row(stmt.get()));
  const unsigned char* mode = row ? sqlite3_column_text(stmt.get(), 0) : nullptr;
  if (mode == nullptr) {
    return base::unexpected(StateError{"control store: journal_mode returned nothing"});
  }
  return std::string(static_cast<const char*>(static_cast<const void*>(mode)));
}

}  // namespace rustynet::control

namespace rustynet::control {

base::Status<RegistryError> SqliteControlStore::add_node(const RegisteredNode& node) {
  return impl_->registry->add_node(node);
}

base::Result<std::uint64_t, RegistryError> SqliteControlStore::add_batch(
    const std::vector<RegisteredNode>& nodes, const std::optional<std::string>& policy_document) {
  return impl_->registry->add_batch(nodes, policy_document);
}
base::Status<RegistryError> SqliteControlStore::remove_node(std::string_view node_id) {
  return impl_->registry->remove_node(node_id);
}
base::Result<std::vector<RegisteredNode>, RegistryError> SqliteControlStore::list_nodes() {
  return impl_->registry->list_nodes();
}
base::Result<std::optional<RegisteredNode>, RegistryError> SqliteControlStore::find_node(std::string_view node_id) {
  return impl_->registry->find_node(node_id);
}
base::Result<bool, RegistryError> SqliteControlStore::set_endpoints(
    std::string_view node_id, const std::vector<policy::SocketAddress>& endpoints) {
  return impl_->registry->set_endpoints(node_id, endpoints);
}
base::Result<std::optional<StoredPolicy>, RegistryError> SqliteControlStore::load_policy() {
  return impl_->registry->load_policy();
}
base::Result<std::uint64_t, RegistryError> SqliteControlStore::store_policy(std::string_view document) {
  return impl_->registry->store_policy(document);
}
base::Result<std::uint64_t, RegistryError> SqliteControlStore::reserve_signing_generations(std::uint64_t count) {
  return impl_->registry->reserve_signing_generations(count);
}

}  // namespace rustynet::control
