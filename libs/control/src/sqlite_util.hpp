// SPDX-License-Identifier: Apache-2.0
// Small SQLite helpers shared by the control store's source files (RAII handles, binding, errors).
#pragma once

#include <sqlite3.h>

#include <climits>
#include <memory>
#include <string>
#include <string_view>

#include "rustynet/base/result.hpp"
#include "rustynet/control/control_error.hpp"

namespace rustynet::control::detail {

struct DbCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

inline StateError db_error(sqlite3* db, std::string_view what) {
  std::string message = "control store: ";
  message.append(what);
  message.append(": ");
  message.append(db != nullptr ? sqlite3_errmsg(db) : "no database handle");
  return StateError{std::move(message)};
}

inline base::Status<StateError> exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return base::unexpected(db_error(db, "statement failed"));
  }
  return {};
}

inline base::Result<Statement, StateError> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
      SQLITE_OK) {
    return base::unexpected(db_error(db, "prepare failed"));
  }
  return Statement(raw);
}

// Binds text for the duration of one step (SQLite copies nothing: destructor argument null =
// SQLITE_STATIC; the caller's view outlives the step).
inline bool bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    return false;
  }
  return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), nullptr) == SQLITE_OK;
}

// Resets a statement on scope exit so bindings never outlive the call.
class StatementScope {
 public:
  explicit StatementScope(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementScope() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;
  StatementScope(StatementScope&&) = delete;
  StatementScope& operator=(StatementScope&&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace rustynet::control::detail
