// SPDX-License-Identifier: Apache-2.0
// Logger: JSON (or text) lines with levels; nlohmann does the escaping.
#include "rustynet/base/log.hpp"

#include <array>
#include <chrono>
#include <ostream>

#include <nlohmann/json.hpp>

namespace rustynet::base {
namespace {

constexpr std::array<std::string_view, 5> kFixedKeys{"ts", "level", "program", "event", "msg"};

bool fixed_key(std::string_view key) noexcept {
  for (const auto fixed : kFixedKeys) {
    if (fixed == key) {
      return true;
    }
  }
  return false;
}

std::string two(unsigned value) { return (value < 10 ? "0" : "") + std::to_string(value); }

std::string rfc3339(UnixTime now) {
  using std::chrono::days;
  using std::chrono::floor;
  const std::chrono::sys_seconds at{std::chrono::seconds(now.seconds)};
  const auto day = floor<days>(at);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{at - day};
  return std::to_string(static_cast<int>(date.year())) + "-" + two(static_cast<unsigned>(date.month())) + "-" +
         two(static_cast<unsigned>(date.day())) + "T" + two(static_cast<unsigned>(time.hours().count())) + ":" +
         two(static_cast<unsigned>(time.minutes().count())) + ":" + two(static_cast<unsigned>(time.seconds().count())) +
         "Z";
}

nlohmann::ordered_json to_json(const LogField::Value& value) {
  return std::visit([](const auto& v) { return nlohmann::ordered_json(v); }, value);
}

std::string to_text(const LogField::Value& value) {
  return to_json(value).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "error";
}

std::optional<LogLevel> parse_log_level(std::string_view text) noexcept {
  for (const auto level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == to_string(level)) {
      return level;
    }
  }
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) noexcept {
  if (text == "json") {
    return LogFormat::kJson;
  }
  if (text == "text") {
    return LogFormat::kText;
  }
  return std::nullopt;
}

std::string format_log_line(LogFormat format, std::optional<UnixTime> now, std::string_view program, LogLevel level,
                            std::string_view event, std::string_view message, const std::vector<LogField>& fields) {
  if (format == LogFormat::kText) {
    std::string out = std::string(program) + ": ";
    if (level != LogLevel::kInfo) {
      out += "[" + std::string(to_string(level)) + "] ";
    }
    out += message;
    std::string extra;
    for (const auto& field : fields) {
      extra += (extra.empty() ? "" : " ") + field.key + "=" + to_text(field.value);
    }
    return extra.empty() ? out : out + " (" + extra + ")";
  }
  nlohmann::ordered_json line;
  line["ts"] = now ? nlohmann::ordered_json(rfc3339(*now)) : nlohmann::ordered_json(nullptr);
  line["level"] = to_string(level);
  line["program"] = program;
  line["event"] = event;
  line["msg"] = message;
  for (const auto& field : fields) {
    if (!fixed_key(field.key) && !line.contains(field.key)) {
      line[field.key] = to_json(field.value);
    }
  }
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Logger::Logger(std::string program, std::ostream& out, LogLevel level, LogFormat format, const Clock& clock)
    : program_(std::move(program)), out_(&out), level_(level), format_(format), clock_(&clock) {}

void Logger::log(LogLevel level, std::string_view event, std::string_view message,
                 const std::vector<LogField>& fields) {
  if (!enabled(level)) {
    return;
  }
  std::optional<UnixTime> now;
  if (auto wall = clock_->wall_now(); wall.has_value()) {
    now = *wall;
  }
  const std::string line = format_log_line(format_, now, program_, level, event, message, fields);
  const std::lock_guard lock(mutex_);
  *out_ << line << '\n' << std::flush;
}

}  // namespace rustynet::base
