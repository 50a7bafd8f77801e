#include "sensor_registry.hpp"

namespace server {

namespace {

// "<id>.config" -> "<id>"; "" for any other key.
std::string_view sensor_of_key(std::string_view key) {
  constexpr std::string_view suffix = ".config";
  if (key.size() <= suffix.size() || !key.ends_with(suffix)) return {};
  return key.substr(0, key.size() - suffix.size());
}

}  // namespace

std::string_view to_string(sensor_status s) {
  switch (s) {
    case sensor_status::online:
      return "online";
    case sensor_status::offline:
      return "offline";
    case sensor_status::unknown:
      break;
  }
  return "unknown";
}

std::optional<sensor_status> parse_sensor_status(std::string_view text) {
  for (auto s : {sensor_status::online, sensor_status::offline, sensor_status::unknown})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

sensor_status status_of(const sensor_view& v, iot::clock::time_point now) {
  if (!v.last || !v.config || v.config->interval.count() <= 0) return sensor_status::unknown;
  // The measurement's own timestamp, not when it arrived: after a restart
  // the stream hands back old measurements, which must not look fresh.
  return now - v.last->timestamp <= 3 * v.config->interval ? sensor_status::online
                                                           : sensor_status::offline;
}

void sensor_registry::config_put(std::string_view key, std::string_view json) {
  const auto id = sensor_of_key(key);
  if (id.empty()) return;
  auto [it, added] = sensors_.try_emplace(std::string(id));
  auto& v = it->second;
  v.id = id;
  if (!v.configured) ++configured_;
  v.configured = true;
  iot::sensor_config c;
  v.config_error = iot::decode_sensor_config(json, c);
  if (v.config_error.empty())
    v.config = std::move(c);
  else
    v.config.reset();
}

void sensor_registry::config_erased(std::string_view key) {
  const auto id = sensor_of_key(key);
  auto it = sensors_.find(id);
  if (id.empty() || it == sensors_.end() || !it->second.configured) return;
  --configured_;
  it->second.configured = false;
  it->second.config.reset();
  it->second.config_error.clear();
}

void sensor_registry::measured(const iot::measurement& m, std::uint64_t stream_sequence) {
  auto [it, added] = sensors_.try_emplace(m.sensor_id);
  auto& v = it->second;
  v.id = m.sensor_id;
  // The latest lecture, or a correction of it; an older lecture (a late
  // redelivery, a correction of the past) leaves it as it is.
  if (v.last && m.lecture_id < v.last->lecture_id) return;
  if (v.last && m.lecture_id == v.last->lecture_id && m.revision < v.last->revision) return;
  v.last = m;
  v.last_stream_sequence = stream_sequence;
}

const sensor_view* sensor_registry::find(std::string_view id) const {
  const auto it = sensors_.find(id);
  return it == sensors_.end() || !it->second.configured ? nullptr : &it->second;
}

sensor_registry::page sensor_registry::list(const filter& f, iot::clock::time_point now) const {
  page out;
  if (f.limit == 0) return out;
  auto it = f.after.empty() ? sensors_.lower_bound(f.id_prefix) : sensors_.upper_bound(f.after);
  for (; it != sensors_.end(); ++it) {
    const auto& v = it->second;
    if (!v.id.starts_with(f.id_prefix)) {
      if (v.id > f.id_prefix) break;  // sorted: no later id has the prefix
      continue;
    }
    if (!v.configured || (f.status && status_of(v, now) != *f.status)) continue;
    if (out.sensors.size() == f.limit) {
      out.next = out.sensors.back()->id;
      break;
    }
    out.sensors.push_back(&v);
  }
  return out;
}

std::size_t sensor_registry::count(sensor_status s, iot::clock::time_point now) const {
  std::size_t n = 0;
  for (const auto& [id, v] : sensors_)
    if (v.configured && status_of(v, now) == s) ++n;
  return n;
}

}  // namespace server
