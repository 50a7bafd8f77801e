#include "iot/command_fsm.hpp"

#include <charconv>

#include "iot/duration.hpp"
#include "iot/wire.hpp"

namespace iot {

namespace {

using kind = command_action_kind;

command_action action(kind k) {
  command_action a;
  a.kind = k;
  return a;
}

command_action log_line(log_severity severity, std::string text) {
  command_action a;
  a.kind = kind::log;
  a.severity = severity;
  a.text = std::move(text);
  return a;
}

// How long a command whose config could not be stored waits before it is
// delivered again.
constexpr std::chrono::milliseconds redeliver_pause{1000};

}  // namespace

std::string command_id_of(std::uint64_t stream_sequence) {
  return "seq-" + std::to_string(stream_sequence);
}

std::string command_id_of(const command& cmd, std::uint64_t stream_sequence) {
  return cmd.command_uuid.empty() ? command_id_of(stream_sequence) : cmd.command_uuid;
}

command_fsm::command_fsm(std::string sensor_id, std::string commands_stream, received_command msg)
    : sensor_id_(std::move(sensor_id)),
      commands_stream_(std::move(commands_stream)),
      msg_(std::move(msg)) {}

command_action command_fsm::finish(command_outcome outcome) {
  outcome_ = outcome;
  step_ = step::finished;
  return action(kind::done);
}

command_action command_fsm::reject(std::string reason, bool dead_letter) {
  outcome_ = command_outcome::rejected;
  reason_ = std::move(reason);
  dead_letter_ = dead_letter;
  step_ = step::rejection_logged;
  return log_line(log_severity::warn, "rejected command " + id_ + ": " + reason_);
}

command_action command_fsm::decide(sensor_state& state) {
  // Server permissions cannot restrict reply subjects, so another identity
  // can have the server deliver a reply onto this sensor's deliver subject
  // (it lacks this consumer's metadata), or store one on its command subject
  // (it carries the header of a read-back, which no published command has).
  const auto consumer = wire_names::command_consumer(sensor_id_);
  if (msg_.stream != commands_stream_ || msg_.consumer != consumer) {
    outcome_ = command_outcome::ignored;
    step_ = step::ignored_logged;
    return log_line(log_severity::warn, "ignored a message on " + msg_.subject +
                                            " that did not come from consumer " + consumer);
  }
  id_ = command_id_of(msg_.stream_sequence);
  if (msg_.read_back_from)
    return reject("not a command: a message read back from stream " + *msg_.read_back_from +
                      " and stored here through a reply subject",
                  true);
  if (auto reason = decode_command(msg_.payload, cmd_); !reason.empty())
    return reject(std::move(reason), true);
  id_ = command_id_of(cmd_, msg_.stream_sequence);

  if (id_ == state.config.last_command_id) {
    // Applied before a crash that came ahead of the ack: do not apply twice.
    outcome_ = command_outcome::already_applied;
    step_ = step::already_applied_logged;
    return log_line(log_severity::info, "command " + id_ + " was already applied; acknowledging");
  }

  candidate_ = state.config;
  candidate_.last_command_id = id_;
  candidate_.updated_at = msg_.received_at;
  if (cmd_.kind == command_kind::update_config) {
    old_interval_ = state.config.interval;
    candidate_.interval = cmd_.new_interval;
    step_ = step::config_stored;
    command_action a = action(kind::store_config);
    a.config = candidate_;
    return a;
  }

  is_correction_ = true;
  const auto original = state.history.find(cmd_.metric_id);
  if (!original)
    return reject(
        "lecture_id " + std::to_string(cmd_.metric_id) + " is unknown or no longer in the history",
        false);
  measurement corrected = *original;
  corrected.lecture = cmd_.new_measurement_value;
  corrected.revision = original->revision + 1;
  const auto& text = cmd_.new_measurement_value;
  double v = 0;  // a value that is not a number keeps the original's
  if (std::from_chars(text.data(), text.data() + text.size(), v).ptr == text.data() + text.size())
    corrected.value = v;
  // Kept before it is stored: a second correction of the same lecture
  // builds on this revision.
  state.history.remember(corrected);
  step_ = step::correction_published;
  command_action a = action(kind::publish_correction);
  a.correction = std::move(corrected);
  return a;
}

command_action command_fsm::dead_letter_action() const {
  command_action a = action(kind::publish_dead_letter);
  a.letter.sensor_id = sensor_id_;
  a.letter.subject = msg_.subject;
  a.letter.stream_sequence = msg_.stream_sequence;
  a.letter.reason = reason_;
  a.letter.payload = msg_.payload;
  a.letter.received_at = msg_.received_at;
  a.letter_id = dead_letter_id(sensor_id_, msg_.stream_sequence);
  return a;
}

command_action command_fsm::announce_rejection() {
  step_ = step::rejection_announced;
  command_action a = action(kind::announce);
  a.result.command_uuid = id_;
  a.result.sensor_id = sensor_id_;
  a.result.applied = false;
  a.result.error = reason_;
  return a;
}

command_action command_fsm::announce_applied(const sensor_state& state) {
  outcome_ = command_outcome::applied;
  step_ = step::applied_announced;
  command_action a = action(kind::announce);
  a.result.command_uuid = id_;
  a.result.sensor_id = sensor_id_;
  a.result.applied = true;
  a.result.config = state.config;
  return a;
}

command_action command_fsm::resume(sensor_state& state, bool succeeded) {
  switch (step_) {
    case step::start:
      return decide(state);

    case step::ignored_logged:
      return finish(command_outcome::ignored);

    case step::rejection_logged:
      if (!dead_letter_) return announce_rejection();
      step_ = step::dead_letter_published;
      return dead_letter_action();

    case step::dead_letter_published:
      if (succeeded) return announce_rejection();
      // Kept: it comes back after ack_wait and is dead-lettered then.
      outcome_ = command_outcome::left_for_redelivery;
      step_ = step::dead_letter_failure_logged;
      return log_line(log_severity::error, "cannot store the dead letter of command " + id_ +
                                               "; command kept for redelivery");

    case step::dead_letter_failure_logged:
      return finish(command_outcome::left_for_redelivery);

    case step::rejection_announced:
      step_ = step::finished;
      return action(kind::term);

    case step::already_applied_logged:
      step_ = step::finished;
      return action(kind::ack);

    case step::config_stored:
      if (is_correction_) {
        // The correction is stored already, under its own message id: the
        // command counts as applied even if its id could not be kept.
        state.config = candidate_;
        return announce_applied(state);
      }
      if (!succeeded) {
        outcome_ = command_outcome::retry_later;
        step_ = step::finished;
        command_action a = action(kind::nak);
        a.redeliver_after = redeliver_pause;
        return a;
      }
      state.config = candidate_;
      step_ = step::interval_rearmed;
      return action(kind::interval_changed);

    case step::interval_rearmed:
      step_ = step::interval_logged;
      return log_line(log_severity::info, "interval " + format_duration(old_interval_) + " -> " +
                                              format_duration(state.config.interval) +
                                              " (command " + id_ + ")");

    case step::interval_logged:
      return announce_applied(state);

    case step::correction_published: {
      if (!succeeded) return finish(command_outcome::left_for_redelivery);
      step_ = step::config_stored;
      command_action a = action(kind::store_config);
      a.config = candidate_;
      return a;
    }

    case step::applied_announced:
      step_ = step::finished;
      return action(kind::ack);

    case step::finished:
      break;
  }
  return action(kind::done);
}

}  // namespace iot
