#include "iot/command.hpp"

#include <cstdio>
#include <random>

#include "iot/duration.hpp"
#include "json_fields.hpp"

namespace iot {

std::string encode(const command& c) {
  // The four original fields are always written, as the original system does.
  detail::json_writer w;
  w.integer("command_id", static_cast<int>(c.kind))
      .uint("metric_id", c.metric_id)
      .string("new_measurement_value", c.new_measurement_value)
      .integer("new_interval_milliseconds", c.new_interval.count())
      .integer("schema", c.schema);
  if (!c.command_uuid.empty()) w.string("command_uuid", c.command_uuid);
  if (c.issued_at) w.time("issued_at", *c.issued_at);
  return w.finish();
}

std::string decode_command(std::string_view json, command& out) {
  using detail::presence;
  detail::json::object o;
  if (auto e = detail::parse_object(json, o); !e.empty()) return e;
  command c;
  std::uint64_t id = 0;
  if (auto e = detail::read_schema(o, c.schema); !e.empty()) return e;
  if (auto e = detail::read_uint(o, "command_id", presence::required, id); !e.empty()) return e;
  if (id != static_cast<std::uint64_t>(command_kind::update_config) &&
      id != static_cast<std::uint64_t>(command_kind::edit_measurement))
    return detail::field_error("command_id", "unknown command " + std::to_string(id) +
                                                 " (1 is update_config, 2 is edit_measurement)");
  c.kind = static_cast<command_kind>(id);

  // Every known field is checked, whatever the kind; only the kind's own are kept.
  std::uint64_t metric_id = 0, interval_ms = 0;
  std::string value;
  bool has_metric = false, has_value = false, has_interval = false, has_issued = false;
  clock::time_point issued;
  for (auto e : {
           detail::read_uint(o, "metric_id", presence::optional, metric_id, &has_metric),
           detail::read_string(o, "new_measurement_value", presence::optional, value,
                               detail::max_measurement_value_bytes, &has_value),
           detail::read_uint(o, "new_interval_milliseconds", presence::optional, interval_ms,
                             &has_interval),
           detail::read_string(o, "command_uuid", presence::optional, c.command_uuid),
           detail::read_time(o, "issued_at", presence::optional, issued, &has_issued),
       })
    if (!e.empty()) return e;
  if (has_issued) c.issued_at = issued;

  const auto missing = [](std::string_view field, std::string_view kind) {
    return detail::field_error(field, "missing (required for " + std::string(kind) + ")");
  };
  if (c.kind == command_kind::update_config) {
    if (!has_interval) return missing("new_interval_milliseconds", "update_config");
    if (interval_ms < static_cast<std::uint64_t>(min_interval.count()) ||
        interval_ms > static_cast<std::uint64_t>(max_interval.count()))
      return detail::field_error("new_interval_milliseconds",
                                 detail::interval_range_reason(std::to_string(interval_ms)));
    c.new_interval = std::chrono::milliseconds(static_cast<std::int64_t>(interval_ms));
  } else {
    if (!has_metric) return missing("metric_id", "edit_measurement");
    if (!has_value) return missing("new_measurement_value", "edit_measurement");
    c.metric_id = metric_id;
    c.new_measurement_value = std::move(value);
  }
  out = std::move(c);
  return {};
}

std::string new_uuid() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(),
                       device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  std::uint64_t hi = engine();
  std::uint64_t lo = engine();
  hi = (hi & ~std::uint64_t{0xF000}) | 0x4000;                           // version 4
  lo = (lo & ~(std::uint64_t{0xC} << 60)) | (std::uint64_t{0x8} << 60);  // variant 10xx
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFF'FFFF'FFFFULL));
  return buf;
}

}  // namespace iot
