// Status and Result<T>: how every fallible call of the public API reports failure.
// No exception crosses the public API; a failed call returns a non-OK Status whose
// message is meant for a person.
#ifndef SWITCHBOARD_STATUS_H_
#define SWITCHBOARD_STATUS_H_

#include <optional>
#include <string>
#include <utility>

#include "switchboard/export.h"

namespace switchboard {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the input (JSON, YAML, parameter) is malformed
  kNotFound,           // a file, rule or action type does not exist
  kIoError,            // reading or writing a file failed
  kUnavailable,        // a resource is busy or down; retrying may help
  kFailedPrecondition, // the call is not allowed in the current state
  kUnimplemented,      // e.g. a built-in action with no executor registered
  kInternal,
};

class SWITCHBOARD_EXPORT Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  static Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status IoError(std::string m) { return Status(StatusCode::kIoError, std::move(m)); }
  static Status Unavailable(std::string m) {
    return Status(StatusCode::kUnavailable, std::move(m));
  }
  static Status Unimplemented(std::string m) {
    return Status(StatusCode::kUnimplemented, std::move(m));
  }
  static Status Internal(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_STATUS_H_
