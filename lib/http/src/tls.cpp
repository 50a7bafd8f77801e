#include "http/tls.hpp"

namespace http {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> load_tls(const std::string& cert_chain_file,
                                       const std::string& private_key_file, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  if (ctx->use_certificate_chain_file(cert_chain_file, ec); ec) {
    error = "TLS certificate " + cert_chain_file + ": " + ec.message();
    return nullptr;
  }
  if (ctx->use_private_key_file(private_key_file, ssl::context::pem, ec); ec) {
    error = "TLS key " + private_key_file + ": " + ec.message();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    error = "TLS key " + private_key_file + " does not match certificate " + cert_chain_file;
    return nullptr;
  }
  return ctx;
}

}  // namespace http
