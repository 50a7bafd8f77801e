// Bearer tokens (RFC 6750) checked without telling, by the time taken, how
// much of a guess was right.
#pragma once

#include <string_view>

namespace http {

// Whether `authorization` (the header's value) is "Bearer <token>". The
// comparison takes the same time wherever the first difference is.
bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace http
