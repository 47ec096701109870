// SPDX-License-Identifier: Apache-2.0
// First-time setup of a control host: signing key in custody, TLS key + certificate, config file.
#include "init_command.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <memory>
#include <optional>
#include <ostream>
#include <span>

#include "rustynet/base/file_io.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/crypto/custody.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/policy/ip_prefix.hpp"

namespace rustynet::apps::control_server {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;
constexpr int kExitExists = 73;  // EX_CANTCREAT

constexpr const char* kInitUsage =
    "usage: rustynet-control init --state-dir DIR --config-out FILE SECRET [--listen ADDR:PORT]\n"
    "                             [--admin-key-dir DIR] [--admin-public-key BASE64]... [--san NAME]...\n"
    "                             [--audience NAME] [--event-log FILE]\n"
    "\n"
    "Creates, and never overwrites:\n"
    "  DIR/keys/control-signing.key  the control signing key (encrypted key custody, sealed by SECRET)\n"
    "  DIR/tls/key.pem, cert.pem     an Ed25519 key (0600) and a self-signed certificate\n"
    "  FILE                          the rustynet-control configuration\n"
    "and prints the control signing public key and the certificate pin (SHA-256 of the DER) that\n"
    "every daemon's configuration needs.\n"
    "SECRET (the operator secret sealing the key files): --secret-fd N or --secret-file PATH; with\n"
    "--secret-file the path is written into the config so the service can unseal the key at start.\n"
    "Admin credential: --admin-key-dir DIR creates (or reuses) an Ed25519 admin key in its own\n"
    "encrypted key directory (purpose control-signing, same SECRET) for `rustynet control ...`;\n"
    "--admin-public-key adds an existing admin key. At least one is required.\n"
    "--listen defaults to 0.0.0.0:8443; the listen address (unless unspecified) and each --san\n"
    "(IP address or DNS name) go into the certificate's subjectAltName.\n";

struct InitArgs {
  std::string state_dir;
  std::string config_out;
  std::string listen = "0.0.0.0:8443";
  std::optional<int> secret_fd;
  std::optional<std::string> secret_file;
  std::optional<std::string> admin_key_dir;
  std::vector<std::string> admin_public_keys;
  std::vector<std::string> sans;
  std::string audience = "rustynet-control";
  std::optional<std::string> event_log;
};

std::optional<int> parse_fd(const std::string& text) {
  if (text.empty() || text.size() > 6) {
    return std::nullopt;
  }
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

bool parse_args(const std::vector<std::string>& args, InitArgs& parsed, std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (!has_value) {
      err << "rustynet-control init: unexpected argument at position " << i + 1 << "\n" << kInitUsage;
      return false;
    }
    const std::string& value = args[++i];
    if (arg == "--state-dir") {
      parsed.state_dir = value;
    } else if (arg == "--config-out") {
      parsed.config_out = value;
    } else if (arg == "--listen") {
      parsed.listen = value;
    } else if (arg == "--secret-fd") {
      parsed.secret_fd = parse_fd(value);
      if (!parsed.secret_fd.has_value()) {
        err << "rustynet-control init: --secret-fd needs a descriptor number\n";
        return false;
      }
    } else if (arg == "--secret-file") {
      parsed.secret_file = value;
    } else if (arg == "--admin-key-dir") {
      parsed.admin_key_dir = value;
    } else if (arg == "--admin-public-key") {
      parsed.admin_public_keys.push_back(value);
    } else if (arg == "--san") {
      parsed.sans.push_back(value);
    } else if (arg == "--audience") {
      parsed.audience = value;
    } else if (arg == "--event-log") {
      parsed.event_log = value;
    } else {
      // Not echoed: a mistyped command line may carry a secret.
      err << "rustynet-control init: unexpected argument at position " << i << "\n" << kInitUsage;
      return false;
    }
  }
  if (parsed.state_dir.empty() || parsed.config_out.empty()) {
    err << "rustynet-control init: --state-dir and --config-out are required\n";
    return false;
  }
  if (parsed.secret_fd.has_value() == parsed.secret_file.has_value()) {
    err << "rustynet-control init: give exactly one of --secret-fd or --secret-file\n";
    return false;
  }
  if (!parsed.admin_key_dir.has_value() && parsed.admin_public_keys.empty()) {
    err << "rustynet-control init: an admin credential is required (--admin-key-dir or --admin-public-key)\n";
    return false;
  }
  return true;
}

// "ADDR:PORT" or "[V6]:PORT".
bool split_listen(const std::string& text, std::string& address, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size() || text.size() - colon > 6) {
    return false;
  }
  address = text.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  unsigned value = 0;
  for (std::size_t i = colon + 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  if (value == 0 || value > 65535 || !policy::IpAddress::parse(address).has_value()) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

// Creates `path` with mode 0700 unless it exists; then requires it private and ours.
base::Status<std::string> ensure_private_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return base::unexpected(base::last_sys_error("mkdir " + path).describe());
  }
  if (auto checked = base::check_private_dir(path, 0700, ::geteuid()); !checked.has_value()) {
    return base::unexpected(checked.error().describe());
  }
  return {};
}

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* pointer) const noexcept { F(pointer); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

std::string drain(BIO* bio) {
  std::string out;
  std::array<char, 4096> chunk{};
  int n = 0;
  while ((n = BIO_read(bio, chunk.data(), static_cast<int>(chunk.size()))) > 0) {
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return out;
}

struct GeneratedTls {
  std::string certificate_pem;
  base::SecretBytes private_key_pem;
};

// Ed25519 key (the crypto policy's only TLS signature scheme) and a self-signed certificate, signed
// without a separate digest as Ed25519 requires (10 years; clients pin it, so expiry is not the
// revocation mechanism: re-run init on a fresh state dir and redistribute the pin).
std::optional<GeneratedTls> generate_tls(const std::string& san) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  X509Ptr cert(X509_new());
  BnPtr serial(BN_new());
  if (!key || !cert || !serial || X509_set_version(cert.get(), 2) != 1 ||
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3650L * 86400L) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return std::nullopt;
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  static constexpr std::array<unsigned char, 17> kCommonName{'r', 'u', 's', 't', 'y', 'n', 'e', 't', '-',
                                                             'c', 'o', 'n', 't', 'r', 'o', 'l', 0};
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCommonName.data(), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return std::nullopt;
  }
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, san.c_str()));
  if (!extension || X509_add_ext(cert.get(), extension.get(), -1) != 1 ||
      X509_sign(cert.get(), key.get(), nullptr) <= 0) {
    return std::nullopt;
  }
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return std::nullopt;
  }
  std::string key_text = drain(key_bio.get());
  GeneratedTls out{drain(cert_bio.get()),
                   base::SecretBytes(std::span<const std::uint8_t>(
                       static_cast<const std::uint8_t*>(static_cast<const void*>(key_text.data())), key_text.size()))};
  base::secure_wipe(
      std::span<std::uint8_t>(static_cast<std::uint8_t*>(static_cast<void*>(key_text.data())), key_text.size()));
  return out;
}

std::string san_entry(const std::string& name) {
  return policy::IpAddress::parse(name).has_value() ? "IP:" + name : "DNS:" + name;
}

int fail(std::ostream& err, const std::string& message) {
  err << "rustynet-control init: " << message << "\n";
  return kExitFailure;
}

}  // namespace

std::string certificate_pin(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return {};
  }
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return {};
  }
  const int length = i2d_X509(cert.get(), nullptr);
  if (length <= 0) {
    return {};
  }
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_X509(cert.get(), &cursor) != length) {
    return {};
  }
  const auto digest = crypto::sha256(der);
  return crypto::hex_encode(std::span<const std::uint8_t>(digest.data(), digest.size()));
}

int run_init(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const InitOptions& options) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    out << kInitUsage;
    return kExitOk;
  }
  InitArgs parsed;
  if (!parse_args(args, parsed, err)) {
    return kExitUsage;
  }
  std::string listen_address;
  std::uint16_t listen_port = 0;
  if (!split_listen(parsed.listen, listen_address, listen_port)) {
    err << "rustynet-control init: --listen must be ADDR:PORT with an IP address\n";
    return kExitUsage;
  }
  std::vector<crypto::Ed25519PublicKey> admin_keys;
  for (const auto& text : parsed.admin_public_keys) {
    auto key = crypto::Ed25519PublicKey::from_base64(text);
    if (!key.has_value()) {
      err << "rustynet-control init: --admin-public-key is not a base64 Ed25519 public key\n";
      return kExitUsage;
    }
    admin_keys.push_back(*key);
  }
  const std::string key_dir = parsed.state_dir + "/keys";
  const std::string tls_dir = parsed.state_dir + "/tls";
  const std::string cert_path = tls_dir + "/cert.pem";
  const std::string tls_key_path = tls_dir + "/key.pem";
  for (const auto& path : {parsed.config_out, cert_path, tls_key_path, key_dir + "/control-signing.key"}) {
    if (exists(path)) {
      err << "rustynet-control init: " << path << " already exists; refusing to overwrite it\n";
      return kExitExists;
    }
  }
  auto secret = parsed.secret_fd.has_value() ? crypto::OperatorSecret::from_fd(*parsed.secret_fd)
                                             : crypto::OperatorSecret::from_file(*parsed.secret_file);
  if (!secret.has_value()) {
    return fail(err, secret.error().describe());
  }
  auto admin_secret = crypto::OperatorSecret::from_bytes(secret->expose());
  if (!admin_secret.has_value()) {
    return fail(err, admin_secret.error().describe());
  }
  for (const auto& dir : {parsed.state_dir, tls_dir}) {
    if (auto made = ensure_private_dir(dir); !made.has_value()) {
      return fail(err, made.error());
    }
  }

  // Signing key: custody refuses to open an insecure directory; contains() re-checks "never overwrite".
  crypto::EncryptedFileCustodyOptions custody_options;
  custody_options.params = options.params;
  custody_options.create_directory = true;
  auto custody = crypto::EncryptedFileCustody::open(key_dir, std::move(secret).value(), custody_options);
  if (!custody.has_value()) {
    return fail(err, custody.error().describe());
  }
  auto present = (*custody)->contains(crypto::KeyPurpose::kControlSigning);
  if (!present.has_value()) {
    return fail(err, present.error().describe());
  }
  if (*present) {
    err << "rustynet-control init: a control-signing key already exists in " << key_dir
        << "; refusing to overwrite it\n";
    return kExitExists;
  }
  auto signing_key = crypto::Ed25519SigningKey::generate();
  if (!signing_key.has_value()) {
    return fail(err, "key generation failed");
  }
  if (auto stored = crypto::store_signing_key(**custody, crypto::KeyPurpose::kControlSigning, *signing_key);
      !stored.has_value()) {
    return fail(err, stored.error().describe());
  }

  // Admin credential: its own key directory, reused if it already holds a key.
  if (parsed.admin_key_dir.has_value()) {
    auto admin_custody =
        crypto::EncryptedFileCustody::open(*parsed.admin_key_dir, std::move(admin_secret).value(), custody_options);
    if (!admin_custody.has_value()) {
      return fail(err, admin_custody.error().describe());
    }
    auto admin_present = (*admin_custody)->contains(crypto::KeyPurpose::kControlSigning);
    if (!admin_present.has_value()) {
      return fail(err, admin_present.error().describe());
    }
    if (!*admin_present) {
      auto admin_key = crypto::Ed25519SigningKey::generate();
      if (!admin_key.has_value()) {
        return fail(err, "admin key generation failed");
      }
      if (auto stored = crypto::store_signing_key(**admin_custody, crypto::KeyPurpose::kControlSigning, *admin_key);
          !stored.has_value()) {
        return fail(err, stored.error().describe());
      }
    }
    auto admin_key = crypto::load_signing_key(**admin_custody, crypto::KeyPurpose::kControlSigning);
    if (!admin_key.has_value()) {
      return fail(err, admin_key.error().describe());
    }
    admin_keys.insert(admin_keys.begin(), admin_key->public_key());
  }

  // TLS material.
  std::string san;
  const bool unspecified = listen_address == "0.0.0.0" || listen_address == "::";
  std::vector<std::string> names = parsed.sans;
  if (!unspecified) {
    names.insert(names.begin(), listen_address);
  }
  if (names.empty()) {
    names.emplace_back("localhost");
  }
  for (const auto& name : names) {
    san += (san.empty() ? "" : ",") + san_entry(name);
  }
  auto tls = generate_tls(san);
  if (!tls.has_value()) {
    return fail(err, "TLS key or certificate generation failed");
  }
  base::AtomicWriteOptions key_write;
  key_write.mode = 0600;
  if (auto written = base::atomic_write_file(tls_key_path, tls->private_key_pem.view(), key_write);
      !written.has_value()) {
    return fail(err, written.error().describe());
  }
  base::AtomicWriteOptions cert_write;
  cert_write.mode = 0644;
  if (auto written = base::atomic_write_file(cert_path, tls->certificate_pem, cert_write); !written.has_value()) {
    return fail(err, written.error().describe());
  }
  const std::string pin = certificate_pin(tls->certificate_pem);

  // Configuration.
  nlohmann::json admin_json = nlohmann::json::array();
  for (const auto& key : admin_keys) {
    admin_json.push_back(key.to_base64());
  }
  nlohmann::json custody_json = {{"key_directory", key_dir}};
  if (parsed.secret_file.has_value()) {
    custody_json["operator_secret_file"] = *parsed.secret_file;
  }
  const nlohmann::json config = {
      {"version", 1},
      {"listen", {{"address", listen_address}, {"port", listen_port}}},
      {"tls",
       {{"min_version", "1.3"},
        {"max_version", "1.3"},
        {"certificate_file", cert_path},
        {"private_key_file", tls_key_path}}},
      {"state_dir", parsed.state_dir},
      {"security_event_log", parsed.event_log.value_or(parsed.state_dir + "/security-events.log")},
      {"audience", parsed.audience},
      {"custody", std::move(custody_json)},
      {"admin_public_keys", std::move(admin_json)},
      {"node_state_lifetime_seconds", 86400},
      {"long_poll_max_wait_seconds", 55}};
  base::AtomicWriteOptions config_write;
  config_write.mode = 0600;
  if (auto written = base::atomic_write_file(parsed.config_out, config.dump(2) + "\n", config_write);
      !written.has_value()) {
    return fail(err, written.error().describe());
  }

  out << "control_signing_public_key " << signing_key->public_key().to_base64() << "\n"
      << "control_signing_key_id " << signing_key->key_id() << "\n"
      << "tls_certificate_sha256 " << pin << "\n";
  for (const auto& key : admin_keys) {
    out << "admin_public_key " << key.to_base64() << "\n";
  }
  out << "config " << parsed.config_out << "\n";
  return kExitOk;
}

}  // namespace rustynet::apps::control_server
