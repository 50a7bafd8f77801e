// Rows and buckets as CSV (RFC 4180) and JSON, for exports and replies.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "historian/queries.hpp"
#include "historian/stored_measurement.hpp"

namespace historian {

// "sensor_id,lecture_id,revision,seq,timestamp,value,lecture,unit,stream_seq\n"
std::string csv_header();
// One line, fields quoted where they hold a comma, a quote or a line break.
void append_csv(std::string& out, const stored_measurement& row);
std::string bucket_csv_header();  // "start,min,max,avg,count,last\n"
void append_csv(std::string& out, const bucket& b);

// {"sensor_id", "lecture_id", "revision", "seq", "timestamp" (RFC 3339),
//  "value", "lecture", "unit", "stream_seq"}
boost::json::object to_json(const stored_measurement& row);
// {"start" (RFC 3339), "min", "max", "avg", "count", "last"}
boost::json::object to_json(const bucket& b);

// The reverse, for clients; nullopt and `error` naming the field when a
// field is missing or of the wrong type.
std::optional<stored_measurement> row_from_json(const boost::json::value& v, std::string& error);
std::optional<bucket> bucket_from_json(const boost::json::value& v, std::string& error);

}  // namespace historian
