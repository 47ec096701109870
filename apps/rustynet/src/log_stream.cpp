// SPDX-License-Identifier: Apache-2.0
// JsonDiagnostics: line splitting and level of the CLI's diagnostics.
#include "log_stream.hpp"

#include <string_view>
#include <vector>

namespace rustynet::apps::cli {

JsonDiagnostics::~JsonDiagnostics() {
  if (!line_.empty()) {
    emit();
  }
}

JsonDiagnostics::int_type JsonDiagnostics::overflow(int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof())) {
    return traits_type::not_eof(ch);
  }
  const char c = traits_type::to_char_type(ch);
  if (c == '\n') {
    emit();
  } else {
    line_ += c;
  }
  return ch;
}

std::streamsize JsonDiagnostics::xsputn(const char* text, std::streamsize count) {
  for (std::streamsize i = 0; i < count; ++i) {
    (void)overflow(traits_type::to_int_type(text[i]));
  }
  return count;
}

void JsonDiagnostics::emit() {
  // Diagnostics are "rustynet: ..." or "rustynet COMMAND [SUB]: ..."; anything else is the usage
  // text that follows a usage error.
  constexpr std::string_view kProgram = "rustynet";
  constexpr std::string_view kWarning = "warning: ";
  constexpr std::size_t kMaxPrefix = 48;
  std::string_view text = line_;
  const std::size_t colon = text.find(": ");
  const std::string_view prefix = text.substr(0, colon);
  if (colon <= kMaxPrefix &&  // npos is larger: no colon, no prefix

      (prefix == kProgram || prefix.starts_with("rustynet "))) {
    std::vector<base::LogField> fields;
    if (prefix != kProgram) {
      fields.emplace_back("command", prefix.substr(kProgram.size() + 1));
    }
    text.remove_prefix(colon + 2);
    if (text.starts_with(kWarning)) {
      logger_->warn("warning", text.substr(kWarning.size()), fields);
    } else {
      logger_->error("error", text, fields);
    }
  } else {
    logger_->info("usage", text);
  }
  line_.clear();
}

}  // namespace rustynet::apps::cli
