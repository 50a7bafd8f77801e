#include "http/json_body.hpp"

#include <boost/json/parse.hpp>

namespace http {

std::variant<boost::json::object, problem> json_object_body(const request& req) {
  const auto type = req[field::content_type];
  const auto media = type.substr(0, type.find(';'));
  if (media != "application/json")
    return problem{415, "the body must be application/json" +
                            (type.empty() ? std::string(" (no Content-Type given)")
                                          : " (got " + std::string(type) + ")")};
  boost::system::error_code ec;
  auto value = boost::json::parse(req.body(), ec);
  if (ec) return problem{400, "malformed JSON body: " + ec.message()};
  if (!value.is_object()) return problem{400, "the body must be a JSON object"};
  return std::move(value.as_object());
}

}  // namespace http
