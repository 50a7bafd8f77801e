#include "raw_nats.hpp"

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "process_stats.hpp"

namespace bench::raw {
namespace {

using clock = std::chrono::steady_clock;

void check(natsStatus s, const char* what) {
  if (s == NATS_OK) return;
  std::string text = std::string(what) + ": " + natsStatus_GetText(s);
  if (const char* last = nats_GetLastError(nullptr); last && *last)
    text += std::string(" (") + last + ")";
  throw std::runtime_error(text);
}

// Owners for the nats.c handles, destroyed in reverse order of creation.
struct options_deleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
struct connection_deleter {
  void operator()(natsConnection* c) const { natsConnection_Destroy(c); }
};
struct js_deleter {
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
};
struct kv_deleter {
  void operator()(kvStore* kv) const { kvStore_Destroy(kv); }
};
using options_ptr = std::unique_ptr<natsOptions, options_deleter>;
using connection_ptr = std::unique_ptr<natsConnection, connection_deleter>;
using js_ptr = std::unique_ptr<jsCtx, js_deleter>;
using kv_ptr = std::unique_ptr<kvStore, kv_deleter>;

connection_ptr connect(const std::string& url, bool send_asap) {
  natsOptions* raw_opts = nullptr;
  check(natsOptions_Create(&raw_opts), "natsOptions_Create");
  options_ptr opts(raw_opts);
  check(natsOptions_SetURL(opts.get(), url.c_str()), "natsOptions_SetURL");
  check(natsOptions_SetSendAsap(opts.get(), send_asap), "natsOptions_SetSendAsap");
  natsConnection* nc = nullptr;
  check(natsConnection_Connect(&nc, opts.get()), "natsConnection_Connect");
  return connection_ptr(nc);
}

struct ack_counts {
  std::atomic<std::size_t> acknowledged{0};
  std::atomic<std::size_t> failed{0};
};

// Runs on nats.c's delivery thread; must destroy the message it is given.
void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* counts = static_cast<ack_counts*>(closure);
  if (pa != nullptr && pae == nullptr)
    counts->acknowledged.fetch_add(1, std::memory_order_relaxed);
  else
    counts->failed.fetch_add(1, std::memory_order_relaxed);
  natsMsg_Destroy(msg);
}

double micros_since(clock::time_point start) {
  return std::chrono::duration<double, std::micro>(clock::now() - start).count();
}

}  // namespace

publish_result publish(const std::string& url, const std::vector<std::string>& subjects,
                       std::size_t messages, std::size_t window, const std::string& payload) {
  auto nc = connect(url, false);
  ack_counts counts;
  jsOptions jo;
  check(jsOptions_Init(&jo), "jsOptions_Init");
  jo.PublishAsync.MaxPending = static_cast<int64_t>(window);
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = &counts;
  // A full window makes js_PublishMsgAsync wait for a free slot; the default
  // 200 ms would turn a slow server into failed publishes, not back-pressure.
  jo.PublishAsync.StallWait = 30000;
  jsCtx* raw_js = nullptr;
  check(natsConnection_JetStream(&raw_js, nc.get(), &jo), "natsConnection_JetStream");
  js_ptr js(raw_js);

  const auto start = clock::now();
  const double cpu_start = own_cpu_seconds();
  for (std::size_t i = 0; i < messages; ++i) {
    const auto& subject = subjects[i % subjects.size()];
    natsMsg* msg = nullptr;
    check(natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(),
                         static_cast<int>(payload.size())),
          "natsMsg_Create");
    const natsStatus s = js_PublishMsgAsync(js.get(), &msg, nullptr);
    natsMsg_Destroy(msg);  // NULL (a no-op) when the library took it
    check(s, "js_PublishMsgAsync");
  }
  jsPubOptions po;
  check(jsPubOptions_Init(&po), "jsPubOptions_Init");
  po.MaxWait = 60000;
  check(js_PublishAsyncComplete(js.get(), &po), "js_PublishAsyncComplete");
  publish_result r;
  r.seconds = std::chrono::duration<double>(clock::now() - start).count();
  r.cpu_seconds = own_cpu_seconds() - cpu_start;
  r.acknowledged = counts.acknowledged.load();
  r.failed = counts.failed.load();
  js.reset();
  natsConnection_Close(nc.get());
  return r;
}

kv_result kv(const std::string& url, const std::string& bucket, const std::string& key,
             const std::string& value, std::size_t warmup, std::size_t samples) {
  auto nc = connect(url, true);
  jsCtx* raw_js = nullptr;
  check(natsConnection_JetStream(&raw_js, nc.get(), nullptr), "natsConnection_JetStream");
  js_ptr js(raw_js);
  kvStore* raw_kv = nullptr;
  check(js_KeyValue(&raw_kv, js.get(), bucket.c_str()), "js_KeyValue");
  kv_ptr store(raw_kv);

  auto put = [&] {
    uint64_t rev = 0;
    check(kvStore_Put(&rev, store.get(), key.c_str(), value.data(), static_cast<int>(value.size())),
          "kvStore_Put");
  };
  auto get = [&] {
    kvEntry* e = nullptr;
    check(kvStore_Get(&e, store.get(), key.c_str()), "kvStore_Get");
    kvEntry_Destroy(e);
  };
  for (std::size_t i = 0; i < warmup; ++i) {
    put();
    get();
  }
  kv_result r;
  r.put_us.reserve(samples);
  r.get_us.reserve(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    auto t = clock::now();
    put();
    r.put_us.push_back(micros_since(t));
  }
  for (std::size_t i = 0; i < samples; ++i) {
    auto t = clock::now();
    get();
    r.get_us.push_back(micros_since(t));
  }
  store.reset();
  js.reset();
  natsConnection_Close(nc.get());
  return r;
}

drain_result drain(const std::string& url, const std::string& stream, const std::string& filter,
                   const std::string& durable, std::size_t messages, std::size_t batch) {
  auto nc = connect(url, false);
  jsCtx* raw_js = nullptr;
  check(natsConnection_JetStream(&raw_js, nc.get(), nullptr), "natsConnection_JetStream");
  js_ptr js(raw_js);
  jsConsumerConfig cc;
  check(jsConsumerConfig_Init(&cc), "jsConsumerConfig_Init");
  cc.Durable = durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.MaxAckPending = static_cast<int64_t>(batch * 4);
  cc.FilterSubject = filter.c_str();
  jsSubOptions so;
  check(jsSubOptions_Init(&so), "jsSubOptions_Init");
  so.Stream = stream.c_str();
  so.Config = cc;
  natsSubscription* raw_sub = nullptr;
  jsErrCode jerr{};
  check(js_PullSubscribe(&raw_sub, js.get(), filter.c_str(), durable.c_str(), nullptr, &so, &jerr),
        "js_PullSubscribe");
  std::unique_ptr<natsSubscription, decltype(&natsSubscription_Destroy)> sub(
      raw_sub, natsSubscription_Destroy);

  drain_result r;
  const auto start = clock::now();
  const double cpu_start = own_cpu_seconds();
  while (r.messages < messages) {
    natsMsgList list{};
    const natsStatus s =
        natsSubscription_Fetch(&list, sub.get(), static_cast<int>(batch), 5000, &jerr);
    if (s == NATS_TIMEOUT)
      throw std::runtime_error("drain: the stream ended after " + std::to_string(r.messages) +
                               " of " + std::to_string(messages) + " messages");
    check(s, "natsSubscription_Fetch");
    for (int i = 0; i < list.Count; ++i) check(natsMsg_Ack(list.Msgs[i], nullptr), "natsMsg_Ack");
    r.messages += static_cast<std::size_t>(list.Count);
    natsMsgList_Destroy(&list);
  }
  check(natsConnection_FlushTimeout(nc.get(), 30000), "natsConnection_FlushTimeout");
  r.seconds = std::chrono::duration<double>(clock::now() - start).count();
  r.cpu_seconds = own_cpu_seconds() - cpu_start;
  // Unsubscribing deletes a consumer the library made; delete it in case not.
  check(natsSubscription_Unsubscribe(sub.get()), "natsSubscription_Unsubscribe");
  if (const natsStatus s =
          js_DeleteConsumer(js.get(), stream.c_str(), durable.c_str(), nullptr, &jerr);
      s != NATS_NOT_FOUND)
    check(s, "js_DeleteConsumer");
  sub.reset();
  js.reset();
  natsConnection_Close(nc.get());
  return r;
}

}  // namespace bench::raw
