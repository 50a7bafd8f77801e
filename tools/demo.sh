#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts a local nats-server
# (JetStream, loopback only, data in .data/ of this repository), runs the
# sensor "sensor-1" and a fleet of 20 (fleet.1 ... fleet.20) and shows
# sensor-1's first measurement; then builds and starts iot-server (its history
# in .data/iot.db, SQLite; the dashboard at /), shows the history kept so far,
# then sensor-1's measurements live until Ctrl+C.
#   tools/demo.sh [extra iot-sensor flags for sensor-1...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

http_port=${HTTP_PORT:-8080}
echo "demo: the dashboard will be at http://127.0.0.1:$http_port/ (set up and build first)"
# Only what the programs need: the test tools, clang and Chromium are for
# tools/test.sh.
bash tools/setup.sh --programs
# Line tables only (-g1), as tools/test.sh builds build/: full debug
# information is a third of the compile time (docs/performance.md, "Build
# time"), and the code generated is the same.
if [ -f build/meson-private/coredata.dat ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build -Dcpp_args=-g1 >/dev/null
fi
mkdir -p .data
# build_targets TARGET...: builds only these, showing every 10th of ninja's
# "[done/total]" steps as it happens (read line by line: mawk would read its
# input in blocks); the whole output in .data/build.log.
show_progress() {
  local line
  while IFS= read -r line; do
    if [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
      local step=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
      if ((step % 10 == 0 || step == total)); then echo "demo: built $step of $total steps"; fi
    fi
  done
}
build_targets() {
  if ! meson compile -C build "$@" 2>&1 | tee .data/build.log | show_progress; then
    echo "demo: the build failed; the end of .data/build.log:" >&2
    tail -n 30 .data/build.log >&2
    exit 1
  fi
}
# The sensors first, so that a measurement shows while iot-server builds.
echo "demo: building iot-sensor and iot-sim in build/ (a first build takes a few minutes)"
build_targets iot-sensor iot-sim

port=${NATS_PORT:-4222}
server=$(command -v nats-server || echo /usr/sbin/nats-server)
mkdir -p .data
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "demo: port $port is already in use; set NATS_PORT to another port" >&2
  exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; then
  echo "demo: port $http_port (iot-server's HTTP API) is already in use; set HTTP_PORT to another port" >&2
  exit 1
fi
"$server" -a 127.0.0.1 -p "$port" -js -sd .data/jetstream >.data/nats-server.log 2>&1 &
server_pid=$!
sensor_pid=
fleet_pid=
historian_pid=
cleanup() {
  [ -n "$sensor_pid" ] && kill -TERM "$sensor_pid" 2>/dev/null && wait "$sensor_pid" || true
  [ -n "$fleet_pid" ] && kill -TERM "$fleet_pid" 2>/dev/null && wait "$fleet_pid" || true
  [ -n "$historian_pid" ] && kill -TERM "$historian_pid" 2>/dev/null && wait "$historian_pid" || true
  kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" || true
}
trap cleanup EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

export NATS_URL="nats://127.0.0.1:$port"
build/apps/iot-sensor --sensorID sensor-1 --interval 1s --quiet "$@" &
sensor_pid=$!
build/apps/iot-sensor --sensorID fleet --count 20 --interval 2s --jitter --quiet &
fleet_pid=$!
# The sensor provisions the streams and writes its config first.
for _ in $(seq 150); do
  build/apps/iot-sim get_config --sensorID sensor-1 >/dev/null 2>&1 && break
  sleep 0.1
done
echo "demo: nats-server on $NATS_URL (data in .data/), sensor-1 and fleet.1 ... fleet.20 running."
echo "demo: sensor-1's latest measurement (iot-sim subscribe --sensorID sensor-1 --from last:1 --count 1):"
build/apps/iot-sim subscribe --sensorID sensor-1 --from last:1 --count 1
echo "demo: $SECONDS s since tools/demo.sh started"
echo "demo: building iot-server (the history, the REST API and the dashboard) while they run"
build_targets iot-server
build/apps/iot-server --db sqlite:.data/iot.db --http-listen "127.0.0.1:$http_port" --quiet &
historian_pid=$!
echo "demo: iot-server running."
echo "demo: the dashboard: http://127.0.0.1:$http_port/"
echo "demo: iot-server keeps every measurement in .data/iot.db; waiting for the first ones..."
for _ in $(seq 100); do
  history=$(build/apps/iot-sim history --sensorID sensor-1 --since 10m 2>/dev/null || true)
  [ -n "$history" ] && break
  sleep 0.2
done
echo "demo: history of sensor-1 in the database (iot-sim history --sensorID sensor-1 --since 10m):"
echo "$history" | tail -n 5
echo "demo: live measurements follow; Ctrl+C to stop."
echo "demo: in another shell: NATS_URL=$NATS_URL build/apps/iot-sim edit_config --sensorID sensor-1 --interval 250ms"
echo "demo:                  or: NATS_URL=$NATS_URL build/apps/iot-sim history --sensorID sensor-1 --since 1h --step 1m"
echo "demo: the REST API: curl http://127.0.0.1:$http_port/api/v1/sensors"
echo "demo:               curl -X PUT -H 'Content-Type: application/json' -d '{\"interval\":\"250ms\"}' http://127.0.0.1:$http_port/api/v1/sensors/sensor-1/config"
echo "demo:               curl -N http://127.0.0.1:$http_port/api/v1/events   (live events)"
build/apps/iot-sim subscribe --sensorID sensor-1 --from last:5 || true
