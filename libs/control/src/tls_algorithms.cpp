// SPDX-License-Identifier: Apache-2.0
// algorithms_in_force: what a live OpenSSL context will negotiate, in crypto-policy names.
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <string_view>

#include "rustynet/control/tls_context.hpp"
#include "rustynet/crypto/algorithm_use.hpp"

namespace rustynet::control {
namespace {

std::string version_name(int version) {
  switch (version) {
    case TLS1_3_VERSION: return "tls1.3";
    case TLS1_2_VERSION: return "tls1.2";
    case TLS1_1_VERSION: return "tls1.1";
    case TLS1_VERSION: return "tls1.0";
    default: return "ssl3";  // 0 (no bound) reaches down to whatever the library still has
  }
}

std::string suite_name(std::string_view standard) {
  if (standard == "TLS_AES_256_GCM_SHA384") {
    return "aes-256-gcm";
  }
  if (standard == "TLS_CHACHA20_POLY1305_SHA256") {
    return "chacha20-poly1305";
  }
  if (standard == "TLS_AES_128_GCM_SHA256") {
    return "aes-128-gcm";
  }
  if (standard == "TLS_AES_128_CCM_SHA256") {
    return "aes-128-ccm";
  }
  return "tls-suite:" + std::string(standard);  // never a registered name: refused as unknown
}

std::string key_type_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519: return "ed25519";
    case EVP_PKEY_ED448: return "ed448";
    case EVP_PKEY_RSA: return "rsa-" + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: return EVP_PKEY_get_bits(key) == 256 ? "ecdsa-p256" : "ecdsa";
    default: return "key-type:unknown";
  }
}

}  // namespace

std::vector<std::string> algorithms_in_force(ssl_ctx_st* ctx, const TlsPolicy& policy) {
  std::vector<std::string> names;
  const int max_version = static_cast<int>(SSL_CTX_get_max_proto_version(ctx));
  const int min_version = static_cast<int>(SSL_CTX_get_min_proto_version(ctx));
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION, TLS1_1_VERSION, TLS1_VERSION}) {
    if ((max_version == 0 || version <= max_version) && version >= min_version) {
      crypto::add_algorithms(names, {version_name(version)});
    }
  }
  if (min_version == 0) {
    crypto::add_algorithms(names, {version_name(0)});
  }
  // SSL_CTX_get_ciphers lists the TLS 1.3 suites first, then the <= 1.2 cipher list; the latter
  // only matters when an older version is enabled, and then it is named by the version above.
  const STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    if (std::string_view(SSL_CIPHER_get_version(cipher)) == "TLSv1.3") {
      const char* standard = SSL_CIPHER_standard_name(cipher);
      crypto::add_algorithms(names, {suite_name(standard != nullptr ? standard : "unknown")});
    }
  }
  // Versions and suites came from the context itself; the policy adds groups and schemes.
  crypto::add_algorithms(names, tls_key_exchange_and_signature_names(policy));
  if (const EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx); key != nullptr) {
    crypto::add_algorithms(names, {key_type_name(key)});
  }
  return names;
}

}  // namespace rustynet::control
