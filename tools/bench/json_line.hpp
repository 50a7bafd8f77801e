// One JSON object as one line, with numbers as a person writes them
// (184220, 0.71) rather than boost::json's 1.8422E5 and 7.1E-1.
#pragma once

#include <boost/json/value.hpp>
#include <string>

namespace bench {

std::string json_line(const boost::json::value& v);

}  // namespace bench
