// TLS for the server: a certificate chain and its private key, loaded once
// at start (file I/O, before the event loop runs).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace http {

// TLS 1.2 and later. Null, with a one-line `error` naming the file, when a
// file cannot be read or the key does not match the certificate.
std::shared_ptr<boost::asio::ssl::context> load_tls(const std::string& cert_chain_file,
                                                    const std::string& private_key_file,
                                                    std::string& error);

}  // namespace http
