#include "nats_cluster.hpp"

namespace test_support {

nats_cluster::nats_cluster(int size, wait_until until) {
  for (int i = 0; i < size; ++i) route_ports_.push_back(reserve_port());
  try {
    for (int i = 0; i < size; ++i) {
      std::string routes;
      for (int j = 0; j < size; ++j)
        if (j != i)
          routes += (routes.empty() ? "" : ", ") + std::string("nats-route://127.0.0.1:") +
                    std::to_string(route_ports_[j]);
      nats_server_options o;
      o.start = false;
      o.config_text =
          "server_name: " + name_of(i) +
          "\ncluster {\n  name: iot\n  listen: 127.0.0.1:" + std::to_string(route_ports_[i]) +
          "\n  routes: [" + routes + "]\n}\n";
      nodes_.push_back(std::make_unique<nats_server>(std::move(o)));
    }
    // A node is ready only once a JetStream meta leader exists, which needs
    // a quorum: launch them all before waiting for any.
    for (auto& n : nodes_) n->launch();
    for (auto& n : nodes_)
      if (until == wait_until::ready)
        n->await_ready();
      else
        n->await_listening();
  } catch (...) {
    nodes_.clear();
    for (int p : route_ports_) release_port(p);
    throw;
  }
}

nats_cluster::~nats_cluster() {
  nodes_.clear();
  for (int p : route_ports_) release_port(p);
}

int nats_cluster::index_of(const std::string& name) const {
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i)
    if (name_of(i) == name) return i;
  return -1;
}

void nats_cluster::await_ready() {
  for (auto& n : nodes_) n->await_ready();
}

std::string nats_cluster::urls() const {
  std::string out;
  for (const auto& n : nodes_) out += (out.empty() ? "" : ",") + n->url();
  return out;
}

}  // namespace test_support
