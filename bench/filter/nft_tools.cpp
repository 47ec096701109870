// SPDX-License-Identifier: Apache-2.0
// table_for, count_elements (nft -j), ScratchDir.
#include "nft_tools.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_run.hpp"

namespace rustynet::bench::filter {

base::Result<std::string, std::string> table_for(const std::string& interface_name) {
  const bool plain =
      !interface_name.empty() && interface_name.size() <= 15 &&
      std::all_of(interface_name.begin(), interface_name.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
  if (!plain) {
    return base::unexpected("interface name '" + interface_name + "': use 1-15 letters and digits");
  }
  return "rustynet_" + interface_name;
}

base::Result<std::map<std::string, std::size_t>, std::string> count_elements(const std::string& nft,
                                                                             const std::string& table,
                                                                             const std::string& scratch_dir) {
  const ChildIo io{"/dev/null", scratch_dir + "/listing.json", scratch_dir + "/listing.err"};
  auto ran = run_child({nft, "-j", "list", "table", "inet", table}, io);
  if (!ran.has_value()) {
    return base::unexpected(ran.error());
  }
  if (ran->exit_status != 0) {
    return base::unexpected("nft -j list table inet " + table + ": " + file_head(io.stderr_path));
  }
  std::ifstream in(io.stdout_path);
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.contains("nftables") || !doc["nftables"].is_array()) {
    return base::unexpected("nft -j list table inet " + table +
                            ": not the expected JSON: " + file_head(io.stdout_path));
  }
  std::map<std::string, std::size_t> counts;
  std::size_t total = 0;
  for (const nlohmann::json& item : doc["nftables"]) {
    if (!item.is_object() || !item.contains("set")) {
      continue;
    }
    const nlohmann::json& set = item["set"];
    const std::size_t elements = set.contains("elem") && set["elem"].is_array() ? set["elem"].size() : 0;
    counts[set.value("name", std::string("?"))] = elements;
    total += elements;
  }
  counts["total"] = total;
  return counts;
}

base::Result<ScratchDir, std::string> ScratchDir::create() {
  std::string pattern = "/tmp/rustynet-filter-bench.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return base::unexpected(std::string("mkdtemp failed"));
  }
  return ScratchDir(pattern);
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

ScratchDir::~ScratchDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

}  // namespace rustynet::bench::filter
