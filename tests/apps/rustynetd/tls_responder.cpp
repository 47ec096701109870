// SPDX-License-Identifier: Apache-2.0
// TlsResponder implementation: Beast async sessions on one io_context thread.
#include "tls_responder.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <utility>

// Boost 1.74 Asio under g++ 12 in C++20 mode needs <utility> first (included above).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "rustynet/crypto/encoding.hpp"
#include "test_cert.hpp"

namespace rustynet::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string pin_of(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) {
    std::abort();
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest.data(), &length) != 1) {
    std::abort();
  }
  X509_free(cert);
  return crypto::hex_encode(std::span<const std::uint8_t>(digest.data(), length));
}

}  // namespace

struct TlsResponder::Impl {
  Handler handler;
  asio::io_context io;
  std::unique_ptr<ssl::context> tls;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::string pin;
  std::string pem;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::uint64_t> closed{0};
  bool stopped = false;

  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket socket, Impl& owner) : stream(std::move(socket), *owner.tls), impl(owner), timer(owner.io) {}
    beast::ssl_stream<tcp::socket> stream;
    Impl& impl;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    std::shared_ptr<http::response<http::string_body>> response;
    asio::steady_timer timer;

    void start() {
      stream.async_handshake(ssl::stream_base::server, [self = shared_from_this()](const beast::error_code& ec) {
        if (!ec) {
          self->read();
        }
      });
    }
    void read() {
      request = {};
      http::async_read(stream, buffer, request, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
        if (!ec) {
          self->respond();
        }
      });
    }
    void respond() {
      ResponderRequest seen{std::string(request.method_string()), std::string(request.target()),
                            std::string(request[http::field::authorization]), request.body()};
      ResponderReply reply = impl.handler(seen);
      if (reply.drop) {
        beast::error_code ignored;
        stream.next_layer().close(ignored);
        return;
      }
      response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status), 11);
      response->body() = reply.body;
      response->keep_alive(reply.keep_alive);
      response->prepare_payload();
      const bool keep = reply.keep_alive && !reply.close_after;
      timer.expires_after(reply.delay);
      timer.async_wait([self = shared_from_this(), keep](const beast::error_code&) {
        http::async_write(self->stream, *self->response, [self, keep](const beast::error_code& ec, std::size_t) {
          self->impl.served.fetch_add(1);
          if (!ec && keep) {
            self->read();
          } else {
            beast::error_code ignored;
            self->stream.next_layer().close(ignored);
            self->impl.closed.fetch_add(1);
          }
        });
      });
    }
  };

  void accept() {
    acceptor.async_accept([this](const beast::error_code& ec, tcp::socket socket) {
      if (ec) {
        return;
      }
      accepted.fetch_add(1);
      std::make_shared<Session>(std::move(socket), *this)->start();
      accept();
    });
  }
};

TlsResponder::TlsResponder(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  auto config = make_test_tls_config();
  impl_->pem = config.certificate_chain_pem;
  impl_->pin = pin_of(config.certificate_chain_pem);
  auto context = control::TlsServerContext::create(config);
  if (!context.has_value()) {
    std::abort();
  }
  impl_->tls = std::make_unique<ssl::context>(context->release());
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TlsResponder::~TlsResponder() { stop(); }

void TlsResponder::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t TlsResponder::port() const { return impl_->acceptor.local_endpoint().port(); }
const std::string& TlsResponder::pin_sha256() const { return impl_->pin; }
const std::string& TlsResponder::certificate_pem() const { return impl_->pem; }
std::uint64_t TlsResponder::connections_accepted() const { return impl_->accepted.load(); }
std::uint64_t TlsResponder::requests_served() const { return impl_->served.load(); }
std::uint64_t TlsResponder::connections_closed_after_reply() const { return impl_->closed.load(); }

}  // namespace rustynet::testing
