// Actions: what a fired rule does. Evaluation only renders them (pure, no side
// effect); running them is the job of the server, or of the embedding program
// through the action types it registers.
#ifndef SWITCHBOARD_ACTION_H_
#define SWITCHBOARD_ACTION_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/export.h"
#include "switchboard/status.h"
#include "switchboard/value.h"

namespace switchboard {

// One parameter an action type accepts; the loader checks every rule's action
// against these at load time, with positions, and rejects unknown names.
struct ParamSpec {
  enum class Kind {
    kTemplate,   // a string template
    kUrl,        // a URL template: scheme and host must be literal text; the
                 // rendered values in path and query are percent-encoded
    kLiteral,    // a string with no template
    kTemplateMap,  // a mapping of names to string templates (headers, columns)
    kAny,        // a string template, or a mapping/list whose string leaves are templates
    kDuration,   // a literal duration ("10s")
    kIntList,    // a list of integers (HTTP status codes)
    kPath,       // a literal file path; a relative one (or default) is resolved
                 // against the directory of the action's rule file
    // (New kinds come last: a program built against an older header keeps
    // the values it knows.)
  };
  std::string name;
  Kind kind = Kind::kTemplate;
  bool required = false;
  // Used when the parameter is absent (a template for kTemplate); "" for none.
  std::string default_value;
  // The rendered value is a secret (redacted in traces and the eval output).
  bool secret = false;
};

class ActionType;

// An action after rendering: the type and its parameters with every template
// expanded. `type` points into the RuleSet that produced it, which the
// Evaluation holding this action keeps alive (Evaluation::rules): a FiredAction
// copied out of its Evaluation must not outlive that RuleSet.
struct FiredAction {
  // Not `= default`: an element that a vector value-initializes (emplace_back())
  // is zero-filled first unless its constructor is user-provided.
  FiredAction() {}

  std::string_view type;
  // The type that checked and rendered the action, kept alive by the rule set
  // (Engine::Execute runs this one, whatever the engine registered since).
  const ActionType* impl = nullptr;
  Value params;       // an object
  std::string error;  // non-empty when the rendered parameters are invalid

  // `params` with secrets replaced by "[redacted]": what may be printed, logged
  // or stored in traces. When no parameter of the action is secret, this is
  // `params` itself (same object); otherwise a separate, redacted copy.
  const Value& redacted_params() const { return redacted_ ? *redacted_ : params; }
  // Whether redacted_params() differs from params (the action has a secret).
  bool has_redacted_copy() const { return redacted_.has_value(); }
  // Stores a redacted copy distinct from params (evaluation does this for
  // actions whose type declares a secret parameter).
  void set_redacted_params(Value redacted) { redacted_ = std::move(redacted); }

 private:
  std::optional<Value> redacted_;
};

// An action type. Implementations must be thread-safe: the same instance serves
// every rule and every evaluation.
class SWITCHBOARD_EXPORT ActionType {
 public:
  virtual ~ActionType() = default;

  // The parameters this type accepts.
  virtual std::vector<ParamSpec> params() const = 0;

  // Load-time check of the parameters as written (strings are unrendered
  // templates; absent optional parameters are absent). Default: OK.
  virtual Status Validate(const Value& params) const;

  // Check of the rendered parameters before the action runs (e.g. a message
  // length). A failure is recorded as the action's error. Default: OK.
  virtual Status CheckRendered(const Value& rendered) const;

  // Runs the action with its rendered parameters. The default returns
  // kUnimplemented: the built-in types are run by the server.
  virtual Status Execute(const FiredAction& action) const;
};

}  // namespace switchboard

#endif  // SWITCHBOARD_ACTION_H_
