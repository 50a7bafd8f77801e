#include "nats_asio/detail/js_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sstream>

namespace nats_asio {

const char* to_string(retention_policy p) noexcept {
  switch (p) {
    case retention_policy::limits:
      return "limits";
    case retention_policy::interest:
      return "interest";
    case retention_policy::work_queue:
      return "workqueue";
  }
  return "limits";
}

const char* to_string(storage_type s) noexcept {
  return s == storage_type::memory ? "memory" : "file";
}

namespace detail {
namespace json = boost::json;
namespace {

const char* to_string(discard_policy d) {
  return d == discard_policy::new_messages ? "new" : "old";
}

const char* to_string(deliver_policy d) {
  switch (d) {
    case deliver_policy::all:
      return "all";
    case deliver_policy::last:
      return "last";
    case deliver_policy::new_only:
      return "new";
    case deliver_policy::by_start_sequence:
      return "by_start_sequence";
    case deliver_policy::last_per_subject:
      return "last_per_subject";
  }
  return "all";
}

const char* to_string(ack_policy a) {
  switch (a) {
    case ack_policy::none:
      return "none";
    case ack_policy::all:
      return "all";
    case ack_policy::explicit_ack:
      return "explicit";
  }
  return "explicit";
}

std::string str(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  return {};
}

template <typename T>
T num(const json::object& o, std::string_view key, T fallback = 0) {
  if (auto* v = o.if_contains(key)) {
    if (v->is_int64()) return static_cast<T>(v->get_int64());
    if (v->is_uint64()) return static_cast<T>(v->get_uint64());
    if (v->is_double()) return static_cast<T>(v->get_double());
  }
  return fallback;
}

bool flag(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_bool()) return v->get_bool();
  return false;
}

const json::object& sub(const json::object& o, std::string_view key) {
  static const json::object empty;
  if (auto* v = o.if_contains(key); v && v->is_object()) return v->get_object();
  return empty;
}

}  // namespace

json::object to_json(const stream_config& c) {
  json::object o;
  o["name"] = c.name;
  json::array subjects;
  for (const auto& s : c.subjects) subjects.emplace_back(s);
  o["subjects"] = std::move(subjects);
  if (!c.description.empty()) o["description"] = c.description;
  o["retention"] = to_string(c.retention);
  o["storage"] = to_string(c.storage);
  o["discard"] = to_string(c.discard);
  o["max_consumers"] = -1;
  o["max_msgs"] = c.max_msgs;
  o["max_bytes"] = c.max_bytes;
  o["max_msgs_per_subject"] = c.max_msgs_per_subject;
  o["max_msg_size"] = c.max_msg_size;
  o["max_age"] = c.max_age.count();
  o["num_replicas"] = c.replicas;
  o["duplicate_window"] = c.duplicate_window.count();
  o["allow_direct"] = c.allow_direct;
  o["allow_rollup_hdrs"] = c.allow_rollup;
  o["deny_delete"] = c.deny_delete;
  o["deny_purge"] = c.deny_purge;
  return o;
}

stream_config stream_config_from_json(const json::object& o) {
  stream_config c;
  c.name = str(o, "name");
  if (auto* v = o.if_contains("subjects"); v && v->is_array())
    for (const auto& s : v->get_array())
      if (s.is_string()) c.subjects.emplace_back(s.get_string());
  c.description = str(o, "description");
  const auto retention = str(o, "retention");
  c.retention = retention == "workqueue"  ? retention_policy::work_queue
                : retention == "interest" ? retention_policy::interest
                                          : retention_policy::limits;
  c.storage = str(o, "storage") == "memory" ? storage_type::memory : storage_type::file;
  c.discard =
      str(o, "discard") == "new" ? discard_policy::new_messages : discard_policy::old_messages;
  c.max_msgs = num<std::int64_t>(o, "max_msgs", -1);
  c.max_bytes = num<std::int64_t>(o, "max_bytes", -1);
  c.max_msgs_per_subject = num<std::int64_t>(o, "max_msgs_per_subject", -1);
  c.max_msg_size = num<std::int32_t>(o, "max_msg_size", -1);
  c.max_age = std::chrono::nanoseconds(num<std::int64_t>(o, "max_age"));
  c.replicas = num<int>(o, "num_replicas", 1);
  c.duplicate_window = std::chrono::nanoseconds(num<std::int64_t>(o, "duplicate_window"));
  c.allow_direct = flag(o, "allow_direct");
  c.allow_rollup = flag(o, "allow_rollup_hdrs");
  c.deny_delete = flag(o, "deny_delete");
  c.deny_purge = flag(o, "deny_purge");
  return c;
}

stream_info stream_info_from_json(const json::object& o) {
  stream_info info;
  info.config = stream_config_from_json(sub(o, "config"));
  const auto& state = sub(o, "state");
  info.state.messages = num<std::uint64_t>(state, "messages");
  info.state.bytes = num<std::uint64_t>(state, "bytes");
  info.state.first_sequence = num<std::uint64_t>(state, "first_seq");
  info.state.last_sequence = num<std::uint64_t>(state, "last_seq");
  info.state.consumer_count = num<int>(state, "consumer_count");
  const auto& cluster = sub(o, "cluster");
  info.cluster.name = str(cluster, "name");
  info.cluster.leader = str(cluster, "leader");
  return info;
}

json::object to_json(const consumer_config& c) {
  json::object o;
  if (!c.durable_name.empty()) o["durable_name"] = c.durable_name;
  if (!c.description.empty()) o["description"] = c.description;
  if (!c.deliver_subject.empty()) o["deliver_subject"] = c.deliver_subject;
  if (!c.deliver_group.empty()) o["deliver_group"] = c.deliver_group;
  if (!c.filter_subject.empty()) o["filter_subject"] = c.filter_subject;
  o["deliver_policy"] = to_string(c.deliver);
  if (c.deliver == deliver_policy::by_start_sequence) o["opt_start_seq"] = c.start_sequence;
  o["ack_policy"] = to_string(c.ack);
  if (c.ack != ack_policy::none) o["ack_wait"] = c.ack_wait.count();
  o["max_deliver"] = c.max_deliver;
  if (c.ack != ack_policy::none) o["max_ack_pending"] = c.max_ack_pending;
  o["replay_policy"] = "instant";
  if (c.idle_heartbeat.count() > 0) o["idle_heartbeat"] = c.idle_heartbeat.count();
  if (c.flow_control) o["flow_control"] = true;
  if (c.headers_only) o["headers_only"] = true;
  if (c.inactive_threshold.count() > 0) o["inactive_threshold"] = c.inactive_threshold.count();
  if (c.replicas > 0) o["num_replicas"] = c.replicas;
  if (c.memory_storage) o["mem_storage"] = true;
  return o;
}

consumer_config consumer_config_from_json(const json::object& o) {
  consumer_config c;
  c.durable_name = str(o, "durable_name");
  c.description = str(o, "description");
  c.deliver_subject = str(o, "deliver_subject");
  c.deliver_group = str(o, "deliver_group");
  c.filter_subject = str(o, "filter_subject");
  const auto dp = str(o, "deliver_policy");
  c.deliver = dp == "last"                ? deliver_policy::last
              : dp == "new"               ? deliver_policy::new_only
              : dp == "by_start_sequence" ? deliver_policy::by_start_sequence
              : dp == "last_per_subject"  ? deliver_policy::last_per_subject
                                          : deliver_policy::all;
  c.start_sequence = num<std::uint64_t>(o, "opt_start_seq");
  const auto ap = str(o, "ack_policy");
  c.ack = ap == "none"  ? ack_policy::none
          : ap == "all" ? ack_policy::all
                        : ack_policy::explicit_ack;
  c.ack_wait = std::chrono::nanoseconds(num<std::int64_t>(o, "ack_wait"));
  c.max_deliver = num<std::int64_t>(o, "max_deliver", -1);
  c.max_ack_pending = num<std::int64_t>(o, "max_ack_pending", -1);
  c.idle_heartbeat = std::chrono::nanoseconds(num<std::int64_t>(o, "idle_heartbeat"));
  c.flow_control = flag(o, "flow_control");
  c.headers_only = flag(o, "headers_only");
  c.inactive_threshold = std::chrono::nanoseconds(num<std::int64_t>(o, "inactive_threshold"));
  c.replicas = num<int>(o, "num_replicas");
  c.memory_storage = flag(o, "mem_storage");
  return c;
}

consumer_info consumer_info_from_json(const json::object& o) {
  consumer_info info;
  info.stream = str(o, "stream_name");
  info.name = str(o, "name");
  info.config = consumer_config_from_json(sub(o, "config"));
  const auto& delivered = sub(o, "delivered");
  info.delivered = {num<std::uint64_t>(delivered, "consumer_seq"),
                    num<std::uint64_t>(delivered, "stream_seq")};
  const auto& floor = sub(o, "ack_floor");
  info.ack_floor = {num<std::uint64_t>(floor, "consumer_seq"),
                    num<std::uint64_t>(floor, "stream_seq")};
  info.num_pending = num<std::uint64_t>(o, "num_pending");
  info.num_ack_pending = num<std::uint64_t>(o, "num_ack_pending");
  info.num_redelivered = num<std::uint64_t>(o, "num_redelivered");
  return info;
}

api_response parse_api_response(std::string_view payload) {
  api_response r;
  boost::system::error_code ec;
  auto value = json::parse(payload, ec);
  if (ec || !value.is_object()) {
    r.error = errc::bad_response;
    r.description = "not a JSON object: " + std::string(payload.substr(0, 200));
    return r;
  }
  r.body = std::move(value.get_object());
  if (auto* err = r.body.if_contains("error"); err && err->is_object()) {
    const auto& e = err->get_object();
    int code = num<int>(e, "err_code");
    if (code == 0) code = num<int>(e, "code");
    r.description = str(e, "description");
    // An error without a number must not read as success (a code of 0).
    if (code == 0) {
      r.error = errc::bad_response;
      if (r.description.empty()) r.description = "an error without a code or description";
    } else {
      r.error = make_jetstream_error(code);
    }
  }
  return r;
}

namespace {
template <typename T>
void diff(std::ostringstream& out, const char* field, const T& have, const T& want) {
  if (have == want) return;
  if (out.tellp() > 0) out << ", ";
  out << field << " (have " << have << ", want " << want << ")";
}
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return "[" + s + "]";
}
}  // namespace

std::string describe_differences(const stream_config& e, const stream_config& r) {
  std::ostringstream out;
  diff(out, "subjects", join(e.subjects), join(r.subjects));
  diff(out, "retention", std::string(to_string(e.retention)), std::string(to_string(r.retention)));
  diff(out, "storage", std::string(to_string(e.storage)), std::string(to_string(r.storage)));
  diff(out, "discard", std::string(to_string(e.discard)), std::string(to_string(r.discard)));
  diff(out, "max_msgs", e.max_msgs, r.max_msgs);
  diff(out, "max_bytes", e.max_bytes, r.max_bytes);
  diff(out, "max_msgs_per_subject", e.max_msgs_per_subject, r.max_msgs_per_subject);
  diff(out, "max_msg_size", e.max_msg_size, r.max_msg_size);
  diff(out, "max_age_ns", e.max_age.count(), r.max_age.count());
  diff(out, "replicas", e.replicas, r.replicas);
  diff(out, "duplicate_window_ns", e.duplicate_window.count(), r.duplicate_window.count());
  diff(out, "allow_direct", e.allow_direct, r.allow_direct);
  diff(out, "allow_rollup", e.allow_rollup, r.allow_rollup);
  diff(out, "deny_delete", e.deny_delete, r.deny_delete);
  diff(out, "deny_purge", e.deny_purge, r.deny_purge);
  return out.str();
}

std::string describe_differences(const consumer_config& e, const consumer_config& r) {
  std::ostringstream out;
  diff(out, "filter_subject", e.filter_subject, r.filter_subject);
  diff(out, "deliver_policy", std::string(to_string(e.deliver)), std::string(to_string(r.deliver)));
  diff(out, "ack_policy", std::string(to_string(e.ack)), std::string(to_string(r.ack)));
  diff(out, "ack_wait_ns", e.ack_wait.count(), r.ack_wait.count());
  diff(out, "max_deliver", e.max_deliver, r.max_deliver);
  diff(out, "max_ack_pending", e.max_ack_pending, r.max_ack_pending);
  diff(out, "idle_heartbeat_ns", e.idle_heartbeat.count(), r.idle_heartbeat.count());
  diff(out, "flow_control", e.flow_control, r.flow_control);
  diff(out, "headers_only", e.headers_only, r.headers_only);
  diff(out, "deliver_group", e.deliver_group, r.deliver_group);
  return out.str();
}

}  // namespace detail
}  // namespace nats_asio
