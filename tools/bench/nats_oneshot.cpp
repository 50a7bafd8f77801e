// iot-bench-oneshot: the least a one-shot command on nats.c does, as the
// floor the cli scenario measures iot-sim against: nats_Open, connect, one
// KV get (the bucket's stream info, then the key), destroy, nats_Close. Only
// nats.c and C's stdio, so the C++ runtime adds nothing to the figure.
// Prints the value; exit code 0, 1 when nats.c fails, 2 for bad arguments.
#include <nats/nats.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fputs("usage: iot-bench-oneshot NATS_URL BUCKET KEY\n", stderr);
    return 2;
  }
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  kvEntry* entry = nullptr;
  natsStatus s = nats_Open(-1);
  if (s == NATS_OK) s = natsConnection_ConnectTo(&nc, argv[1]);
  if (s == NATS_OK) s = natsConnection_JetStream(&js, nc, nullptr);
  if (s == NATS_OK) s = js_KeyValue(&kv, js, argv[2]);
  if (s == NATS_OK) s = kvStore_Get(&entry, kv, argv[3]);
  if (s == NATS_OK) {
    std::fwrite(kvEntry_Value(entry), 1, static_cast<std::size_t>(kvEntry_ValueLen(entry)), stdout);
    std::fputc('\n', stdout);
  } else {
    std::fprintf(stderr, "iot-bench-oneshot: %s\n", natsStatus_GetText(s));
  }
  kvEntry_Destroy(entry);
  kvStore_Destroy(kv);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  nats_Close();
  return s == NATS_OK ? 0 : 1;
}
