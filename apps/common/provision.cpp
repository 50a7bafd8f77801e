#include "provision.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace apps {

using boost::asio::as_tuple;
using boost::asio::use_awaitable;

namespace {

boost::asio::awaitable<bool> ensure(nats_asio::jetstream& js, const nats_asio::stream_config& cfg,
                                    std::string& error) {
  nats_asio::diagnostics diag;
  auto [ec, info] = co_await js.async_ensure_stream(cfg, diag, as_tuple(use_awaitable));
  if (ec) {
    error = "stream " + cfg.name + ": " + ec.message() +
            (diag.server_message().empty() ? "" : ": " + diag.server_message());
    co_return false;
  }
  co_return true;
}

}  // namespace

boost::asio::awaitable<std::optional<provisioned>> provision(nats_asio::jetstream& js,
                                                             const app_settings& s,
                                                             std::string& error) {
  const auto& n = s.names;
  nats_asio::stream_config measurements;
  measurements.name = n.measurements_stream;
  measurements.subjects = {n.measurements_subject + ".>"};
  measurements.max_age = s.measurements_max_age;
  measurements.max_bytes = s.measurements_max_bytes;
  measurements.duplicate_window = s.duplicate_window;
  measurements.replicas = s.replicas;
  if (!co_await ensure(js, measurements, error)) co_return std::nullopt;

  nats_asio::stream_config commands;
  commands.name = n.commands_stream;
  commands.subjects = {n.commands_subject + ".>"};
  commands.retention = nats_asio::retention_policy::work_queue;
  commands.replicas = s.replicas;
  if (!co_await ensure(js, commands, error)) co_return std::nullopt;

  nats_asio::stream_config deadletter;
  deadletter.name = n.deadletter_stream;
  deadletter.subjects = {n.deadletter_subject + ".>"};
  deadletter.replicas = s.replicas;
  if (!co_await ensure(js, deadletter, error)) co_return std::nullopt;

  nats_asio::kv_config bucket;
  bucket.bucket = n.config_bucket;
  bucket.history = 5;
  bucket.replicas = s.replicas;
  nats_asio::diagnostics diag;
  auto [ec, kv] =
      co_await nats_asio::async_create_key_value(js, bucket, diag, as_tuple(use_awaitable));
  if (ec) {
    error = "bucket " + n.config_bucket + ": " + ec.message() +
            (diag.server_message().empty() ? "" : ": " + diag.server_message());
    co_return std::nullopt;
  }
  co_return provisioned{std::move(kv)};
}

}  // namespace apps
