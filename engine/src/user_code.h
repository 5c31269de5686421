// Calls into code that the embedding program supplies (ActionType methods).
#ifndef SWITCHBOARD_SRC_USER_CODE_H_
#define SWITCHBOARD_SRC_USER_CODE_H_

#include <exception>
#include <new>
#include <string>

#include "switchboard/status.h"

namespace switchboard {

// Runs `call`, which returns a Status. No exception crosses the engine's public
// API (SPEC section 6), so one that an action type throws becomes kInternal;
// memory that runs out, kUnavailable - or, with kRethrowBadAlloc, the caller's
// to handle (an evaluation fails as a whole rather than with one dead action).
template <bool kRethrowBadAlloc = false, typename Call>
Status CallUserCode(Call&& call) {
  try {
    return call();
  } catch (const std::bad_alloc&) {
    if constexpr (kRethrowBadAlloc) throw;
    return Status::Unavailable("out of memory in the action type");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("the action type threw: ") + e.what());
  } catch (...) {
    return Status::Internal("the action type threw an exception");
  }
}

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_USER_CODE_H_
