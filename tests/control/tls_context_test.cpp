// SPDX-License-Identifier: Apache-2.0
// TLS server context over real loopback connections: TLS 1.3 succeeds, TLS 1.2 and 1.1 clients fail.
#include "rustynet/control/tls_context.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "rustynet/base/unique_fd.hpp"
#include "rustynet/control/https_client.hpp"
#include "test_cert.hpp"

namespace rustynet::control {
namespace {

using testing::ClientTlsCap;

// One-shot blocking TLS server on 127.0.0.1:0 using the context under test.
class OneShotServer {
 public:
  explicit OneShotServer(ssl_ctx_st* ctx) : ctx_(ctx) {
    listener_ = base::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_TRUE(listener_.valid());
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sockaddr generic{};
    std::copy_n(static_cast<const unsigned char*>(static_cast<const void*>(&addr)), sizeof(addr),
                static_cast<unsigned char*>(static_cast<void*>(&generic)));
    EXPECT_EQ(::bind(listener_.get(), &generic, sizeof(addr)), 0);
    EXPECT_EQ(::listen(listener_.get(), 4), 0);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::getsockname(listener_.get(), &generic, &len), 0);
    std::copy_n(static_cast<const unsigned char*>(static_cast<const void*>(&generic)), sizeof(addr),
                static_cast<unsigned char*>(static_cast<void*>(&addr)));
    port_ = ntohs(addr.sin_port);
    result_ = std::async(std::launch::async, [this] { return serve_one(); });
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // True when the server-side handshake completed.
  bool server_accepted() { return result_.get(); }

 private:
  bool serve_one() {
    const base::UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) {
      return false;
    }
    SSL* ssl = SSL_new(ctx_);
    if (ssl == nullptr) {
      return false;
    }
    SSL_set_fd(ssl, conn.get());
    const bool ok = SSL_accept(ssl) == 1;
    if (ok) {
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    return ok;
  }

  ssl_ctx_st* ctx_;
  base::UniqueFd listener_;
  std::uint16_t port_ = 0;
  std::future<bool> result_;
};

TlsServerContext make_context() {
  auto ctx = TlsServerContext::create(testing::make_test_tls_config());
  EXPECT_TRUE(ctx.has_value()) << (ctx.has_value() ? "" : ctx.error().message);
  return std::move(ctx).value();
}

TEST(TlsContextTest, ConfiguredForTls13Only) {
  const TlsServerContext ctx = make_context();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.native_handle()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx.native_handle()), TLS1_3_VERSION);
  const auto options = SSL_CTX_get_options(ctx.native_handle());
  EXPECT_NE(options & SSL_OP_NO_RENEGOTIATION, 0U);
  EXPECT_NE(options & SSL_OP_NO_COMPRESSION, 0U);
  EXPECT_NE(options & SSL_OP_NO_TLSv1_2, 0U);
  EXPECT_EQ(SSL_CTX_get_max_early_data(ctx.native_handle()), 0U);
  EXPECT_EQ(SSL_CTX_get_num_tickets(ctx.native_handle()), 0U);
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx.native_handle()), SSL_SESS_CACHE_OFF);
}

TEST(TlsContextTest, Tls13ClientSucceedsOverLoopback) {
  const TlsServerContext ctx = make_context();
  OneShotServer server(ctx.native_handle());
  const auto result = testing::client_handshake(server.port(), ClientTlsCap::kTls13);
  EXPECT_TRUE(result.succeeded) << result.error;
  EXPECT_EQ(result.negotiated_version, "TLSv1.3");
  EXPECT_TRUE(server.server_accepted());
}

TEST(TlsContextTest, Tls12ClientRefusedAtHandshake) {
  const TlsServerContext ctx = make_context();
  OneShotServer server(ctx.native_handle());
  const auto result = testing::client_handshake(server.port(), ClientTlsCap::kTls12);
  EXPECT_FALSE(result.succeeded);
  EXPECT_NE(result.error.find("protocol version"), std::string::npos) << result.error;
  EXPECT_FALSE(server.server_accepted());
}

TEST(TlsContextTest, Tls11ClientRefusedAtHandshake) {
  const TlsServerContext ctx = make_context();
  OneShotServer server(ctx.native_handle());
  const auto result = testing::client_handshake(server.port(), ClientTlsCap::kTls11);
  EXPECT_FALSE(result.succeeded);
  EXPECT_NE(result.error.find("protocol version"), std::string::npos) << result.error;
  EXPECT_FALSE(server.server_accepted());
}

TEST(TlsContextTest, RefusesOlderVersionPolicy) {
  auto config = testing::make_test_tls_config();
  config.policy.min_version = TlsVersion::kTls12;
  auto ctx = TlsServerContext::create(config);
  ASSERT_FALSE(ctx.has_value());
  EXPECT_NE(ctx.error().message.find("TLS 1.3 only"), std::string::npos);
}

TEST(TlsContextTest, RefusesMismatchedKey) {
  auto config = testing::make_test_tls_config();
  const auto other = testing::make_self_signed_certificate();
  config.certificate_chain_pem = other.certificate_pem;
  EXPECT_FALSE(TlsServerContext::create(config).has_value());
}

TEST(TlsContextTest, RefusesGarbageCertificate) {
  auto config = testing::make_test_tls_config();
  config.certificate_chain_pem = "not a certificate";
  EXPECT_FALSE(TlsServerContext::create(config).has_value());
}

// Every TLS 1.3 key-exchange group, suite and signature scheme OpenSSL 3.0 implements: the probes
// below offer each alone and the server must accept exactly the policy's.
const std::vector<std::string>& every_group() {
  static const std::vector<std::string> kGroups{"X25519",    "X448",      "P-256",     "P-384",     "P-521",
                                                "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"};
  return kGroups;
}
const std::vector<std::string>& every_suite() {
  static const std::vector<std::string> kSuites{"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                                "TLS_AES_128_GCM_SHA256", "TLS_AES_128_CCM_SHA256",
                                                "TLS_AES_128_CCM_8_SHA256"};
  return kSuites;
}
const std::vector<std::string>& every_signature_scheme() {
  static const std::vector<std::string> kSchemes{"ed25519",
                                                 "ed448",
                                                 "ecdsa_secp256r1_sha256",
                                                 "ecdsa_secp384r1_sha384",
                                                 "ecdsa_secp521r1_sha512",
                                                 "rsa_pss_rsae_sha256",
                                                 "rsa_pss_rsae_sha512",
                                                 "rsa_pss_pss_sha256"};
  return kSchemes;
}

bool in_policy(const std::vector<std::string>& allowed, const std::string& name) {
  return std::find(allowed.begin(), allowed.end(), name) != allowed.end();
}

// One server per probe: the verdict comes from a real handshake against the production context.
testing::HandshakeResult probe(const testing::ClientOffer& offer) {
  const TlsServerContext ctx = make_context();
  OneShotServer server(ctx.native_handle());
  auto result = testing::client_handshake_offering(server.port(), offer);
  EXPECT_EQ(server.server_accepted(), result.succeeded);
  return result;
}

TEST(TlsContextTest, AcceptsExactlyThePolicysGroups) {
  for (const auto& group : every_group()) {
    const auto result = probe({"", group, ""});
    EXPECT_EQ(result.succeeded, in_policy(allowed_tls13_groups(), group)) << group << ": " << result.error;
  }
  EXPECT_EQ(allowed_tls13_groups(), std::vector<std::string>{"X25519"});
}

TEST(TlsContextTest, AcceptsExactlyThePolicysSuites) {
  for (const auto& suite : every_suite()) {
    const auto result = probe({suite, "", ""});
    EXPECT_EQ(result.succeeded, in_policy(allowed_tls13_suites(), suite)) << suite << ": " << result.error;
    if (result.succeeded) {
      EXPECT_EQ(result.negotiated_version, suite);
    }
  }
  // AES-128-GCM is a compatibility algorithm (docs/crypto-policy.md): never by default.
  EXPECT_FALSE(in_policy(allowed_tls13_suites(), "TLS_AES_128_GCM_SHA256"));
}

TEST(TlsContextTest, AcceptsExactlyThePolicysSignatureSchemes) {
  for (const auto& scheme : every_signature_scheme()) {
    const auto result = probe({"", "", scheme});
    EXPECT_EQ(result.succeeded, in_policy(allowed_tls13_signature_schemes(), scheme)) << scheme << ": " << result.error;
  }
}

TEST(TlsContextTest, DefaultClientGetsTheStrongestSuite) {
  const auto result = probe({});
  ASSERT_TRUE(result.succeeded) << result.error;
  EXPECT_EQ(result.negotiated_version, "TLS_AES_256_GCM_SHA384");
}

TEST(TlsContextTest, RefusesCertificateKeysOutsidePolicy) {
  for (const auto type : {testing::TestKeyType::kEcdsaP256, testing::TestKeyType::kRsa2048}) {
    const auto cert = testing::make_self_signed_certificate(type);
    auto config = testing::make_test_tls_config();
    config.certificate_chain_pem = cert.certificate_pem;
    config.private_key_pem = base::SecretBytes(std::span<const std::uint8_t>(
        static_cast<const std::uint8_t*>(static_cast<const void*>(cert.private_key_pem.data())),
        cert.private_key_pem.size()));
    auto ctx = TlsServerContext::create(config);
    ASSERT_FALSE(ctx.has_value());
    EXPECT_NE(ctx.error().message.find("must be Ed25519"), std::string::npos) << ctx.error().message;
  }
}

TEST(TlsContextTest, RefusesPolicyWidenedBeyondTheAllowlist) {
  auto config = testing::make_test_tls_config();
  config.policy.groups = {"X25519", "ffdhe2048"};
  EXPECT_FALSE(TlsServerContext::create(config).has_value());
  config = testing::make_test_tls_config();
  config.policy.signature_schemes = {"ecdsa_secp256r1_sha256"};
  EXPECT_FALSE(TlsServerContext::create(config).has_value());
}

// The clients (rustynetd, the CLI) restrict their side with the same policy: a server outside it
// is refused during the handshake, before any request (the server sees the handshake fail).
bool client_completes_handshake(const testing::TestCertificate& cert, const testing::ClientOffer& server_limits) {
  const auto foreign = testing::make_foreign_server_context(cert, server_limits);
  OneShotServer server(foreign.get());
  HttpsClientOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.pin_sha256 = testing::certificate_pin(cert.certificate_pem);
  options.connect_timeout = std::chrono::milliseconds(5000);
  auto client = HttpsClient::create(options);
  EXPECT_TRUE(client.has_value());
  if (!client.has_value()) {
    return false;
  }
  (void)(*client)->send({"GET", "/", "", "", std::nullopt});  // fails either way: the server only handshakes
  return server.server_accepted();
}

TEST(TlsClientPolicyTest, RefusesServersOutsideThePolicy) {
  const auto ed25519 = testing::make_self_signed_certificate();
  EXPECT_TRUE(client_completes_handshake(ed25519, {}));  // the control case: a policy-conformant server
  EXPECT_FALSE(client_completes_handshake(ed25519, {"", "P-256:ffdhe2048", ""}));
  EXPECT_FALSE(client_completes_handshake(ed25519, {"TLS_AES_128_GCM_SHA256", "", ""}));
  EXPECT_FALSE(client_completes_handshake(testing::make_self_signed_certificate(testing::TestKeyType::kEcdsaP256), {}));
  EXPECT_FALSE(client_completes_handshake(testing::make_self_signed_certificate(testing::TestKeyType::kRsa2048), {}));
}

TEST(TlsContextTest, AlgorithmsInForceReadBackFromTheLiveContext) {
  const TlsServerContext ctx = make_context();
  EXPECT_EQ(algorithms_in_force(ctx.native_handle(), TlsPolicy{}),
            (std::vector<std::string>{"tls1.3", "aes-256-gcm", "chacha20-poly1305", "x25519", "ed25519"}));
  // A context outside the policy shows what it really does, for the startup check to refuse.
  const auto foreign =
      testing::make_foreign_server_context(testing::make_self_signed_certificate(testing::TestKeyType::kEcdsaP256), {});
  SSL_CTX_set_min_proto_version(foreign.get(), TLS1_2_VERSION);
  const auto names = algorithms_in_force(foreign.get(), TlsPolicy{});
  for (const char* expected : {"tls1.3", "tls1.2", "aes-256-gcm", "aes-128-gcm", "ecdsa-p256"}) {
    EXPECT_TRUE(in_policy(names, expected)) << expected;
  }
}

TEST(TlsContextTest, ReleaseTransfersOwnership) {
  TlsServerContext ctx = make_context();
  ssl_ctx_st* raw = ctx.release();
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(ctx.native_handle(), nullptr);
  SSL_CTX_free(raw);
}

}  // namespace
}  // namespace rustynet::control
