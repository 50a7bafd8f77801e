// Beast's and Asio SSL's non-template code, compiled once for every user of
// this library (which is built, with its users, with
// BOOST_BEAST_SEPARATE_COMPILATION; Asio's own is in lib/asio_impl).
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
