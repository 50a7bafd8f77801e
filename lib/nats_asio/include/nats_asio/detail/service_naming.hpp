// The NATS service API's rules for names, versions and subjects, and the
// instance id (pure functions, unit-tested).
#pragma once

#include <string>
#include <string_view>

namespace nats_asio::detail {

// A service or endpoint name: one or more of [A-Za-z0-9_-].
bool valid_service_name(std::string_view name);
// A semantic version (semver.org 2.0.0): MAJOR.MINOR.PATCH, numbers without
// leading zeros, an optional -pre.release and +build.metadata.
bool valid_semver(std::string_view version);
// An endpoint subject: dot-separated tokens, none empty, no white space;
// "*" tokens anywhere and a ">" token only at the end.
bool valid_endpoint_subject(std::string_view subject);
// A queue group: empty (none) or a name without white space.
bool valid_queue_group(std::string_view group);

// A new instance id: 22 random letters and digits, as a NUID.
std::string new_service_id();

}  // namespace nats_asio::detail
