// The NATS service API's discovery replies: PING, INFO and STATS as JSON
// (pure functions, unit-tested).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "nats_asio/detail/endpoint_stats.hpp"
#include "nats_asio/service.hpp"

namespace nats_asio::detail {

inline constexpr std::string_view ping_response_type = "io.nats.micro.v1.ping_response";
inline constexpr std::string_view info_response_type = "io.nats.micro.v1.info_response";
inline constexpr std::string_view stats_response_type = "io.nats.micro.v1.stats_response";

struct endpoint_report {
  endpoint_config config;
  endpoint_stats_snapshot stats;
};

std::string ping_response(const service_config& service, const std::string& id);
std::string info_response(const service_config& service, const std::string& id,
                          const std::vector<endpoint_report>& endpoints);
std::string stats_response(const service_config& service, const std::string& id,
                           std::chrono::system_clock::time_point started,
                           const std::vector<endpoint_report>& endpoints);

// RFC 3339 in UTC with nanoseconds: "2026-11-30T15:55:02.123456789Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

}  // namespace nats_asio::detail
