// How a sensor handles one message from its command consumer, as a state
// machine without I/O.
//
// The machine decides what to do (ignore, dead-letter, store the config,
// publish a correction, announce the result, ack / nak / term) and changes the
// sensor's state; the caller performs each action and resumes the machine with
// the action's outcome until it says `done`. So every branch is decided here
// and can be tested without a server; the program keeps only the I/O.
//
//   iot::command_fsm fsm(sensor_id, commands_stream, std::move(received));
//   for (auto a = fsm.resume(state); a.kind != iot::command_action_kind::done;
//        a = fsm.resume(state, perform(a))) {}
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "iot/command.hpp"
#include "iot/command_result.hpp"
#include "iot/dead_letter.hpp"
#include "iot/measurement.hpp"
#include "iot/measurement_history.hpp"
#include "iot/sensor_config.hpp"
#include "iot/timestamp.hpp"

namespace iot {

// A message as it came off the command consumer.
struct received_command {
  std::string subject;
  std::string stream;    // of the ack metadata
  std::string consumer;  // of the ack metadata
  std::uint64_t stream_sequence = 0;
  // The stream a read-back message came from (its Nats-Stream header): such a
  // message was stored here through a reply subject and is not a command.
  std::optional<std::string> read_back_from;
  std::string payload;
  clock::time_point received_at{};
};

// What a sensor keeps between commands.
struct sensor_state {
  sensor_config config;  // as stored
  measurement_history history;
};

// A command is known by its command_uuid, or, without one (the original
// payloads, or a payload that does not decode), by "seq-<stream sequence>".
std::string command_id_of(const command& cmd, std::uint64_t stream_sequence);
std::string command_id_of(std::uint64_t stream_sequence);

enum class command_action_kind {
  log,                  // write `text` at `severity`
  store_config,         // store `config` under the sensor's key; resume with success
  publish_correction,   // publish `correction` and wait until stored; resume with success
  publish_dead_letter,  // publish `letter` with Nats-Msg-Id `letter_id`; resume with success
  interval_changed,     // the stored interval changed: re-arm the pending wait
  announce,             // publish `result` on the sensor's events subject
  ack,                  // acknowledge the message
  nak,                  // ask for redelivery after `redeliver_after`
  term,                 // terminate the message: never redelivered
  done,                 // nothing more; see outcome()
};

enum class log_severity { error, warn, info };

struct command_action {
  command_action_kind kind = command_action_kind::done;
  log_severity severity = log_severity::info;
  std::string text;
  sensor_config config;
  measurement correction;
  dead_letter letter;
  std::string letter_id;
  command_result result;
  std::chrono::milliseconds redeliver_after{0};
};

enum class command_outcome {
  pending,              // not decided yet
  ignored,              // not from this sensor's consumer: left alone
  already_applied,      // applied before (a redelivery after a crash): acknowledged only
  applied,              // applied, announced, acknowledged
  rejected,             // announced as rejected and terminated (dead-lettered if it was not a
                        // valid command)
  retry_later,          // the config could not be stored: nak'ed, state unchanged
  left_for_redelivery,  // a publish failed: the server redelivers it after ack_wait
};

class command_fsm {
 public:
  command_fsm(std::string sensor_id, std::string commands_stream, received_command msg);

  // The next action. `succeeded` is the outcome of the previous action
  // (store_config, publish_correction, publish_dead_letter); ignored otherwise.
  command_action resume(sensor_state& state, bool succeeded = true);

  command_outcome outcome() const { return outcome_; }
  // The command's id (empty until decided; see command_id_of).
  const std::string& command_id() const { return id_; }
  // True for an applied edit_measurement.
  bool corrected() const { return outcome_ == command_outcome::applied && is_correction_; }

 private:
  enum class step {
    start,
    ignored_logged,
    rejection_logged,
    dead_letter_published,
    dead_letter_failure_logged,
    rejection_announced,
    already_applied_logged,
    config_stored,
    interval_rearmed,
    interval_logged,
    correction_published,
    applied_announced,
    finished,
  };

  command_action decide(sensor_state& state);
  command_action reject(std::string reason, bool dead_letter);
  command_action dead_letter_action() const;
  command_action announce_rejection();
  command_action announce_applied(const sensor_state& state);
  command_action finish(command_outcome outcome);

  std::string sensor_id_;
  std::string commands_stream_;
  received_command msg_;
  step step_ = step::start;
  command_outcome outcome_ = command_outcome::pending;
  std::string id_;
  command cmd_;
  bool is_correction_ = false;
  bool dead_letter_ = false;
  std::string reason_;
  sensor_config candidate_;  // the config to store
  std::chrono::milliseconds old_interval_{0};
};

}  // namespace iot
