// SPDX-License-Identifier: Apache-2.0
// Human-readable output helpers for the rustynet CLI.
#include "text_format.hpp"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace rustynet::apps::cli {
namespace {

std::string cell_text(const std::string& cell) { return cell.empty() ? std::string("-") : terminal_safe(cell); }

void print_padded(std::ostream& out, const std::string& text, std::size_t width) {
  out << text;
  for (std::size_t i = text.size(); i < width; ++i) {
    out << ' ';
  }
}

}  // namespace

std::string terminal_safe(std::string_view text) {
  std::string safe;
  safe.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    safe.push_back(byte >= 0x20U && byte < 0x7fU ? c : '?');
  }
  return safe;
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(header_.size());
  for (auto& cell : cells) {
    cell = cell_text(cell);
  }
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  for (std::size_t column = 0; column < header_.size(); ++column) {
    widths[column] = header_[column].size();
    for (const auto& row : rows_) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    for (std::size_t column = 0; column < row.size(); ++column) {
      if (column + 1 == row.size()) {
        out << row[column];  // no trailing spaces after the last column
      } else {
        print_padded(out, row[column], widths[column] + 2);
      }
    }
    out << '\n';
  };
  print_row(header_);
  for (const auto& row : rows_) {
    print_row(row);
  }
}

void KeyValueList::add(std::string key, const std::string& value) {
  items_.emplace_back(std::move(key), cell_text(value));
}

void KeyValueList::print(std::ostream& out) const {
  std::size_t width = 0;
  for (const auto& item : items_) {
    width = std::max(width, item.first.size());
  }
  for (const auto& item : items_) {
    print_padded(out, item.first, width + 2);
    out << item.second << '\n';
  }
}

std::string format_unix_time(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) {
    return "-";
  }
  const std::chrono::sys_seconds point{std::chrono::seconds{unix_seconds}};
  const auto day = std::chrono::floor<std::chrono::days>(point);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{point - day};
  std::ostringstream text;
  text << std::setfill('0') << std::setw(4) << static_cast<int>(date.year()) << '-' << std::setw(2)
       << static_cast<unsigned>(date.month()) << '-' << std::setw(2) << static_cast<unsigned>(date.day()) << 'T'
       << std::setw(2) << time.hours().count() << ':' << std::setw(2) << time.minutes().count() << ':' << std::setw(2)
       << time.seconds().count() << 'Z';
  return text.str();
}

std::string format_duration(std::int64_t seconds) {
  constexpr std::int64_t kMinute = 60;
  constexpr std::int64_t kHour = 60 * kMinute;
  constexpr std::int64_t kDay = 24 * kHour;
  seconds = std::max<std::int64_t>(seconds, 0);
  if (seconds < 2 * kMinute) {
    return std::to_string(seconds) + "s";
  }
  if (seconds < 2 * kHour) {
    return std::to_string(seconds / kMinute) + "m";
  }
  if (seconds < 2 * kDay) {
    return std::to_string(seconds / kHour) + "h";
  }
  return std::to_string(seconds / kDay) + "d";
}

std::string format_time_relative(std::int64_t unix_seconds, const base::Clock& clock) {
  std::string absolute = format_unix_time(unix_seconds);
  const auto now = clock.wall_now();
  if (unix_seconds <= 0 || !now.has_value()) {
    return absolute;
  }
  const std::int64_t delta = unix_seconds - now->seconds;
  if (delta <= 0) {
    return absolute + " (" + format_duration(-delta) + " ago)";
  }
  return absolute + " (in " + format_duration(delta) + ")";
}

std::string format_bytes(std::int64_t bytes) {
  if (bytes < 1024) {
    return std::to_string(std::max<std::int64_t>(bytes, 0)) + " B";
  }
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  auto value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << value << ' ' << kUnits[unit];
  return text.str();
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) {
      joined += separator;
    }
    joined += item;
  }
  return joined;
}

}  // namespace rustynet::apps::cli
