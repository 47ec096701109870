// SPDX-License-Identifier: Apache-2.0
// `rustynet keys generate|show|rotate` on the encrypted key store.
#include "keys_command.hpp"

#include <optional>
#include <ostream>
#include <utility>

#include "rustynet/crypto/custody.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/key_hierarchy.hpp"
#include "rustynet/crypto/x25519.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;

constexpr const char* kKeysUsage =
    "usage: rustynet keys generate --key-dir DIR SECRET [--purpose P]... [--create-dir]\n"
    "       rustynet keys show     --key-dir DIR SECRET [--purpose P]...\n"
    "       rustynet keys rotate   --key-dir DIR SECRET --purpose P\n"
    "\n"
    "SECRET (the operator secret that seals the key store) is one of:\n"
    "  --secret-fd N        read it from inherited file descriptor N (e.g. 3<secret.txt)\n"
    "  --secret-file PATH   read it from PATH (regular file, owner-only permissions)\n"
    "It is never accepted on the command line or from the environment.\n"
    "Purposes: node-identity, node-tunnel, control-signing. generate defaults to node-identity and\n"
    "node-tunnel; show defaults to every key present. Secrets are never printed.\n";

struct KeysArgs {
  std::string subcommand;
  std::string key_dir;
  std::optional<int> secret_fd;
  std::optional<std::string> secret_file;
  std::vector<crypto::KeyPurpose> purposes;
  bool create_dir = false;
};

std::optional<int> parse_fd(const std::string& text) {
  if (text.empty() || text.size() > 6) {
    return std::nullopt;
  }
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

bool looks_like_secret_flag(const std::string& arg) {
  for (const char* flag : {"--secret", "--password", "--passphrase", "--key", "--private-key"}) {
    const std::string name(flag);
    if (arg == name || arg.rfind(name + "=", 0) == 0) {
      return true;
    }
  }
  return false;
}

// Parses args into `parsed`; on error writes to err and returns false.
bool parse_args(const std::vector<std::string>& args, KeysArgs& parsed, std::ostream& err) {
  if (args.empty()) {
    err << kKeysUsage;
    return false;
  }
  parsed.subcommand = args[0];
  if (parsed.subcommand != "generate" && parsed.subcommand != "show" && parsed.subcommand != "rotate") {
    err << "rustynet keys: unknown subcommand '" << parsed.subcommand << "'\n" << kKeysUsage;
    return false;
  }
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (looks_like_secret_flag(arg)) {
      // Do not echo the argument: it may be the secret itself.
      err << "rustynet keys: secrets are never read from the command line; use --secret-fd or --secret-file\n";
      return false;
    }
    if (arg == "--key-dir" && has_value) {
      parsed.key_dir = args[++i];
    } else if (arg == "--secret-fd" && has_value) {
      parsed.secret_fd = parse_fd(args[++i]);
      if (!parsed.secret_fd.has_value()) {
        err << "rustynet keys: --secret-fd needs a descriptor number\n";
        return false;
      }
    } else if (arg == "--secret-file" && has_value) {
      parsed.secret_file = args[++i];
    } else if (arg == "--purpose" && has_value) {
      const auto purpose = crypto::parse_key_purpose(args[++i]);
      if (!purpose.has_value()) {
        err << "rustynet keys: unknown key purpose (expected node-identity, node-tunnel or control-signing)\n";
        return false;
      }
      parsed.purposes.push_back(*purpose);
    } else if (arg == "--create-dir" && parsed.subcommand == "generate") {
      parsed.create_dir = true;
    } else {
      // Not echoed: a mistyped command line may carry a secret.
      err << "rustynet keys: unexpected argument at position " << i + 1 << "\n" << kKeysUsage;
      return false;
    }
  }
  if (parsed.key_dir.empty()) {
    err << "rustynet keys: --key-dir is required\n";
    return false;
  }
  if (parsed.secret_fd.has_value() == parsed.secret_file.has_value()) {
    err << "rustynet keys: give exactly one of --secret-fd or --secret-file\n";
    return false;
  }
  if (parsed.subcommand == "rotate" && parsed.purposes.size() != 1) {
    err << "rustynet keys: rotate needs exactly one --purpose\n";
    return false;
  }
  return true;
}

void print_key(std::ostream& out, crypto::KeyPurpose purpose, const crypto::StoredKey& key) {
  auto info = crypto::public_info_for(purpose, key.secret.view());
  if (!info.has_value()) {
    out << crypto::to_string(purpose) << " <invalid key>\n";
    return;
  }
  out << crypto::to_string(purpose) << " " << crypto::to_string(crypto::algorithm_for(purpose)) << " "
      << info->public_key_base64 << " key-id " << info->key_id << "\n";
}

// Generates a fresh key for `purpose` and stores it (replacing any existing one).
base::Status<crypto::CustodyError> generate_into(crypto::KeyCustody& custody, crypto::KeyPurpose purpose) {
  if (crypto::algorithm_for(purpose) == crypto::KeyAlgorithm::kX25519) {
    auto pair = crypto::NodeKeyPair::generate();
    if (!pair.has_value()) {
      return base::unexpected(
          crypto::CustodyError{crypto::CustodyErrorKind::kCryptoFailure, "", pair.error().describe()});
    }
    return crypto::store_node_key_pair(custody, *pair);
  }
  auto key = crypto::Ed25519SigningKey::generate();
  if (!key.has_value()) {
    return base::unexpected(crypto::CustodyError{crypto::CustodyErrorKind::kCryptoFailure, "", key.error().describe()});
  }
  return crypto::store_signing_key(custody, purpose, *key);
}

int fail(std::ostream& err, const crypto::CustodyError& error) {
  err << "rustynet keys: " << error.describe() << "\n";
  return kExitFailure;
}

}  // namespace

int run_keys(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
             const KeysCommandConfig& config) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    out << kKeysUsage;
    return kExitOk;
  }
  KeysArgs parsed;
  if (!parse_args(args, parsed, err)) {
    return kExitUsage;
  }
  auto secret = parsed.secret_fd.has_value() ? crypto::OperatorSecret::from_fd(*parsed.secret_fd)
                                             : crypto::OperatorSecret::from_file(*parsed.secret_file);
  if (!secret.has_value()) {
    return fail(err, secret.error());
  }
  crypto::EncryptedFileCustodyOptions options;
  options.params = config.params;
  options.limits = config.limits;
  options.create_directory = parsed.create_dir;
  auto opened = crypto::EncryptedFileCustody::open(parsed.key_dir, std::move(secret).value(), options);
  if (!opened.has_value()) {
    return fail(err, opened.error());
  }
  crypto::KeyCustody& custody = **opened;

  if (parsed.subcommand == "generate") {
    if (parsed.purposes.empty()) {
      parsed.purposes = {crypto::KeyPurpose::kNodeIdentity, crypto::KeyPurpose::kNodeTunnel};
    }
    for (auto purpose : parsed.purposes) {
      auto present = custody.contains(purpose);
      if (!present.has_value()) {
        return fail(err, present.error());
      }
      if (*present) {
        err << "rustynet keys: a " << crypto::to_string(purpose)
            << " key already exists; use 'rustynet keys rotate' to replace it\n";
        return kExitFailure;
      }
    }
    for (auto purpose : parsed.purposes) {
      if (auto stored = generate_into(custody, purpose); !stored.has_value()) {
        return fail(err, stored.error());
      }
      auto loaded = custody.load(purpose);
      if (!loaded.has_value()) {
        return fail(err, loaded.error());
      }
      out << "generated ";
      print_key(out, purpose, *loaded);
    }
    return kExitOk;
  }

  if (parsed.subcommand == "show") {
    const bool all = parsed.purposes.empty();
    if (all) {
      parsed.purposes = {crypto::KeyPurpose::kNodeIdentity, crypto::KeyPurpose::kNodeTunnel,
                         crypto::KeyPurpose::kControlSigning};
    }
    bool any = false;
    for (auto purpose : parsed.purposes) {
      if (all) {
        auto present = custody.contains(purpose);
        if (!present.has_value()) {
          return fail(err, present.error());
        }
        if (!*present) {
          continue;
        }
      }
      auto loaded = custody.load(purpose);
      if (!loaded.has_value()) {
        return fail(err, loaded.error());
      }
      print_key(out, purpose, *loaded);
      any = true;
    }
    if (!any) {
      err << "rustynet keys: no keys in " << parsed.key_dir << "\n";
      return kExitFailure;
    }
    return kExitOk;
  }

  // rotate: the current key must load (proving the operator secret and the store are sound)
  // before it is replaced; the replacement is atomic.
  const auto purpose = parsed.purposes.front();
  auto current = custody.load(purpose);
  if (!current.has_value()) {
    return fail(err, current.error());
  }
  const std::string old_id = current->key_id;
  if (auto stored = generate_into(custody, purpose); !stored.has_value()) {
    return fail(err, stored.error());
  }
  auto rotated = custody.load(purpose);
  if (!rotated.has_value()) {
    return fail(err, rotated.error());
  }
  out << "rotated " << crypto::to_string(purpose) << " key-id " << old_id << " -> " << rotated->key_id << "\n";
  print_key(out, purpose, *rotated);
  return kExitOk;
}

}  // namespace rustynet::apps::cli
