// SPDX-License-Identifier: Apache-2.0
// Human-readable output helpers: aligned tables, times, ages, byte counts, terminal-safe text.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/clock.hpp"

namespace rustynet::apps::cli {

// Replaces control characters (ESC, CR, ...) and non-ASCII bytes with '?': strings come from the
// daemon or control server and must never drive the operator's terminal.
[[nodiscard]] std::string terminal_safe(std::string_view text);

// A table with a header row; columns are left-aligned and separated by two spaces. Cells are made
// terminal-safe; an empty cell prints "-".
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void add_row(std::vector<std::string> cells);
  void print(std::ostream& out) const;
  [[nodiscard]] std::size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "key  value" lines with the keys padded to one width (status-style output).
class KeyValueList {
 public:
  void add(std::string key, const std::string& value);
  void print(std::ostream& out) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// 2026-11-25T21:33:15Z; "-" for 0 (never).
[[nodiscard]] std::string format_unix_time(std::int64_t unix_seconds);
// "12s", "5m", "3h", "2d" for a non-negative span.
[[nodiscard]] std::string format_duration(std::int64_t seconds);
// "<time> (12s ago)" / "<time> (in 3h)" when the wall clock is usable, else just the time.
[[nodiscard]] std::string format_time_relative(std::int64_t unix_seconds, const base::Clock& clock);
// 0 B, 1.5 KiB, 20.0 MiB, ...
[[nodiscard]] std::string format_bytes(std::int64_t bytes);
// "a, b, c"; "-" when empty.
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace rustynet::apps::cli
