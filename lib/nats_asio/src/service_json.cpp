#include "nats_asio/detail/service_json.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>

namespace nats_asio::detail {
namespace json = boost::json;
namespace {

json::object to_json(const std::map<std::string, std::string>& metadata) {
  json::object o;
  for (const auto& [key, value] : metadata) o[key] = value;
  return o;
}

// The fields every reply starts with.
json::object identity(std::string_view type, const service_config& service, const std::string& id) {
  json::object o;
  o["type"] = type;
  o["name"] = service.name;
  o["id"] = id;
  o["version"] = service.version;
  o["metadata"] = to_json(service.metadata);
  return o;
}

}  // namespace

std::string ping_response(const service_config& service, const std::string& id) {
  return json::serialize(identity(ping_response_type, service, id));
}

std::string info_response(const service_config& service, const std::string& id,
                          const std::vector<endpoint_report>& endpoints) {
  auto o = identity(info_response_type, service, id);
  o["description"] = service.description;
  json::array list;
  for (const auto& e : endpoints) {
    json::object item;
    item["name"] = e.config.name;
    item["subject"] = e.config.subject;
    item["queue_group"] = e.config.queue_group;
    item["metadata"] = to_json(e.config.metadata);
    list.emplace_back(std::move(item));
  }
  o["endpoints"] = std::move(list);
  return json::serialize(o);
}

std::string stats_response(const service_config& service, const std::string& id,
                           std::chrono::system_clock::time_point started,
                           const std::vector<endpoint_report>& endpoints) {
  auto o = identity(stats_response_type, service, id);
  o["started"] = rfc3339(started);
  json::array list;
  for (const auto& e : endpoints) {
    json::object item;
    item["name"] = e.config.name;
    item["subject"] = e.config.subject;
    item["queue_group"] = e.config.queue_group;
    item["num_requests"] = e.stats.num_requests;
    item["num_errors"] = e.stats.num_errors;
    item["last_error"] = e.stats.last_error;
    item["processing_time"] = e.stats.processing_time.count();
    item["average_processing_time"] = e.stats.average_processing_time().count();
    list.emplace_back(std::move(item));
  }
  o["endpoints"] = std::move(list);
  return json::serialize(o);
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto since_epoch = t.time_since_epoch();
  auto secs = duration_cast<seconds>(since_epoch);
  auto nanos = duration_cast<nanoseconds>(since_epoch - secs);
  if (nanos.count() < 0) {  // before 1970: the fraction counts forward from the second before
    secs -= seconds(1);
    nanos += seconds(1);
  }
  const std::time_t whole = static_cast<std::time_t>(secs.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(nanos.count()));
  return text;
}

}  // namespace nats_asio::detail
