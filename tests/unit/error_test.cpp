#include "nats_asio/error.hpp"

#include <doctest/doctest.h>
#include <nats/nats.h>

using namespace nats_asio;

TEST_CASE("each source of failure has its own category and a readable message") {
  error_code lib = errc::wrong_last_revision;
  CHECK(lib.category().name() == std::string("nats_asio"));
  CHECK(lib.message() == "key revision is not the expected one");
  CHECK(error_code(errc::consumer_silent).message() ==
        "the consumer sent neither message nor heartbeat for too long");
  auto js = make_jetstream_error(10058);
  CHECK(js.category().name() == std::string("jetstream"));
  CHECK(js.message().find("different configuration") != std::string::npos);
  auto native = make_nats_error(NATS_SLOW_CONSUMER);
  CHECK(native.category().name() == std::string("nats"));
  CHECK(!native.message().empty());
  CHECK(!make_nats_error(NATS_OK));
  CHECK(make_nats_error(NATS_TIMEOUT) == errc::timeout);
  CHECK(make_nats_error(NATS_NO_RESPONDERS) == errc::no_responders);
  CHECK(make_nats_error(NATS_NOT_PERMITTED) == errc::permission_denied);
}
