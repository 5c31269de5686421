// Calls into code that the embedding program supplies (ActionType methods).
#ifndef SWITCHBOARD_SRC_USER_CODE_H_
#define SWITCHBOARD_SRC_USER_CODE_H_

#include <exception>
#include <string>

#include "switchboard/status.h"

namespace switchboard {

// Runs `call`, which returns a Status. No exception crosses the engine's public
// API (SPEC section 6), so one that an action type throws becomes kInternal.
template <typename Call>
Status CallUserCode(Call&& call) {
  try {
    return call();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("the action type threw: ") + e.what());
  } catch (...) {
    return Status::Internal("the action type threw an exception");
  }
}

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_USER_CODE_H_
