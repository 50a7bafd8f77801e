#include "json_line.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace bench {
namespace {

void write(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::value(key));
        out += ':';
        write(item, out);
      }
      out += '}';
      break;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(item, out);
      }
      out += ']';
      break;
    }
    case boost::json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {  // JSON has no NaN or infinity
        out += "null";
        break;
      }
      char buf[64];
      // Shortest text that reads back as the same double, in fixed notation.
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
      out.append(buf, ec == std::errc() ? end : buf);
      break;
    }
    default:
      out += boost::json::serialize(v);
  }
}

}  // namespace

std::string json_line(const boost::json::value& v) {
  std::string out;
  write(v, out);
  return out;
}

}  // namespace bench
