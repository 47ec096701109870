// SPDX-License-Identifier: Apache-2.0
// JsonDiagnostics: turns the CLI's stderr diagnostics into JSON log lines (--log-format json).
#pragma once

#include <ostream>
#include <streambuf>
#include <string>

#include "rustynet/base/log.hpp"

namespace rustynet::apps::cli {

// A stream whose every complete line becomes one log line of `logger`: "rustynet: MSG" and
// "rustynet COMMAND: MSG" are errors (event "error", field "command"), "...: warning: MSG" warnings,
// and anything else (usage text following an error) info with event "usage". A last line without a
// newline is written when the stream is destroyed. Normal command output never goes through here.
class JsonDiagnostics final : public std::streambuf {
 public:
  explicit JsonDiagnostics(base::Logger& logger) : logger_(&logger) {}
  ~JsonDiagnostics() override;
  JsonDiagnostics(const JsonDiagnostics&) = delete;
  JsonDiagnostics& operator=(const JsonDiagnostics&) = delete;
  JsonDiagnostics(JsonDiagnostics&&) = delete;
  JsonDiagnostics& operator=(JsonDiagnostics&&) = delete;

 protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* text, std::streamsize count) override;

 private:
  void emit();

  base::Logger* logger_;
  std::string line_;
};

}  // namespace rustynet::apps::cli
