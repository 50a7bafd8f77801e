// A request body that must be a JSON object: the problem to answer when it
// is not (415 for another content type, 400 for malformed JSON or another
// JSON value), so that every route reads bodies the same way.
#pragma once

#include <boost/json/object.hpp>
#include <variant>

#include "http/problem.hpp"
#include "http/server.hpp"

namespace http {

std::variant<boost::json::object, problem> json_object_body(const request& req);

}  // namespace http
