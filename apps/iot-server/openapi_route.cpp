#include "api_routes.hpp"
#include "openapi_document.hpp"

namespace server {

void add_openapi_route(http::server& s) {
  s.add(http::verb::get, "/api/v1/openapi.json",
        [](const http::request_context& c) -> boost::asio::awaitable<http::response> {
          co_return http::make_response(c.req, 200, std::string(openapi_document()));
        });
}

}  // namespace server
