// iot-sensor's Prometheus metrics (--metrics-listen): what the process
// publishes and how far the server has acknowledged it, its buffer, the
// commands its sensors applied and rejected, and the NATS connection.
// Totals always; one series per sensor only for fleets of at most
// per_sensor_limit members, where that stays cheap to scrape.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../common/nats_health.hpp"
#include "measurement_publisher.hpp"
#include "sensor.hpp"

namespace sensor {

inline constexpr std::size_t per_sensor_limit = 100;

std::string metrics_text(const std::vector<std::unique_ptr<sensor_runtime>>& sensors,
                         const measurement_publisher* publisher, std::size_t buffer_capacity,
                         const apps::nats_health& nats);

}  // namespace sensor
