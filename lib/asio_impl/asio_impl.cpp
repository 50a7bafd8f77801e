// Boost.Asio's non-template code, compiled once for the whole tree: every
// file is built with BOOST_ASIO_SEPARATE_COMPILATION, so Asio's headers
// declare these functions instead of defining them inline in each file.
#include <boost/asio/impl/src.hpp>
