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
  // How long the constructor waits: until every node is ready (JetStream
  // meta leader elected), or only until every node accepts clients, the
  // cluster still forming (for clients started together with their cluster).
  enum class wait_until { ready, listening };
  // Starts every node and waits as `until` says. Throws std::runtime_error
  // like nats_server.
  explicit nats_cluster(int size = 3, wait_until until = wait_until::ready);
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
  // Waits until every node is ready (after wait_until::listening).
  void await_ready();

 private:
  std::vector<int> route_ports_;
  std::vector<std::unique_ptr<nats_server>> nodes_;
};

}  // namespace test_support
