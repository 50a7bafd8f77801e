// What the API knows of every sensor, kept in memory: its config from the
// config bucket, its latest measurement from the stream, and the status
// these imply. Fed by sensor_feed (a KV watch and a subscription), read by
// the routes without a NATS round trip. Not thread-safe: one executor.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iot/measurement.hpp"
#include "iot/sensor_config.hpp"
#include "iot/timestamp.hpp"

namespace server {

enum class sensor_status { online, offline, unknown };
std::string_view to_string(sensor_status s);
std::optional<sensor_status> parse_sensor_status(std::string_view text);

struct sensor_view {
  std::string id;
  bool configured = false;                   // the bucket holds a config for it
  std::optional<iot::sensor_config> config;  // nullopt: none, or it does not decode
  std::string config_error;                  // why the stored config does not decode
  std::optional<iot::measurement> last;      // the latest lecture (corrections applied)
  std::uint64_t last_stream_sequence = 0;
};

// Online: the latest measurement was taken within three intervals of now;
// offline: earlier; unknown: none seen, or no readable config to time it by.
sensor_status status_of(const sensor_view& v, iot::clock::time_point now);

class sensor_registry {
 public:
  // A value of the config bucket: "<id>.config" put or erased. Other keys
  // are not sensors and are ignored.
  void config_put(std::string_view key, std::string_view json);
  void config_erased(std::string_view key);
  // A measurement (or a correction) read from the stream.
  void measured(const iot::measurement& m, std::uint64_t stream_sequence);

  // A configured sensor; null when the bucket holds no config for it.
  const sensor_view* find(std::string_view id) const;

  struct filter {
    std::optional<sensor_status> status;
    std::string id_prefix;
    std::string after;  // the cursor: ids greater than this
    std::size_t limit = 100;
  };
  struct page {
    std::vector<const sensor_view*> sensors;  // by id
    std::string next;                         // the cursor of the next page; "": the last
  };
  page list(const filter& f, iot::clock::time_point now) const;

  // Every configured sensor, by id.
  template <class F>
  void for_each(F f) const {
    for (const auto& [id, v] : sensors_)
      if (v.configured) f(v);
  }

  std::size_t configured() const { return configured_; }
  // Counts by status, for metrics.
  std::size_t count(sensor_status s, iot::clock::time_point now) const;

 private:
  std::map<std::string, sensor_view, std::less<>> sensors_;
  std::size_t configured_ = 0;
};

}  // namespace server
