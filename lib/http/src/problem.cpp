#include "http/problem.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <ostream>  // Boost 1.81's string_view, under Beast, uses it undeclared

namespace http {

std::string to_json(const problem& p) {
  boost::json::object o;
  o["type"] = p.type;
  o["title"] = p.title.empty() ? std::string(boost::beast::http::obsolete_reason(
                                     static_cast<boost::beast::http::status>(p.status)))
                               : p.title;
  o["status"] = p.status;
  if (!p.detail.empty()) o["detail"] = p.detail;
  for (const auto& [name, value] : p.extensions)
    if (!o.contains(name)) o[name] = value;  // never over a standard member
  return boost::json::serialize(o);
}

}  // namespace http
