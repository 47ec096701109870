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
#include <future>
#include <thread>

#include "rustynet/base/unique_fd.hpp"
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

TEST(TlsContextTest, ReleaseTransfersOwnership) {
  TlsServerContext ctx = make_context();
  ssl_ctx_st* raw = ctx.release();
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(ctx.native_handle(), nullptr);
  SSL_CTX_free(raw);
}

}  // namespace
}  // namespace rustynet::control
