// Names the calling thread (up to 15 characters), so that `top -H`, `perf` and
// debuggers tell the server's threads apart.
#ifndef SWITCHBOARD_SERVER_THREAD_NAME_H_
#define SWITCHBOARD_SERVER_THREAD_NAME_H_

#include <pthread.h>

namespace switchboard {
namespace server {

inline void NameThisThread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace server
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_THREAD_NAME_H_
