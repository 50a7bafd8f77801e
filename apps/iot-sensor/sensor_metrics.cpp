#include "sensor_metrics.hpp"

#include "../common/metric_families.hpp"

namespace sensor {

using apps::metrics::family;

std::string metrics_text(const std::vector<std::unique_ptr<sensor_runtime>>& sensors,
                         const measurement_publisher* publisher, std::size_t buffer_capacity,
                         const apps::nats_health& nats) {
  const bool each = sensors.size() <= per_sensor_limit;
  auto published = family::counter("iot_sensor_measurements_published_total",
                                   "Measurements and corrections published");
  auto acknowledged = family::counter("iot_sensor_measurements_acknowledged_total",
                                      "Measurements the server acknowledged as stored");
  auto commands = family::counter("iot_sensor_commands_total", "Commands taken, by outcome");
  sensor_summary total;
  for (const auto& s : sensors) {
    const auto& sum = s->summary();
    total += sum;
    if (!each) continue;
    published.add(static_cast<double>(sum.published), {{"sensor", s->id()}});
    acknowledged.add(static_cast<double>(sum.acknowledged), {{"sensor", s->id()}});
    commands.add(static_cast<double>(sum.applied), {{"sensor", s->id()}, {"outcome", "applied"}});
    commands.add(static_cast<double>(sum.rejected), {{"sensor", s->id()}, {"outcome", "rejected"}});
  }
  if (!each) {
    published.add(static_cast<double>(total.published));
    acknowledged.add(static_cast<double>(total.acknowledged));
    commands.add(static_cast<double>(total.applied), {{"outcome", "applied"}});
    commands.add(static_cast<double>(total.rejected), {{"outcome", "rejected"}});
  }
  std::vector<prometheus::MetricFamily> families{published.take(), acknowledged.take(),
                                                 commands.take()};
  families.push_back(family::gauge("iot_sensor_sensors", "Sensors in this process")
                         .add(static_cast<double>(sensors.size()))
                         .take());
  families.push_back(
      family::gauge("iot_sensor_buffer_measurements",
                    "Measurements waiting for the server's acknowledgement (the buffer's depth)")
          .add(publisher ? static_cast<double>(publisher->waiting()) : 0)
          .take());
  families.push_back(family::gauge("iot_sensor_buffer_capacity_measurements",
                                   "The buffer's size: measuring pauses when it is full")
                         .add(static_cast<double>(buffer_capacity))
                         .take());
  families.push_back(family::gauge("iot_nats_connected", "1 while connected to NATS")
                         .add(nats.connected ? 1 : 0)
                         .take());
  families.push_back(family::counter("iot_nats_reconnects_total", "Reconnections to NATS")
                         .add(static_cast<double>(nats.reconnects))
                         .take());
  return apps::metrics::serialize(families);
}

}  // namespace sensor
