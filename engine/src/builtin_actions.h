// The built-in action types: openphone.send_message, http, sqlite, log. The
// engine validates their parameters; the server runs them.
#ifndef SWITCHBOARD_SRC_BUILTIN_ACTIONS_H_
#define SWITCHBOARD_SRC_BUILTIN_ACTIONS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/action.h"

namespace switchboard {

std::map<std::string, std::shared_ptr<const ActionType>, std::less<>> BuiltinActionTypes();

// A problem with one parameter as written. `member` names the entry of a
// mapping parameter (a column, a header) where it is; "" for the parameter.
struct ParamProblem {
  std::string param;
  std::string member;
  std::string message;  // "parameter 'NAME'..."
};

// The built-in types report every invalid parameter at load time, where
// ActionType::Validate stops at the first.
class BuiltinActionType : public ActionType {
 public:
  // Appends one problem per invalid parameter (or mapping entry). Parameters
  // that failed to compile are absent from `params`.
  virtual void ValidateAll(const Value& params, std::vector<ParamProblem>* problems) const = 0;
  // The first problem of ValidateAll.
  Status Validate(const Value& params) const final;
};

// [A-Za-z_][A-Za-z0-9_]*, at most 64 characters, not starting with "sqlite_".
bool IsSqlIdentifier(std::string_view name);
// Starts with "sqlite_" in any case: SQLite keeps such names for itself.
bool IsReservedBySqlite(std::string_view name);
// One E.164 number: '+', then 2 to 15 digits, the first not 0.
bool IsE164(std::string_view number);
// An OpenPhone phone number id: "PN" and letters, digits, '_' or '-'.
bool IsPhoneNumberId(std::string_view id);
// An OpenPhone user id: "US" and letters, digits, '_' or '-'.
bool IsUserId(std::string_view id);
// Counts UTF-8 code points.
size_t Utf8Length(std::string_view s);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_BUILTIN_ACTIONS_H_
