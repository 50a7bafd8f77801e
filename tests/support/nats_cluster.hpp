// Three (or more) nats-servers clustered on loopback ports, each with its own
// temporary JetStream store, for fault tests that kill a node.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nats_server.hpp"

namespace test_support {

class nats_cluster {
 public:
  // Starts every node and waits until each is ready (JetStream meta leader
  // elected). Throws std::runtime_error like nats_server.
  explicit nats_cluster(int size = 3);
  ~nats_cluster();
  nats_cluster(const nats_cluster&) = delete;
  nats_cluster& operator=(const nats_cluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  nats_server& node(int i) { return *nodes_.at(i); }
  // "n1", "n2", ...: the server_name, as stream info reports leaders.
  static std::string name_of(int i) { return "n" + std::to_string(i + 1); }
  // Index of the node called `name`, or -1.
  int index_of(const std::string& name) const;
  // Every node's URL, comma-separated (the form NATS_URL takes).
  std::string urls() const;

 private:
  std::vector<int> route_ports_;
  std::vector<std::unique_ptr<nats_server>> nodes_;
};

}  // namespace test_support
