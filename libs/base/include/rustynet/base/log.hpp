// SPDX-License-Identifier: Apache-2.0
// Logger: structured log lines (one JSON object per line) with levels, for every Rustynet program.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/secret_bytes.hpp"

namespace rustynet::base {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn", "error".
[[nodiscard]] std::string_view to_string(LogLevel level) noexcept;
// The inverse of to_string; nullopt for anything else (callers turn it into their typed error).
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view text) noexcept;

enum class LogFormat : std::uint8_t { kJson, kText };
// "json" or "text"; nullopt otherwise.
[[nodiscard]] std::optional<LogFormat> parse_log_format(std::string_view text) noexcept;

// One field of a log line. Only plain values can be logged: there is deliberately no constructor
// from SecretBytes (or any key type), so a secret cannot reach a log line by accident; callers log
// key ids or "<redacted>" instead.
struct LogField {
  using Value = std::variant<std::string, std::int64_t, std::uint64_t, bool, double>;

  LogField(std::string_view key_in, std::string_view value_in) : key(key_in), value(std::string(value_in)) {}
  LogField(std::string_view key_in, const char* value_in) : key(key_in), value(std::string(value_in)) {}
  LogField(std::string_view key_in, const std::string& value_in) : key(key_in), value(value_in) {}
  LogField(std::string_view key_in, bool value_in) : key(key_in), value(value_in) {}
  LogField(std::string_view key_in, double value_in) : key(key_in), value(value_in) {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && std::is_signed_v<I>)
      LogField(std::string_view key_in, I value_in)
      : key(key_in), value(static_cast<std::int64_t>(value_in)) {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && std::is_unsigned_v<I>)
      LogField(std::string_view key_in, I value_in)
      : key(key_in), value(static_cast<std::uint64_t>(value_in)) {}
  LogField(std::string_view key_in, const SecretBytes& secret) = delete;

  std::string key;
  Value value;
};

// Formats one line without its newline. JSON: {"ts":..,"level":..,"program":..,"event":..,"msg":..,
// then the fields in order}; "ts" is RFC 3339 UTC (null when the wall clock is unusable); invalid
// UTF-8 is replaced, never passed through. A field named like one of the five fixed keys is dropped
// (they cannot be overwritten). Text: "program: [level] msg (key=value ...)", for people at a
// terminal.
[[nodiscard]] std::string format_log_line(LogFormat format, std::optional<UnixTime> now, std::string_view program,
                                          LogLevel level, std::string_view event, std::string_view message,
                                          const std::vector<LogField>& fields);

// Writes lines at or above its level to one stream, whole lines only (a mutex serialises writers),
// flushed per line so that journald and tests see each line at once. Thread-safe. The stream and
// clock must outlive the logger.
class Logger {
 public:
  Logger(std::string program, std::ostream& out, LogLevel level = LogLevel::kInfo, LogFormat format = LogFormat::kJson,
         const Clock& clock = system_clock());

  void set_level(LogLevel level) noexcept { level_.store(level, std::memory_order_relaxed); }
  [[nodiscard]] LogLevel level() const noexcept { return level_.load(std::memory_order_relaxed); }
  [[nodiscard]] bool enabled(LogLevel level) const noexcept { return level >= this->level(); }

  // `event`: a stable snake_case name a machine can match; `message`: the sentence for people.
  void log(LogLevel level, std::string_view event, std::string_view message, const std::vector<LogField>& fields = {});
  void debug(std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
    log(LogLevel::kDebug, event, message, fields);
  }
  void info(std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
    log(LogLevel::kInfo, event, message, fields);
  }
  void warn(std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
    log(LogLevel::kWarn, event, message, fields);
  }
  void error(std::string_view event, std::string_view message, const std::vector<LogField>& fields = {}) {
    log(LogLevel::kError, event, message, fields);
  }

 private:
  std::string program_;
  std::ostream* out_;
  std::atomic<LogLevel> level_;
  LogFormat format_;
  const Clock* clock_;
  std::mutex mutex_;
};

}  // namespace rustynet::base
