#include <vector>

#include "api_routes.hpp"
#include "dashboard_files.hpp"
#include "http/static_files.hpp"

namespace server {

void add_dashboard_routes(http::server& s) {
  std::vector<http::static_file> files;
  for (const auto& f : dashboard_files()) files.push_back({f.path, f.bytes, f.gzipped});
  http::static_options o;
  // Everything from this server, no inline script or style; uPlot sets
  // styles through the CSSOM, which style-src does not govern.
  o.content_security_policy =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
      "form-action 'self'";
  http::add_static_files(s, files, o);
}

}  // namespace server
